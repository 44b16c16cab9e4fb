"""All SQL of the directory. Batches go through arrays (unnest): one statement whatever the
number of rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import RekeyRun, RevealGrant
from services.kit.db import driver
from services.kit.feed import read_feed


@dataclass
class Stored:
    """A person's row with their wrapped data key (None for a legacy row)."""

    subject_id: uuid.UUID
    lookup_hash: str | None
    alias: str
    identity_ct: bytes | None
    key_id: str | None
    wrapped_key: bytes | None
    department: str | None
    region: str | None
    high_impact: bool
    erased_at: datetime | None


_STORED = """
    SELECT p.subject_id, p.lookup_hash, p.alias, p.identity_ct, k.key_id, k.wrapped_key,
           p.department, p.region, p.high_impact, p.erased_at
    FROM identity.person p LEFT JOIN identity.person_key k ON k.subject_id = p.subject_id
"""


def _stored(row: Any) -> Stored:
    return Stored(**dict(row))


async def by_hashes(session: AsyncSession, hashes: list[str], *, for_update: bool = False
                    ) -> dict[str, Stored]:
    if not hashes:
        return {}
    conn = await driver(session)
    sql = _STORED + " WHERE p.lookup_hash = ANY($1::text[])"
    if for_update:
        sql += " ORDER BY p.subject_id FOR UPDATE OF p"
    rows = await conn.fetch(sql, sorted(set(hashes)))
    return {r["lookup_hash"]: _stored(r) for r in rows}


async def stored(session: AsyncSession, subject_id: uuid.UUID, *, for_update: bool = False
                 ) -> Stored | None:
    conn = await driver(session)
    sql = _STORED + " WHERE p.subject_id = $1" + (" FOR UPDATE OF p" if for_update else "")
    row = await conn.fetchrow(sql, subject_id)
    return _stored(row) if row else None


async def stored_many(session: AsyncSession, subject_ids: list[uuid.UUID]
                      ) -> dict[uuid.UUID, Stored]:
    conn = await driver(session)
    rows = await conn.fetch(_STORED + " WHERE p.subject_id = ANY($1::uuid[])", subject_ids)
    return {r["subject_id"]: _stored(r) for r in rows}


async def insert_people(session: AsyncSession, rows: list[tuple]) -> set[uuid.UUID]:
    """Rows of (subject_id, lookup_hash, alias, identity_ct, department, region,
    high_impact); a row whose hash or alias is taken is skipped. Returns the ids inserted."""
    if not rows:
        return set()
    conn = await driver(session)
    got = await conn.fetch("""
        INSERT INTO identity.person (subject_id, lookup_hash, alias, identity_ct, department,
                                     region, high_impact)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::text[],
                             $6::text[], $7::bool[])
        ON CONFLICT DO NOTHING RETURNING subject_id
    """, *(list(col) for col in zip(*rows, strict=True)))
    return {r["subject_id"] for r in got}


async def update_people(session: AsyncSession, rows: list[tuple]) -> None:
    """Rows of (subject_id, lookup_hash, identity_ct, department, region, high_impact)."""
    if not rows:
        return
    conn = await driver(session)
    await conn.execute("""
        UPDATE identity.person p
        SET lookup_hash = u.h, identity_ct = u.ct, department = u.d, region = u.r,
            high_impact = u.hi, updated_at = now()
        FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::bool[])
             AS u(s, h, ct, d, r, hi)
        WHERE p.subject_id = u.s
    """, *(list(col) for col in zip(*rows, strict=True)))


async def put_keys(session: AsyncSession, rows: list[tuple]) -> None:
    """Rows of (subject_id, key_id, wrapped_key): a person's data key, new or rewrapped."""
    if not rows:
        return
    conn = await driver(session)
    await conn.execute("""
        INSERT INTO identity.person_key (subject_id, key_id, wrapped_key)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[])
        ON CONFLICT (subject_id) DO UPDATE SET key_id = excluded.key_id,
                                               wrapped_key = excluded.wrapped_key
    """, *(list(col) for col in zip(*rows, strict=True)))


async def append_changes(session: AsyncSession, subject_ids: list[uuid.UUID]) -> None:
    if subject_ids:
        conn = await driver(session)
        await conn.execute("INSERT INTO identity.person_change (subject_id) "
                           "SELECT unnest($1::uuid[])", sorted(subject_ids))


