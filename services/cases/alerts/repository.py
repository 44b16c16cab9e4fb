from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import Alert


async def get(session: AsyncSession, alert_id: uuid.UUID, *, for_update: bool = False
              ) -> Alert | None:
    stmt = select(Alert).where(Alert.id == alert_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_many(session: AsyncSession, ids: list[uuid.UUID]) -> list[Alert]:
    """The alerts of these ids, locked for update in id order."""
    stmt = select(Alert).where(Alert.id.in_(ids)).order_by(Alert.id).with_for_update()
    return list((await session.execute(stmt)).scalars())


async def page(session: AsyncSession, *, status: str | None, severity: str | None,
               after: tuple[datetime, uuid.UUID] | None, limit: int,
               subjects: list[uuid.UUID] | None = None) -> list[Alert]:
    """`subjects`: only alerts about these people (a scoped reviewer); None for all."""
    stmt = select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    if subjects is not None:
        stmt = stmt.where(Alert.subject_id.in_(subjects))
    if status:
        stmt = stmt.where(Alert.status == status)
    if severity:
        stmt = stmt.where(Alert.severity == severity)
    if after:
        stmt = stmt.where(tuple_(Alert.created_at, Alert.id) < after)
    return list((await session.execute(stmt)).scalars())


async def open_or_newer(session: AsyncSession, policy_id: uuid.UUID, subject_id: uuid.UUID,
                        version: int) -> list[Alert]:
    """The open alert for this policy and person, and any alert already at this version."""
    stmt = select(Alert).where(Alert.policy_id == policy_id, Alert.subject_id == subject_id,
                               or_(Alert.status == "needs_review",
                                   Alert.score_version >= version)).with_for_update()
    return list((await session.execute(stmt)).scalars())


async def of_case(session: AsyncSession, case_id: uuid.UUID) -> list[Alert]:
    rows = await session.execute(select(Alert).where(Alert.case_id == case_id)
                                 .order_by(Alert.created_at))
    return list(rows.scalars())
