from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import AccessScope, Person


async def get(session: AsyncSession, subject: str, *, for_update: bool = False
              ) -> AccessScope | None:
    return await session.get(AccessScope, subject, with_for_update=for_update)


async def people_in(session: AsyncSession, departments: list[str], regions: list[str]
                    ) -> list[uuid.UUID]:
    """Subject ids of the people of these departments or regions (compared case-blind)."""
    clauses = []
    if departments:
        clauses.append(func.lower(Person.department).in_([d.lower() for d in departments]))
    if regions:
        clauses.append(func.lower(Person.region).in_([r.lower() for r in regions]))
    if not clauses:
        return []
    rows = await session.execute(select(Person.subject_id).where(or_(*clauses)))
    return list(rows.scalars())
