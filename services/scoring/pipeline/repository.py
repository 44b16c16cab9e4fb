from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.engine.rules import DailyCount, Trigger
from services.scoring.models import (
    DailyActivity,
    Policy,
    RiskScore,
    Subject,
    TriggeringEvent,
)


async def add_counts(session: AsyncSession, counts: dict[tuple[uuid.UUID, str, date], int]
                     ) -> None:
    if not counts:
        return
    rows = [{"subject_id": s, "indicator": i, "day": d, "count": c}
            for (s, i, d), c in sorted(counts.items())]
    stmt = insert(DailyActivity).values(rows)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[DailyActivity.subject_id, DailyActivity.indicator, DailyActivity.day],
        set_={"count": DailyActivity.count + stmt.excluded.count}))


async def add_triggers(session: AsyncSession, rows: list[dict]) -> None:
    if rows:
        await session.execute(insert(TriggeringEvent).values(rows).on_conflict_do_nothing())


async def upsert_subjects(session: AsyncSession, aliases: dict[uuid.UUID, str]) -> None:
    if aliases:
        stmt = insert(Subject).values([{"subject_id": s, "alias": a}
                                       for s, a in sorted(aliases.items())])
        await session.execute(stmt.on_conflict_do_update(
            index_elements=[Subject.subject_id], set_={"alias": stmt.excluded.alias}))


async def active_policies(session: AsyncSession) -> list[Policy]:
    rows = await session.execute(select(Policy).where(Policy.active).order_by(Policy.id))
    return list(rows.scalars())


async def triggered_subjects(session: AsyncSession) -> list[uuid.UUID]:
    rows = await session.execute(select(TriggeringEvent.subject_id).distinct())
    return sorted(rows.scalars())


async def triggers_of(session: AsyncSession, subjects: Iterable[uuid.UUID]
                      ) -> dict[uuid.UUID, list[Trigger]]:
    out: dict[uuid.UUID, list[Trigger]] = {}
    rows = await session.execute(select(TriggeringEvent).where(
        TriggeringEvent.subject_id.in_(list(subjects))))
    for t in rows.scalars():
        out.setdefault(t.subject_id, []).append(Trigger(t.kind, t.day, t.event_id))
    return out


async def counts_of(session: AsyncSession, subjects: Iterable[uuid.UUID]
                    ) -> dict[uuid.UUID, list[DailyCount]]:
    out: dict[uuid.UUID, list[DailyCount]] = {}
    rows = await session.execute(select(DailyActivity).where(
        DailyActivity.subject_id.in_(list(subjects))))
    for r in rows.scalars():
        out.setdefault(r.subject_id, []).append(DailyCount(r.indicator, r.day, r.count))
    return out


async def aliases_of(session: AsyncSession, subjects: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(Subject).where(Subject.subject_id.in_(list(subjects))))
    return {s.subject_id: s.alias for s in rows.scalars()}


async def scores_of(session: AsyncSession, policy_id: uuid.UUID, subjects: Iterable[uuid.UUID]
                    ) -> dict[uuid.UUID, RiskScore]:
    rows = await session.execute(select(RiskScore).where(
        RiskScore.policy_id == policy_id, RiskScore.subject_id.in_(list(subjects))))
    return {r.subject_id: r for r in rows.scalars()}
