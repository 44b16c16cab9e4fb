from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import Alert, Case, Note


async def get(session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False
              ) -> Case | None:
    stmt = select(Case).where(Case.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_many(session: AsyncSession, case_ids: list[uuid.UUID]) -> list[Case]:
    return list((await session.execute(select(Case).where(Case.id.in_(case_ids)))).scalars())


def _visible(subjects: list[uuid.UUID] | None, shared: list[uuid.UUID] | None
             ) -> ColumnElement[bool] | None:
    """`subjects`: only cases about these people, plus the `shared` cases; None for all."""
    if subjects is None:
        return None
    return or_(Case.subject_id.in_(subjects), Case.id.in_(shared or []))


async def page(session: AsyncSession, *, status: str | None, sort_column: str,
               descending: bool, after: tuple[datetime, uuid.UUID] | None, limit: int,
               opened: tuple[datetime | None, datetime | None],
               updated: tuple[datetime | None, datetime | None],
               subjects: list[uuid.UUID] | None = None,
               shared: list[uuid.UUID] | None = None) -> list[Case]:
    """Keyset page ordered by (`sort_column`, id), both in the same direction."""
    col = Case.created_at if sort_column == "created_at" else Case.updated_at
    if descending:
        stmt = select(Case).order_by(col.desc(), Case.id.desc())
    else:
        stmt = select(Case).order_by(col.asc(), Case.id.asc())
    stmt = stmt.limit(limit)
    if (visible := _visible(subjects, shared)) is not None:
        stmt = stmt.where(visible)
    if status:
        stmt = stmt.where(Case.status == status)
    for column, (lo, hi) in ((Case.created_at, opened), (Case.updated_at, updated)):
        if lo is not None:
            stmt = stmt.where(column >= lo)
        if hi is not None:
            stmt = stmt.where(column < hi)
    if after:
        key = tuple_(col, Case.id)
        stmt = stmt.where(key < after if descending else key > after)
    return list((await session.execute(stmt)).scalars())


async def alert_counts(session: AsyncSession, case_ids: list[uuid.UUID]
                       ) -> dict[uuid.UUID, int]:
    if not case_ids:
        return {}
    rows = await session.execute(select(Alert.case_id, func.count()).where(
        Alert.case_id.in_(case_ids)).group_by(Alert.case_id))
    return {case_id: n for case_id, n in rows.all()}


async def alerts_of(session: AsyncSession, case_id: uuid.UUID) -> list[Alert]:
    rows = await session.execute(select(Alert).where(Alert.case_id == case_id)
                                 .order_by(Alert.created_at, Alert.id))
    return list(rows.scalars())


async def stats(session: AsyncSession, *, start: datetime, end: datetime,
                subjects: list[uuid.UUID] | None) -> dict[str, Any]:
    visible = _visible(subjects, None)
    by_status = select(Case.status, func.count()).group_by(Case.status)
    if visible is not None:
        by_status = by_status.where(visible)
    closed = and_(Case.closed_at >= start, Case.closed_at < end)
    if visible is not None:
        closed = and_(closed, visible)
    by_class = select(Case.classification, func.count()).where(closed) \
        .group_by(Case.classification)
    seconds = func.extract("epoch", Case.closed_at - Case.created_at)
    times = select(func.count(), func.avg(seconds),
                   func.percentile_cont(0.5).within_group(seconds)).where(closed)
    count, mean, median = (await session.execute(times)).one()
    return {"by_status": dict((await session.execute(by_status)).all()),
            "by_classification": {k: n for k, n in (await session.execute(by_class)).all()
                                  if k is not None},
            "closed": count, "mean": float(mean) if mean is not None else None,
            "median": float(median) if median is not None else None}


async def open_over_time(session: AsyncSession, *, start: datetime, end: datetime,
                         bucket: str, subjects: list[uuid.UUID] | None
                         ) -> list[tuple[datetime, datetime, int]]:
    """For each bucket (UTC days or ISO weeks) from the one holding `start` to the one holding
    `end`: the cases open at its end (opened before it, not closed by then)."""
    step = text(f"interval '1 {bucket}'")
    series = select(
        func.generate_series(func.date_trunc(bucket, start, "UTC"),
                             func.date_trunc(bucket, end, "UTC"), step)
        .column_valued("bucket_start")).subquery("b")
    bucket_start = series.c.bucket_start
    bucket_end = bucket_start + literal_column(f"interval '1 {bucket}'")
    open_then = and_(Case.created_at < bucket_end,
                     or_(Case.closed_at.is_(None), Case.closed_at >= bucket_end))
    if (visible := _visible(subjects, None)) is not None:
        open_then = and_(open_then, visible)
    count = select(func.count()).select_from(Case).where(open_then).scalar_subquery()
    rows = await session.execute(select(bucket_start, bucket_end, count)
                                 .order_by(bucket_start))
    return [(s, e, n) for s, e, n in rows.all()]


async def notes(session: AsyncSession, case_id: uuid.UUID) -> list[Note]:
    rows = await session.execute(select(Note).where(Note.case_id == case_id)
                                 .order_by(Note.created_at, Note.id))
    return list(rows.scalars())
