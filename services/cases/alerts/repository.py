from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Interval,
    Select,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.alerts.assistant import (
    RELATED_POINTS_EACH,
    RELATED_POINTS_MAX,
    SLA_POINTS_MAX,
)
from services.cases.models import Alert, AlertChange, Case


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


# --- The queue: filters, sorts and keyset pages (docs/triage.md) ------------------------------

OPEN = "needs_review"
SEVERITY_RANK = case({"high": 3, "medium": 2, "low": 1}, value=Alert.severity, else_=0)


# The moment the queue is computed at: a parameter of each statement ({"as_of": ...}), so
# the expressions below are built once and their SQL compiled once.
AS_OF = bindparam("as_of", type_=DateTime(timezone=True))
# As assistant.sla_points, in SQL: 15 x the share of the SLA elapsed at `as_of`. date_part
# gives double precision (extract's numeric is several times slower to sort by).
SLA_POINTS = case(
    (and_(Alert.status == OPEN, Alert.sla_due_at > Alert.created_at),
     cast(func.floor(SLA_POINTS_MAX * func.least(1.0, func.greatest(0.0, func.date_part(
         "epoch", AS_OF - Alert.created_at) / func.date_part(
         "epoch", Alert.sla_due_at - Alert.created_at)))), Integer)), else_=0)
PRIORITY = (Alert.priority_base
            + func.least(RELATED_POINTS_MAX, RELATED_POINTS_EACH * Alert.related_count)
            + SLA_POINTS)
SORT_KEYS: dict[str, ColumnElement | None] = {
    "detected": None, "severity": SEVERITY_RANK, "score": Alert.score, "priority": PRIORITY,
    "sla_due": Alert.sla_due_at}


@dataclass(frozen=True)
class QueueFilter:
    statuses: list[str] | None = None
    severities: list[str] | None = None
    policy_ids: list[uuid.UUID] | None = None
    detected_from: datetime | None = None
    detected_to: datetime | None = None
    risk_factors: list[str] | None = None
    reviewer_id: uuid.UUID | None = None
    nobody: bool = False  # `reviewer=me` from a caller that is no staff account
    sla_breached: bool | None = None
    subjects: list[uuid.UUID] | None = None


def _where(stmt: Select, f: QueueFilter) -> Select:
    if f.subjects is not None:
        stmt = stmt.where(Alert.subject_id.in_(f.subjects))
    if f.statuses:
        stmt = stmt.where(Alert.status.in_(f.statuses))
    if f.severities:
        stmt = stmt.where(Alert.severity.in_(f.severities))
    if f.policy_ids:
        stmt = stmt.where(Alert.policy_id.in_(f.policy_ids))
    if f.detected_from:
        stmt = stmt.where(Alert.created_at >= f.detected_from)
    if f.detected_to:
        stmt = stmt.where(Alert.created_at < f.detected_to)
    if f.risk_factors:
        stmt = stmt.where(Alert.risk_factors.contains(sorted(set(f.risk_factors))))
    if f.nobody:
        stmt = stmt.where(false())
    elif f.reviewer_id:
        stmt = stmt.where(Alert.reviewer_id == f.reviewer_id)
    if f.sla_breached is not None:
        breached = and_(Alert.status == OPEN, Alert.sla_due_at < AS_OF)
        stmt = stmt.where(breached if f.sla_breached else not_(breached))
    return stmt


SEVERITY_BY_RANK = {3: "high", 2: "medium", 1: "low"}


def _select(sort_value: ColumnElement) -> Select:
    return select(*Alert.__table__.c, Case.status.label("case_status"),
                  SLA_POINTS.label("sla_points"), PRIORITY.label("priority"),
                  sort_value.label("sort_value")
                  ).outerjoin(Case, Case.id == Alert.case_id)


