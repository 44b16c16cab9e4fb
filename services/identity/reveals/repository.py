from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import RevealGrant, RevealRequest


async def get(session: AsyncSession, request_id: uuid.UUID, *, for_update: bool = False
              ) -> RevealRequest | None:
    return await session.get(RevealRequest, request_id, with_for_update=for_update)


async def grants(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, RevealGrant]:
    if not ids:
        return {}
    rows = await session.execute(select(RevealGrant).where(RevealGrant.id.in_(ids)))
    return {g.id: g for g in rows.scalars()}


async def page(session: AsyncSession, *, status: str | None, expired_before: datetime,
               subject_id: uuid.UUID | None, before: tuple[datetime, uuid.UUID] | None,
               limit: int, subjects: list[uuid.UUID] | None = None) -> list[RevealRequest]:
    """Newest first. `expired` is a pending request older than `expired_before`;
    `subjects`: only requests about these people (a scoped caller), None for all."""
    stmt = select(RevealRequest).order_by(RevealRequest.created_at.desc(),
                                          RevealRequest.id.desc()).limit(limit)
    if subjects is not None:
        stmt = stmt.where(RevealRequest.subject_id.in_(subjects))
    if status == "pending":
        stmt = stmt.where(RevealRequest.status == "pending",
                          RevealRequest.created_at >= expired_before)
    elif status == "expired":
        stmt = stmt.where(RevealRequest.status == "pending",
                          RevealRequest.created_at < expired_before)
    elif status:
        stmt = stmt.where(RevealRequest.status == status)
    if subject_id:
        stmt = stmt.where(RevealRequest.subject_id == subject_id)
    if before:
        stmt = stmt.where(tuple_(RevealRequest.created_at, RevealRequest.id) < tuple_(*before))
    return list((await session.execute(stmt)).scalars())

