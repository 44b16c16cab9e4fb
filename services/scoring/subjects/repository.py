"""SQL of scoring's view of people."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.db import driver

_APPLY_DIRECTORY = """
    INSERT INTO scoring.subject (subject_id, alias, department, high_impact)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bool[])
    ON CONFLICT (subject_id) DO UPDATE
        SET department = excluded.department, high_impact = excluded.high_impact,
            alias = CASE WHEN scoring.subject.alias = '' THEN excluded.alias
                         ELSE scoring.subject.alias END
        WHERE (scoring.subject.department, scoring.subject.high_impact, scoring.subject.alias)
              IS DISTINCT FROM (excluded.department, excluded.high_impact,
                                CASE WHEN scoring.subject.alias = '' THEN excluded.alias
                                     ELSE scoring.subject.alias END)
    RETURNING subject_id, (xmax = 0) AS inserted
"""


async def apply_directory(session: AsyncSession, items: list[dict]
                          ) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Upsert department and high impact (and the alias, where scoring has none yet) from
    the directory; returns the people (inserted, updated) — unchanged ones are neither."""
    if not items:
        return [], []
    rows = sorted((uuid.UUID(str(i["subject_id"])), i["alias"], i["department"],
                   bool(i["high_impact"])) for i in items)  # one lock order
    conn = await driver(session)
    got = await conn.fetch(_APPLY_DIRECTORY, *(list(col) for col in zip(*rows, strict=True)))
    inserted = [r["subject_id"] for r in got if r["inserted"]]
    updated = [r["subject_id"] for r in got if not r["inserted"]]
    return inserted, updated
