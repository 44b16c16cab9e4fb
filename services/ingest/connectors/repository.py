from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.models import ConnectorRun


async def add(session: AsyncSession, run: ConnectorRun) -> ConnectorRun:
    session.add(run)
    await session.flush()
    await session.refresh(run)
    return run


async def update_run(session: AsyncSession, run_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(ConnectorRun).where(ConnectorRun.id == run_id)
                          .values(updated_at=func.now(), **values))


async def get(session: AsyncSession, run_id: uuid.UUID) -> ConnectorRun | None:
    return await session.get(ConnectorRun, run_id)


async def page(session: AsyncSession, connector: str | None, status: str | None,
               stale_before: datetime, after: tuple[datetime, uuid.UUID] | None, limit: int
               ) -> list[ConnectorRun]:
    """Newest first. `interrupted` is a running run not heard of since `stale_before`."""
    stmt = select(ConnectorRun)
    if connector:
        stmt = stmt.where(ConnectorRun.connector == connector)
    if status == "interrupted":
        stmt = stmt.where(ConnectorRun.status == "running",
                          ConnectorRun.updated_at < stale_before)
    elif status == "running":
        stmt = stmt.where(ConnectorRun.status == "running",
                          ConnectorRun.updated_at >= stale_before)
    elif status:
        stmt = stmt.where(ConnectorRun.status == status)
    if after:
        at, rid = after
        stmt = stmt.where(or_(ConnectorRun.started_at < at,
                              (ConnectorRun.started_at == at) & (ConnectorRun.id < rid)))
    stmt = stmt.order_by(ConnectorRun.started_at.desc(), ConnectorRun.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())
