from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import Case, Notice, NoticeTemplate


async def template(session: AsyncSession, template_id: uuid.UUID, *, for_update: bool = False
                   ) -> NoticeTemplate | None:
    stmt = select(NoticeTemplate).where(NoticeTemplate.id == template_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def template_named(session: AsyncSession, name: str) -> NoticeTemplate | None:
    return (await session.execute(select(NoticeTemplate).where(NoticeTemplate.name == name))
            ).scalar_one_or_none()


async def templates(session: AsyncSession) -> list[NoticeTemplate]:
    return list((await session.execute(select(NoticeTemplate).order_by(NoticeTemplate.name))
                 ).scalars())


async def notice(session: AsyncSession, notice_id: uuid.UUID, *, lock: bool = False
                 ) -> Notice | None:
    stmt = select(Notice).where(Notice.id == notice_id)
    if lock:
        stmt = stmt.with_for_update(skip_locked=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def of_case(session: AsyncSession, case_id: uuid.UUID) -> list[Notice]:
    return list((await session.execute(select(Notice).where(Notice.case_id == case_id)
                                       .order_by(Notice.created_at, Notice.id))).scalars())


async def page(session: AsyncSession, *, state: str | None,
               after: tuple[datetime, uuid.UUID] | None, limit: int,
               subjects: list[uuid.UUID] | None, shared: list[uuid.UUID]) -> list[Notice]:
    stmt = select(Notice).order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit)
    if subjects is not None:
        stmt = stmt.join(Case, Case.id == Notice.case_id).where(
            Case.subject_id.in_(subjects) | Case.id.in_(shared))
    if state:
        stmt = stmt.where(Notice.state == state)
    if after:
        stmt = stmt.where(tuple_(Notice.created_at, Notice.id) < after)
    return list((await session.execute(stmt)).scalars())


async def stale_queued(session: AsyncSession, before: datetime, limit: int) -> list[uuid.UUID]:
    rows = await session.execute(select(Notice.id).where(Notice.state == "queued",
                                                         Notice.updated_at < before)
                                 .order_by(Notice.updated_at).limit(limit))
    return list(rows.scalars())
