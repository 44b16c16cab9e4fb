from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import ActivityReport, ActivityReportItem, ActivityReportShare


async def get(session: AsyncSession, report_id: uuid.UUID, *, for_update: bool = False
              ) -> ActivityReport | None:
    stmt = select(ActivityReport).where(ActivityReport.id == report_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def is_shared(session: AsyncSession, report_id: uuid.UUID, account: str) -> bool:
    stmt = select(exists().where(ActivityReportShare.report_id == report_id,
                                 ActivityReportShare.account == account))
    return bool((await session.execute(stmt)).scalar())


async def shares(session: AsyncSession, report_ids: list[uuid.UUID]
                 ) -> dict[uuid.UUID, list[str]]:
    rows = await session.execute(select(ActivityReportShare.report_id, ActivityReportShare.account)
                                 .where(ActivityReportShare.report_id.in_(report_ids))
                                 .order_by(ActivityReportShare.created_at,
                                           ActivityReportShare.account))
    out: dict[uuid.UUID, list[str]] = {}
    for report_id, account in rows:
        out.setdefault(report_id, []).append(account)
    return out


async def page(session: AsyncSession, account: str, after: tuple[datetime, uuid.UUID] | None,
               limit: int) -> list[ActivityReport]:
    """The account's own reports and those shared with it, newest first."""
    shared = select(ActivityReportShare.report_id).where(ActivityReportShare.account == account)
    stmt = (select(ActivityReport)
            .where(or_(ActivityReport.created_by == account, ActivityReport.id.in_(shared)))
            .order_by(ActivityReport.created_at.desc(), ActivityReport.id.desc()).limit(limit))
    if after:
        stmt = stmt.where(tuple_(ActivityReport.created_at, ActivityReport.id) < after)
    return list((await session.execute(stmt)).scalars())


async def add_share(session: AsyncSession, report_id: uuid.UUID, account: str,
                    shared_by: str) -> bool:
    """False when it was shared with the account already."""
    done = await session.execute(insert(ActivityReportShare).values(
        report_id=report_id, account=account, shared_by=shared_by
    ).on_conflict_do_nothing().returning(ActivityReportShare.account))
    return done.first() is not None


async def remove_share(session: AsyncSession, report_id: uuid.UUID, account: str) -> bool:
    done = await session.execute(delete(ActivityReportShare).where(
        ActivityReportShare.report_id == report_id, ActivityReportShare.account == account
    ).returning(ActivityReportShare.account))
    return done.first() is not None


async def clear_items(session: AsyncSession, report_id: uuid.UUID) -> None:
    await session.execute(delete(ActivityReportItem)
                          .where(ActivityReportItem.report_id == report_id))


async def add_items(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(ActivityReportItem).values(rows)
                              .on_conflict_do_nothing())


async def items(session: AsyncSession, report_id: uuid.UUID, risk_levels: list[str],
                after: tuple[datetime, str] | None, limit: int) -> list[ActivityReportItem]:
    stmt = (select(ActivityReportItem).where(ActivityReportItem.report_id == report_id)
            .order_by(ActivityReportItem.occurred_at.desc(), ActivityReportItem.event_id.desc())
            .limit(limit))
    if risk_levels:
        stmt = stmt.where(ActivityReportItem.risk_level.in_(risk_levels))
    if after:
        stmt = stmt.where(tuple_(ActivityReportItem.occurred_at,
                                 ActivityReportItem.event_id) < after)
    return list((await session.execute(stmt)).scalars())


async def stale(session: AsyncSession, queued_s: int, running_s: int, limit: int
                ) -> list[uuid.UUID]:
    """Reports whose wake-up was lost (queued a while) or whose job died (running, silent)."""
    now = func.now()
    rows = await session.execute(select(ActivityReport.id).where(or_(
        (ActivityReport.state == "queued")
        & (ActivityReport.updated_at < now - func.make_interval(0, 0, 0, 0, 0, 0, queued_s)),
        (ActivityReport.state == "running")
        & (ActivityReport.updated_at < now - func.make_interval(0, 0, 0, 0, 0, 0, running_s))
    )).order_by(ActivityReport.created_at).limit(limit))
    return list(rows.scalars())


async def present(session: AsyncSession, report_id: uuid.UUID, event_ids: list[str]
                  ) -> set[str]:
    """Which of these event ids the report holds."""
    rows = await session.execute(select(ActivityReportItem.event_id).where(
        ActivityReportItem.report_id == report_id, ActivityReportItem.event_id.in_(event_ids)))
    return set(rows.scalars())


async def set_level(session: AsyncSession, report_id: uuid.UUID, event_ids: list[str],
                    level: str) -> None:
    await session.execute(update(ActivityReportItem).where(
        ActivityReportItem.report_id == report_id, ActivityReportItem.event_id.in_(event_ids)
    ).values(risk_level=level))
