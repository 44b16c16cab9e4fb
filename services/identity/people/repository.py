from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import Person, RevealGrant


async def by_hashes(session: AsyncSession, hashes: list[str]) -> dict[str, Person]:
    rows = await session.execute(select(Person).where(Person.lookup_hash.in_(hashes)))
    return {p.lookup_hash: p for p in rows.scalars()}


async def insert_new(session: AsyncSession, rows: list[dict]) -> None:
    """Insert people that do not exist yet; concurrent inserts of the same person are no-ops."""
    if rows:
        await session.execute(insert(Person).values(rows).on_conflict_do_nothing())


async def get(session: AsyncSession, subject_id: uuid.UUID, *, for_update: bool = False
              ) -> Person | None:
    return await session.get(Person, subject_id, with_for_update=for_update)


async def update_identity(session: AsyncSession, person: Person, ciphertext: bytes) -> None:
    person.identity_ct = ciphertext
    person.updated_at = func.now()
    await session.flush()


async def active_grants(session: AsyncSession, subject_id: uuid.UUID, account_id: uuid.UUID,
                        now: datetime) -> list[RevealGrant]:
    rows = await session.execute(select(RevealGrant).where(
        RevealGrant.subject_id == subject_id, RevealGrant.account_id == account_id,
        RevealGrant.expires_at > now))
    return list(rows.scalars())
