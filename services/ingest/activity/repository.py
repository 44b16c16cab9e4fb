from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def page(session: AsyncSession, subject_id: uuid.UUID, since: datetime, until: datetime,
               types: list[str], categories: list[str], after: tuple[datetime, str] | None,
               limit: int, with_original: bool) -> list[Any]:
    """Newest first by (occurred_at, id); partitions outside [since, until) are pruned."""
    original = "original" if with_original else "NULL AS original"
    sql = f"""
        SELECT id, subject_id, alias, type, category, occurred_at, received_at, source,
               attributes, {original}
        FROM ingest.activity_event
        WHERE subject_id = :subject AND occurred_at >= :since AND occurred_at < :until
          AND (cardinality(CAST(:types AS text[])) = 0 OR type = ANY(CAST(:types AS text[])))
          AND (cardinality(CAST(:cats AS text[])) = 0
               OR category = ANY(CAST(:cats AS text[])))
          {"AND (occurred_at, id) < (:at, :id)" if after else ""}
        ORDER BY occurred_at DESC, id DESC
        LIMIT :limit
    """
    params: dict[str, Any] = {"subject": subject_id, "since": since, "until": until,
                              "types": types, "cats": categories, "limit": limit}
    if after:
        params["at"], params["id"] = after
    return list((await session.execute(text(sql), params)).all())


async def summary(session: AsyncSession, subject_id: uuid.UUID, since: datetime,
                  until: datetime) -> list[Any]:
    sql = text("""
        SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, category, type, count(*) AS n
        FROM ingest.activity_event
        WHERE subject_id = :subject AND occurred_at >= :since AND occurred_at < :until
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    """)
    return list((await session.execute(sql, {"subject": subject_id, "since": since,
                                              "until": until})).all())


async def one(session: AsyncSession, subject_id: uuid.UUID, event_id: str,
              with_original: bool) -> Any | None:
    """One event of this person by id: its time from `event_key`, so one partition is read."""
    original = "e.original" if with_original else "NULL AS original"
    sql = text(f"""
        SELECT e.id, e.subject_id, e.alias, e.type, e.category, e.occurred_at, e.received_at,
               e.source, e.attributes, {original}
        FROM ingest.event_key k
        JOIN ingest.activity_event e ON e.id = k.id AND e.occurred_at = k.occurred_at
        WHERE k.id = :id AND e.subject_id = :subject
    """)
    return (await session.execute(sql, {"id": event_id, "subject": subject_id})).first()
