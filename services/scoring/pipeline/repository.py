from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select, text
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

# Arrays through unnest: one statement whatever the number of rows, compiled once (a
# multi-row VALUES is a new statement for every size, and the ORM's bulk path is slow).
_ADD_COUNTS = text("""
    INSERT INTO scoring.daily_activity (subject_id, indicator, day, count)
    SELECT * FROM unnest(CAST(:subjects AS uuid[]), CAST(:indicators AS text[]),
                         CAST(:days AS date[]), CAST(:counts AS int[]))
    ON CONFLICT (subject_id, indicator, day)
    DO UPDATE SET count = scoring.daily_activity.count + excluded.count
""")

_UPSERT_SUBJECTS = text("""
    INSERT INTO scoring.subject (subject_id, alias)
    SELECT * FROM unnest(CAST(:subjects AS uuid[]), CAST(:aliases AS text[]))
    ON CONFLICT (subject_id) DO UPDATE SET alias = excluded.alias
    WHERE scoring.subject.alias IS DISTINCT FROM excluded.alias
""")


async def add_counts(session: AsyncSession, counts: dict[tuple[uuid.UUID, str, date], int]
                     ) -> None:
    if not counts:
        return
    keys = sorted(counts)  # one lock order for concurrent writers
    await session.execute(_ADD_COUNTS, {
        "subjects": [k[0] for k in keys], "indicators": [k[1] for k in keys],
        "days": [k[2] for k in keys], "counts": [counts[k] for k in keys]})


async def add_triggers(session: AsyncSession, rows: list[dict]) -> None:
    if rows:
        await session.execute(insert(TriggeringEvent).values(rows).on_conflict_do_nothing())


async def upsert_subjects(session: AsyncSession, aliases: dict[uuid.UUID, str]) -> None:
    if aliases:
        keys = sorted(aliases)
        await session.execute(_UPSERT_SUBJECTS, {"subjects": keys,
                                                 "aliases": [aliases[k] for k in keys]})


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
