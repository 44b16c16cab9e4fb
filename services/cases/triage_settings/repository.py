"""All SQL of the triage settings: one row per severity, and the open alerts' due times."""

from __future__ import annotations

from sqlalchemy import Integer, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import Alert, TriageSla


async def load(session: AsyncSession, *, for_update: bool = False) -> list[TriageSla]:
    stmt = select(TriageSla).order_by(TriageSla.severity)
    if for_update:
        stmt = stmt.with_for_update()
    return list((await session.execute(stmt)).scalars())


async def save(session: AsyncSession, hours: dict[str, int]) -> None:
    for severity, value in hours.items():
        row = await session.get(TriageSla, severity)
        if row is None:
            session.add(TriageSla(severity=severity, sla_hours=value))
        else:
            row.sla_hours, row.updated_at = value, func.now()
    await session.flush()


async def recompute_due(session: AsyncSession, severity: str, hours: int) -> int:
    """New due times for the open alerts of a severity (triaged ones keep the due time they
    were triaged against)."""
    interval = func.make_interval(0, 0, 0, 0, literal(hours, Integer))
    result = await session.execute(
        update(Alert).where(Alert.status == "needs_review", Alert.severity == severity)
        .values(sla_due_at=Alert.created_at + interval)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