def _keyset(stmt: Select, keys: list[ColumnElement], after: list[Any] | None,
            descending: bool) -> Select:
    if after is not None:
        row, bound = tuple_(*keys), tuple_(*[literal(v) for v in after])
        stmt = stmt.where(row < bound if descending else row > bound)
    return stmt.order_by(*[k.desc() if descending else k.asc() for k in keys])


async def queue_page(session: AsyncSession, f: QueueFilter, *, sort: str, descending: bool,
                     as_of: datetime, after: list[Any] | None, limit: int) -> list[Any]:
    """Rows of the alert's columns plus case_status, sla_points, priority and sort_value,
    keyset-paged on (sort value, created_at, id) in one direction (plain rows: no ORM
    objects for a page that is only read). Each sort walks an index: by severity one
    severity after the other; by priority (which moves with time, so no index holds it) a
    narrow pass over a covering index picks the page's ids first."""
    if sort == "severity":
        return await _by_severity(session, f, descending=descending, as_of=as_of,
                                  after=after, limit=limit)
    lead = SORT_KEYS[sort]
    keys = [Alert.created_at, Alert.id] if lead is None else [lead, Alert.created_at, Alert.id]
    at = {"as_of": as_of}
    if sort == "priority":
        inner = _keyset(_where(select(Alert.id.label("pid"), PRIORITY.label("p"),
                                      Alert.created_at.label("pat")), f),
                        [PRIORITY, Alert.created_at, Alert.id], after, descending
                        ).limit(limit).subquery()
        stmt = _select(inner.c.p).join(inner, inner.c.pid == Alert.id)
        order = [inner.c.p, inner.c.pat, inner.c.pid]
        stmt = stmt.order_by(*[k.desc() if descending else k.asc() for k in order])
        return list((await session.execute(stmt, at)).all())
    stmt = _where(_select(lead if lead is not None else Alert.created_at), f)
    stmt = _keyset(stmt, keys, after, descending).limit(limit)
    return list((await session.execute(stmt, at)).all())


async def _by_severity(session: AsyncSession, f: QueueFilter, *, descending: bool,
                       as_of: datetime, after: list[Any] | None, limit: int) -> list[Any]:
    ranks = sorted(SEVERITY_BY_RANK, reverse=descending)
    start = after[0] if after is not None else None
    rows: list[Any] = []
    for rank in ranks:
        severity = SEVERITY_BY_RANK[rank]
        if start is not None and (rank > start if descending else rank < start):
            continue
        if f.severities and severity not in f.severities:
            continue
        one = QueueFilter(**{**f.__dict__, "severities": [severity]})
        stmt = _where(_select(literal(rank, Integer)), one)
        tail = after[1:] if after is not None and rank == start else None
        stmt = _keyset(stmt, [Alert.created_at, Alert.id], tail, descending)
        rows += (await session.execute(stmt.limit(limit - len(rows)),
                                       {"as_of": as_of})).all()
        if len(rows) >= limit:
            break
    return rows


async def counts(session: AsyncSession, f: QueueFilter, as_of: datetime
                 ) -> list[tuple[str, str, int]]:
    stmt = _where(select(Alert.status, Alert.severity, func.count()), f)
    rows = await session.execute(stmt.group_by(Alert.status, Alert.severity), {"as_of": as_of})
    return [(r[0], r[1], r[2]) for r in rows.all()]


