from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.feed import read_feed

_INSERT = text("""
    INSERT INTO ingest.activity_event
        (id, subject_id, alias, type, category, occurred_at, source, attributes)
    SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:subjects AS uuid[]), CAST(:aliases AS text[]),
                         CAST(:types AS text[]), CAST(:categories AS text[]),
                         CAST(:occurred AS timestamptz[]), CAST(:sources AS text[]),
                         CAST(:attributes AS jsonb[]))
    ON CONFLICT (id) DO NOTHING
""")


async def insert_events(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert, skipping ids already stored; returns how many were new."""
    result = await session.execute(_INSERT, {
        "ids": [r["id"] for r in rows],
        "subjects": [r["subject_id"] for r in rows],
        "aliases": [r["alias"] for r in rows],
        "types": [r["type"] for r in rows],
        "categories": [r["category"] for r in rows],
        "occurred": [r["occurred_at"] for r in rows],
        "sources": [r["source"] for r in rows],
        "attributes": [json.dumps(r["attributes"]) for r in rows],
    })
    return result.rowcount or 0


_FEED_COLUMNS = ("id, subject_id, alias, type, category, occurred_at, received_at, source, "
                 "attributes")


async def feed(session: AsyncSession, cursor: str | None, limit: int) -> list[Any]:
    return await read_feed(session, "ingest.activity_event", _FEED_COLUMNS, cursor, limit)
