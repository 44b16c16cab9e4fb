"""All SQL of the dashboards: aggregates over alerts and cases in a window."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import Alert, Case


async def triage_times(session: AsyncSession, subjects: list[uuid.UUID] | None,
                       start: datetime, end: datetime) -> tuple[int, float | None, int]:
    """(alerts triaged in the window, mean seconds from detection, how many late)."""
    stmt = select(func.count(), func.avg(func.date_part("epoch", Alert.triaged_at
                                                      - Alert.created_at)),
                  func.count().filter(Alert.triaged_at > Alert.sla_due_at)
                  ).where(Alert.triaged_at > start, Alert.triaged_at <= end)
    if subjects is not None:
        stmt = stmt.where(Alert.subject_id.in_(subjects))
    n, mean, late = (await session.execute(stmt)).one()
    return n, float(mean) if mean is not None else None, late


async def resolve_times(session: AsyncSession, subjects: list[uuid.UUID] | None,
                        start: datetime, end: datetime) -> tuple[int, float | None]:
    """(alerts resolved by closing their case in the window, mean seconds from detection)."""
    stmt = select(func.count(), func.avg(func.date_part("epoch", Case.closed_at
                                                      - Alert.created_at))
                  ).select_from(Alert).join(Case, Case.id == Alert.case_id).where(
        Alert.status == "resolved", Case.closed_at > start, Case.closed_at <= end)
    if subjects is not None:
        stmt = stmt.where(Alert.subject_id.in_(subjects))
    n, mean = (await session.execute(stmt)).one()
    return n, float(mean) if mean is not None else None