async def open_histogram(session: AsyncSession, f: QueueFilter, start: datetime,
                         end: datetime, step_s: int) -> dict[int, int]:
    """Openings (detections) minus closings (first triage) by bucket k, for
    (start + k*step, start + (k+1)*step] up to `end`, and under -1 the alerts open at
    `start`. Each figure is an index range count, so the cost follows the window's activity
    and the alerts open at its start, not the whole history."""
    n = max(1, -(-int((end - start).total_seconds()) // step_s))
    k = func.generate_series(0, n - 1).table_valued("k").render_derived(name="b")
    tz = DateTime(timezone=True)
    at0 = cast(literal(start, tz), tz)
    step = cast(literal(timedelta(seconds=step_s), Interval), Interval)
    lo, hi = at0 + k.c.k * step, func.least(cast(literal(end, tz), tz),
                                             at0 + (k.c.k + 1) * step)
    opened = _where(select(func.count()).where(Alert.created_at > lo, Alert.created_at <= hi), f)
    closed = _where(select(func.count()).where(Alert.triaged_at > lo, Alert.triaged_at <= hi), f)
    stmt = select(k.c.k, opened.scalar_subquery() - closed.scalar_subquery())
    out = {int(i): int(d) for i, d in (await session.execute(stmt, {"as_of": end})).all()}
    # Open at `start`: still open now, or triaged only after it.
    still_open = _where(select(func.count()).where(Alert.status == OPEN,
                                                    Alert.created_at <= start), f)
    later = _where(select(func.count()).where(Alert.triaged_at > start,
                                               Alert.created_at <= start), f)
    before = select(still_open.scalar_subquery() + later.scalar_subquery())
    out[-1] = int((await session.execute(before, {"as_of": end})).scalar() or 0)
    return out


async def _histogram(session: AsyncSession, before: Select, events: Any, start: datetime,
                     step_s: int, params: dict[str, Any] | None = None) -> dict[int, int]:
    at0 = literal(start, DateTime(timezone=True))
    bucket = cast(func.ceil(func.date_part("epoch", events.c.at - at0) / step_s), Integer) - 1
    rows = await session.execute(select(bucket.label("b"), func.sum(events.c.d))
                                 .group_by(text("b")), params)
    out = {int(b): int(n) for b, n in rows.all()}
    out[-1] = int((await session.execute(before, params)).scalar() or 0)
    return out


async def case_histogram(session: AsyncSession, subjects: list[uuid.UUID] | None,
                         start: datetime, end: datetime, step_s: int) -> dict[int, int]:
    """As open_histogram, for cases: +1 when opened, -1 when closed."""
    def scoped(stmt: Select) -> Select:
        return stmt if subjects is None else stmt.where(Case.subject_id.in_(subjects))

    before = select(
        scoped(select(func.count()).where(Case.created_at <= start)).scalar_subquery()
        - scoped(select(func.count()).where(Case.closed_at <= start)).scalar_subquery())
    opened = scoped(select(Case.created_at.label("at"), literal(1).label("d")).where(
        Case.created_at > start, Case.created_at <= end))
    closed = scoped(select(Case.closed_at.label("at"), literal(-1).label("d")).where(
        Case.closed_at > start, Case.closed_at <= end))
    return await _histogram(session, before, union_all(opened, closed).subquery(), start,
                            step_s)


async def history(session: AsyncSession, alert_id: uuid.UUID) -> list[AlertChange]:
    rows = await session.execute(select(AlertChange).where(AlertChange.alert_id == alert_id)
                                 .order_by(AlertChange.seq))
    return list(rows.scalars())


async def of_subject(session: AsyncSession, subject_id: uuid.UUID, *, exclude: uuid.UUID,
                     limit: int) -> list[Alert]:
    rows = await session.execute(
        select(Alert).where(Alert.subject_id == subject_id, Alert.id != exclude)
        .order_by(Alert.policy_name, Alert.policy_id, Alert.status, Alert.created_at.desc(),
                  Alert.id).limit(limit))
    return list(rows.scalars())


async def link_related(session: AsyncSession, alert: Alert) -> None:
    """A new alert: count the person's other alerts on it, and one more on each of those."""
    result = await session.execute(
        update(Alert).where(Alert.subject_id == alert.subject_id, Alert.id != alert.id)
        .values(related_count=Alert.related_count + 1))
    alert.related_count = result.rowcount or 0


async def case_status(session: AsyncSession, case_id: uuid.UUID | None) -> str | None:
    if case_id is None:
        return None
    return (await session.execute(select(Case.status).where(Case.id == case_id))).scalar()
