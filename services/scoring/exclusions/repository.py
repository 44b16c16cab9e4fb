"""SQL of suppression rules, benign marks and excluded events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.db import driver
from services.scoring.models import BenignMark, ExcludedEvent, Subject, Suppression


async def get(session: AsyncSession, suppression_id: uuid.UUID, *, for_update: bool = False
              ) -> Suppression | None:
    return await session.get(Suppression, suppression_id, with_for_update=for_update,
                             populate_existing=for_update)


async def subject_known(session: AsyncSession, subject_id: uuid.UUID) -> bool:
    return await session.get(Subject, subject_id) is not None


async def aliases(session: AsyncSession, subjects: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(Subject.subject_id, Subject.alias)
                                 .where(Subject.subject_id.in_(subjects)))
    return dict(rows.tuples().all())


async def hits(session: AsyncSession, sources: list[uuid.UUID]
               ) -> dict[uuid.UUID, tuple[int, datetime | None]]:
    """Per rule: events it keeps from counting, and when the latest happened."""
    rows = await session.execute(
        select(ExcludedEvent.source_id, func.count(), func.max(ExcludedEvent.occurred_at))
        .where(ExcludedEvent.source_id.in_(sources)).group_by(ExcludedEvent.source_id))
    return {r[0]: (r[1], r[2]) for r in rows.tuples()}


async def page(session: AsyncSession, *, visible: list[uuid.UUID] | None,
               subject_id: uuid.UUID | None, state: str | None,
               after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Suppression]:
    """Newest first by (created_at, id)."""
    q = select(Suppression)
    if visible is not None:
        q = q.where(Suppression.subject_id.in_(visible))
    if subject_id is not None:
        q = q.where(Suppression.subject_id == subject_id)
    if state is not None:
        q = q.where(Suppression.state == state)
    if after is not None:
        q = q.where(tuple_(Suppression.created_at, Suppression.id) < tuple_(*after))
    q = q.order_by(Suppression.created_at.desc(), Suppression.id.desc()).limit(limit)
    return list((await session.execute(q)).scalars())


async def due(session: AsyncSession, now: datetime) -> list[Suppression]:
    """Active rules whose `until` has passed, locked (another sweep skips them)."""
    rows = await session.execute(
        select(Suppression).where(Suppression.state == "active", Suppression.until <= now)
        .order_by(Suppression.until, Suppression.id).with_for_update(skip_locked=True))
    return list(rows.scalars())


async def signal_times(session: AsyncSession, subject_id: uuid.UUID, event_ids: list[str]
                       ) -> dict[str, datetime]:
    """The events of this person scoring has read, by id, with when they happened."""
    conn = await driver(session)
    rows = await conn.fetch("SELECT event_id, occurred_at FROM scoring.signal "
                            "WHERE subject_id = $1 AND event_id = ANY($2::text[])",
                            subject_id, event_ids)
    return {r["event_id"]: r["occurred_at"] for r in rows}


async def add_marks(session: AsyncSession, rows: list[dict[str, Any]]) -> list[BenignMark]:
    """Insert marks; those already there are left alone (and not returned)."""
    if not rows:
        return []
    stmt = insert(BenignMark).values(rows).on_conflict_do_nothing(
        index_elements=["subject_id", "event_id"]).returning(BenignMark)
    return list((await session.execute(stmt)).scalars())


async def mark_of(session: AsyncSession, subject_id: uuid.UUID, event_id: str
                  ) -> BenignMark | None:
    rows = await session.execute(select(BenignMark).where(
        BenignMark.subject_id == subject_id, BenignMark.event_id == event_id))
    return rows.scalar_one_or_none()


async def marks_page(session: AsyncSession, subject_id: uuid.UUID,
                     after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[BenignMark]:
    q = select(BenignMark).where(BenignMark.subject_id == subject_id)
    if after is not None:
        q = q.where(tuple_(BenignMark.created_at, BenignMark.id) < tuple_(*after))
    q = q.order_by(BenignMark.created_at.desc(), BenignMark.id.desc()).limit(limit)
    return list((await session.execute(q)).scalars())


async def excluded_page(session: AsyncSession, subject_id: uuid.UUID, *,
                        start: datetime | None, end: datetime | None,
                        after: tuple[datetime, str, uuid.UUID] | None, limit: int
                        ) -> list[ExcludedEvent]:
    """Oldest first by (occurred_at, event id, rule or mark id)."""
    q = select(ExcludedEvent).where(ExcludedEvent.subject_id == subject_id)
    if start is not None:
        q = q.where(ExcludedEvent.occurred_at >= start)
    if end is not None:
        q = q.where(ExcludedEvent.occurred_at < end)
    if after is not None:
        at, event_id, source = after
        q = q.where(or_(ExcludedEvent.occurred_at > at, and_(
            ExcludedEvent.occurred_at == at,
            tuple_(ExcludedEvent.event_id, ExcludedEvent.source_id) > tuple_(event_id,
                                                                             source))))
    q = q.order_by(ExcludedEvent.occurred_at, ExcludedEvent.event_id,
                   ExcludedEvent.source_id).limit(limit)
    return list((await session.execute(q)).scalars())

