from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import Case, Note


async def get(session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False
              ) -> Case | None:
    stmt = select(Case).where(Case.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def page(session: AsyncSession, *, status: str | None,
               after: tuple[datetime, uuid.UUID] | None, limit: int,
               subjects: list[uuid.UUID] | None = None,
               shared: list[uuid.UUID] | None = None) -> list[Case]:
    """`subjects`: only cases about these people, plus the `shared` cases; None for all."""
    stmt = select(Case).order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)
    if subjects is not None:
        stmt = stmt.where(or_(Case.subject_id.in_(subjects), Case.id.in_(shared or [])))
    if status:
        stmt = stmt.where(Case.status == status)
    if after:
        stmt = stmt.where(tuple_(Case.created_at, Case.id) < after)
    return list((await session.execute(stmt)).scalars())


async def notes(session: AsyncSession, case_id: uuid.UUID) -> list[Note]:
    rows = await session.execute(select(Note).where(Note.case_id == case_id)
                                 .order_by(Note.created_at, Note.id))
    return list(rows.scalars())
