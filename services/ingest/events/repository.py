from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.db import driver
from services.kit.feed import read_feed

EVENT_COLUMNS = ("id", "subject_id", "alias", "type", "category", "occurred_at", "source",
                 "attributes", "original", "run_id")

_CLAIM_KEYS = """
    INSERT INTO ingest.event_key (id, occurred_at)
    SELECT * FROM unnest($1::text[], $2::timestamptz[])
    ON CONFLICT (id) DO NOTHING
    RETURNING id
"""


async def insert_events(session: AsyncSession, rows: list[tuple[Any, ...]]) -> int:
    """Store the rows (tuples in EVENT_COLUMNS order, sorted by id, ids unique) whose id is
    not stored yet; returns how many were new. Claiming the ids in `event_key` first makes a
    concurrent batch with the same ids wait for this one and then skip them."""
    conn = await driver(session)
    claimed = await conn.fetch(_CLAIM_KEYS, [r[0] for r in rows], [r[5] for r in rows])
    if not claimed:
        return 0
    new = {r["id"] for r in claimed}
    fresh = [r for r in rows if r[0] in new]
    await conn.copy_records_to_table("activity_event", schema_name="ingest",
                                     columns=list(EVENT_COLUMNS), records=fresh)
    return len(fresh)


_FEED_COLUMNS = ("id, subject_id, alias, type, category, occurred_at, received_at, source, "
                 "attributes")


async def feed(session: AsyncSession, cursor: str | None, limit: int) -> list[Any]:
    return await read_feed(session, "ingest.activity_event", _FEED_COLUMNS, cursor, limit)