async def active_grants(session: AsyncSession, subject_ids: list[uuid.UUID],
                        account_id: uuid.UUID, now: datetime
                        ) -> dict[uuid.UUID, list[RevealGrant]]:
    """The account's unexpired grants, by person (people without one are absent)."""
    rows = await session.execute(select(RevealGrant).where(
        RevealGrant.subject_id.in_(subject_ids),
        RevealGrant.account_id == account_id, RevealGrant.expires_at > now))
    out: dict[uuid.UUID, list[RevealGrant]] = {}
    for grant in rows.scalars():
        out.setdefault(grant.subject_id, []).append(grant)
    return out


# -- erasure ---------------------------------------------------------------------------------

async def shred(session: AsyncSession, subject_id: uuid.UUID) -> datetime:
    """Destroy the person's data key and identity; keep subject id, alias, department and
    region (what the other services' records are filed under)."""
    conn = await driver(session)
    await conn.execute("DELETE FROM identity.person_key WHERE subject_id = $1", subject_id)
    return await conn.fetchval("""
        UPDATE identity.person
        SET identity_ct = NULL, lookup_hash = NULL, high_impact = false, erased_at = now(),
            updated_at = now()
        WHERE subject_id = $1 RETURNING erased_at
    """, subject_id)


# -- the change feed -------------------------------------------------------------------------

_FEED_TABLE = """(
    SELECT c.xid, c.seq, p.subject_id, p.alias, p.department, p.region, p.high_impact,
           p.erased_at IS NOT NULL AS erased
    FROM identity.person_change c JOIN identity.person p ON p.subject_id = c.subject_id)"""
_FEED_COLUMNS = "t.subject_id, t.alias, t.department, t.region, t.high_impact, t.erased"


async def changes(session: AsyncSession, cursor: str | None, limit: int) -> list[Any]:
    return await read_feed(session, _FEED_TABLE, _FEED_COLUMNS, cursor, limit)


# -- re-encryption ---------------------------------------------------------------------------

async def key_counts(session: AsyncSession, current: str, known: list[str]) -> dict[str, int]:
    conn = await driver(session)
    row = await conn.fetchrow("""
        SELECT count(*) AS people,
               count(*) FILTER (WHERE k.key_id = $1) AS on_current_key,
               count(*) FILTER (WHERE k.key_id IS DISTINCT FROM $1) AS remaining,
               count(*) FILTER (WHERE k.key_id <> ALL($2::text[])) AS unreadable
        FROM identity.person p LEFT JOIN identity.person_key k ON k.subject_id = p.subject_id
        WHERE p.erased_at IS NULL AND p.identity_ct IS NOT NULL
    """, current, known)
    return dict(row)


async def next_to_rekey(session: AsyncSession, current: str, readable: list[str],
                        after: uuid.UUID | None, limit: int) -> list[Stored]:
    """People after `after` (in subject id order) not yet on the current key that a
    configured key opens (legacy rows included), locked; rows another pass holds are left to
    it. Walking by subject id keeps each batch an index range, however far the pass is."""
    conn = await driver(session)
    rows = await conn.fetch(_STORED + """
        WHERE p.erased_at IS NULL AND p.identity_ct IS NOT NULL
          AND (k.key_id IS NULL OR (k.key_id <> $1 AND k.key_id = ANY($2::text[])))
          AND p.subject_id > $3
        ORDER BY p.subject_id LIMIT $4
        FOR UPDATE OF p SKIP LOCKED
    """, current, readable, after or uuid.UUID(int=0), limit)
    return [_stored(r) for r in rows]


async def latest_run(session: AsyncSession) -> RekeyRun | None:
    rows = await session.execute(select(RekeyRun).order_by(RekeyRun.started_at.desc())  # type: ignore[union-attr]
                                 .limit(1))
    return rows.scalars().first()


async def update_run(session: AsyncSession, run_id: uuid.UUID, **values: Any) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    await session.execute(text(f"UPDATE identity.rekey_run SET {sets}, updated_at = now() "
                               "WHERE id = :id"), {**values, "id": run_id})
