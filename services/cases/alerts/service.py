"""The alert queue: alerts arrive from scoring's candidate feed; reviewers triage them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_core import to_json
from sqlalchemy import func

from services.cases.alerts import assistant
from services.cases.alerts import repository as repo
from services.cases.alerts.exceptions import AlertNotFound, AlertNotOpen
from services.cases.alerts.schemas import (
    AlertBrief,
    AlertBulkDismiss,
    AlertBulkResult,
    AlertConfirm,
    AlertCounts,
    AlertDismiss,
    AlertQuery,
    AlertRead,
    AlertRefusal,
    AlertReview,
    AlertSort,
    AlertStatus,
    AlertVersion,
    Bucket,
    OpenOverTime,
    OpenPoint,
    RelatedAlerts,
    RelatedGroup,
    Severity,
    SortOrder,
)
from services.cases.cases import service as case_service
from services.cases.feeds.service import record_alert_change
from services.cases.models import Alert
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.errors import InvalidInput, InvalidParam
from services.kit.pagination import decode_cursor, encode_cursor
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope

MAX_BUCKETS = 400
RELATED_LIMIT = 500


# The stored fields an AlertRead shows as they are.
STORED = ("id", "policy_id", "policy_name", "subject_id", "alias", "status", "severity", "score",
          "explanation", "case_id", "dismiss_reason", "dismiss_comment", "created_at",
          "updated_at", "risk_factors", "sla_due_at", "triaged_at", "reviewer_id",
          "review_requested_by", "review_requested_at", "review_comment", "related_count")


def item(a: dict[str, Any], case_status: str | None, as_of: datetime,
          sla: int | None = None) -> dict[str, Any]:
    """The queue's view of an alert (an AlertRead as plain data): its stored fields plus what
    the assistant derives."""
    if sla is None:
        sla = assistant.sla_points(a["status"], a["created_at"], a["sla_due_at"], as_of)
    total, parts = assistant.priority(a["severity"], a["score"], a["risk_factors"],
                                      a["related_count"], sla)
    return {k: a[k] for k in STORED} | {
        "case_status": case_status,
        "sla_breached": a["status"] == "needs_review" and a["sla_due_at"] < as_of,
        "summary": assistant.summary(a["explanation"], a["severity"], a["score"],
                                     a["policy_name"]),
        "priority": total, "priority_components": parts}


def to_read(alert: Alert, case_status: str | None, as_of: datetime) -> AlertRead:
    return AlertRead.model_validate(item({k: getattr(alert, k) for k in STORED}, case_status,
                                          as_of))


async def _read(uow: UnitOfWork, alert: Alert) -> AlertRead:
    await uow.session.refresh(alert)
    return to_read(alert, await repo.case_status(uow.session, alert.case_id), datetime.now(UTC))


def _invalid(field: str, reason: str, code: str = "invalid_input") -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", code=code,
                        extra={"invalid_params": [InvalidParam(field=field, reason=reason)]})


def _filter(caller: Caller, q: AlertQuery) -> repo.QueueFilter:
    reviewer_id, nobody = None, False
    if q.reviewer == "me":
        kind, _, raw = caller.principal.subject.partition(":")
        try:
            reviewer_id = uuid.UUID(raw) if kind == "user" else None
        except ValueError:
            reviewer_id = None
        nobody = reviewer_id is None
    elif q.reviewer:
        try:
            reviewer_id = uuid.UUID(q.reviewer)
        except ValueError:
            raise _invalid("reviewer", "'me' or a staff account id") from None
    if q.detected_from and q.detected_to and q.detected_from >= q.detected_to:
        raise _invalid("detected_to", "must be after detected_from")
    return repo.QueueFilter(
        statuses=[s.value for s in q.status or []], severities=[s.value for s in q.severity or []],
        policy_ids=q.policy_id, detected_from=q.detected_from, detected_to=q.detected_to,
        risk_factors=[f.value for f in q.risk_factor or []], reviewer_id=reviewer_id,
        nobody=nobody, sla_breached=q.sla_breached, subjects=caller.scope.subject_list())


def _cursor_values(sort: AlertSort, raw: list[Any]) -> list[Any]:
    """Typed keyset values of a cursor, or 422."""
    try:
        tail = [datetime.fromisoformat(raw[-2]), uuid.UUID(raw[-1])]
        if sort is AlertSort.DETECTED:
            return tail
        if sort is AlertSort.SLA_DUE:
            return [datetime.fromisoformat(raw[0]), *tail]
        if not isinstance(raw[0], int) or isinstance(raw[0], bool):
            raise TypeError("not an integer")
        return [raw[0], *tail]
    except (TypeError, ValueError, IndexError):
        raise _invalid("cursor", "not a cursor of this list", "invalid_cursor") from None


async def list_alerts(uow: UnitOfWork, caller: Caller, q: AlertQuery, *, sort: AlertSort,
                      order: SortOrder | None, cursor: str | None, limit: int) -> bytes:
    """An AlertPage as JSON (built as plain data, not validated twice). Keyset pages on
    (sort value, detection time, id). The priority moves with time (its SLA part), so the
    cursor carries the moment the first page was computed at: every page of one walk sorts
    by the same values."""
    descending = (order or (SortOrder.ASC if sort is AlertSort.SLA_DUE else SortOrder.DESC)
                  ) is SortOrder.DESC
    arity = 5 if sort is AlertSort.DETECTED else 6
    raw = decode_cursor(cursor, arity)
    as_of, after = datetime.now(UTC), None
    if raw is not None:
        if raw[0] != sort.value or raw[1] != ("desc" if descending else "asc"):
            raise _invalid("cursor", "made for another sort or order", "invalid_cursor")
        try:
            as_of = datetime.fromisoformat(raw[2])
        except (TypeError, ValueError):
            raise _invalid("cursor", "not a cursor of this list", "invalid_cursor") from None
        if as_of.tzinfo is None:
            raise _invalid("cursor", "not a cursor of this list", "invalid_cursor")
        after = _cursor_values(sort, raw[3:])
    rows = await repo.queue_page(uow.session, _filter(caller, q), sort=sort.value,
                                 descending=descending, as_of=as_of, after=after,
                                 limit=limit + 1)
    items = [item(r._mapping, r.case_status, as_of, r.sla_points) for r in rows[:limit]]
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        lead = [] if sort is AlertSort.DETECTED else [
            last.sort_value.isoformat() if isinstance(last.sort_value, datetime)
            else int(last.sort_value)]
        nxt = encode_cursor([sort.value, "desc" if descending else "asc", as_of.isoformat(),
                             *lead, last.created_at.isoformat(), str(last.id)])
    return to_json({"items": items, "next_cursor": nxt})


async def counts(uow: UnitOfWork, caller: Caller, q: AlertQuery) -> AlertCounts:
    rows = await repo.counts(uow.session, _filter(caller, q), datetime.now(UTC))
    by_severity = dict.fromkeys(Severity, 0)
    by_status = dict.fromkeys(AlertStatus, 0)
    for status, severity, n in rows:
        by_status[AlertStatus(status)] += n
        by_severity[Severity(severity)] += n
    return AlertCounts(total=sum(by_status.values()), by_severity=by_severity,
                       by_status=by_status)


def buckets(start: datetime | None, end: datetime | None, bucket: Bucket
            ) -> tuple[datetime, datetime, int, int]:
    """(first bucket's start, end, bucket seconds, number of buckets): buckets start at UTC
    midnight (weeks on Monday); the default window is the last 30 days."""
    end = end or datetime.now(UTC)
    for name, value in (("from", start), ("to", end)):
        if value is not None and not 1900 <= value.year <= 9000:
            raise _invalid(name, "must be between the years 1900 and 9000")
    start = start or end - timedelta(days=30)
    if start >= end:
        raise _invalid("to", "must be after from")
    first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    step = timedelta(days=7 if bucket is Bucket.WEEK else 1)
    if bucket is Bucket.WEEK:
        first -= timedelta(days=first.weekday())
    n = -(-(end - first) // step)
    if n > MAX_BUCKETS:
        raise _invalid("from", f"at most {MAX_BUCKETS} buckets")
    return first, end, int(step.total_seconds()), n


def running_counts(hist: dict[int, int], first: datetime, end: datetime, step_s: int,
                   n: int) -> list[OpenPoint]:
    """Counts at each bucket's end from +1/-1 events by bucket (-1: before the first)."""
    running, points = hist.get(-1, 0), []
    for k in range(n):
        running += hist.get(k, 0)
        b_start = first + timedelta(seconds=k * step_s)
        points.append(OpenPoint(start=b_start,
                                end=min(end, b_start + timedelta(seconds=step_s)),
                                open=running))
    return points


async def open_over_time(uow: UnitOfWork, caller: Caller, q: AlertQuery, *,
                         start: datetime | None, end: datetime | None,
                         bucket: Bucket) -> OpenOverTime:
    """Alerts in needs_review at the end of each bucket: detected by then and not yet
    triaged by then (the alert change log's first change out of needs_review)."""
    first, end, step_s, n = buckets(start, end, bucket)
    f = _filter(caller, q.model_copy(update={"status": None, "sla_breached": None}))
    hist = await repo.open_histogram(uow.session, f, first, end, step_s)
    return OpenOverTime(bucket=bucket, points=running_counts(hist, first, end, step_s, n))


async def history(uow: UnitOfWork, alert_id: uuid.UUID, scope: AccessScope
                  ) -> list[AlertVersion]:
    await get_alert(uow, alert_id, scope)
    return [AlertVersion(change_id=c.seq, operation=c.operation, status=c.status,
                         severity=c.severity, score=c.score, case_id=c.case_id,
                         reviewer_id=c.reviewer_id, changed_at=c.changed_at)
            for c in await repo.history(uow.session, alert_id)]


async def related(uow: UnitOfWork, alert_id: uuid.UUID, scope: AccessScope) -> RelatedAlerts:
    alert = await get_alert(uow, alert_id, scope)
    others = await repo.of_subject(uow.session, alert.subject_id, exclude=alert.id,
                                   limit=RELATED_LIMIT)
    groups: dict[tuple[uuid.UUID, str], RelatedGroup] = {}
    for a in others:
        group = groups.setdefault((a.policy_id, a.status), RelatedGroup(
            policy_id=a.policy_id, policy_name=a.policy_name, status=a.status, alerts=[]))
        group.alerts.append(AlertBrief.model_validate(a))
    return RelatedAlerts(subject_id=alert.subject_id, alias=alert.alias, total=len(others),
                         groups=list(groups.values()))


async def _check_reviewer(rt: Runtime, reviewer: uuid.UUID, subject_id: uuid.UUID) -> None:
    """The reviewer is an active staff account that may triage alerts and sees the person
    (asked of identity as this service, never with the caller's token)."""
    subject = f"user:{reviewer}"
    accounts = await rt.identity.request("GET", "/roles/accounts")
    if subject not in {row["subject"] for row in accounts}:
        raise _invalid("reviewer", "no active staff account has this id", "invalid_reviewer")
    if not await rt.authorizer.allowed(subject, "alerts", "write"):
        raise _invalid("reviewer", "this account may not triage alerts", "invalid_reviewer")
    scope = AccessScope.from_wire(await rt.identity.request(
        "GET", "/access/scope", params={"subject": subject}))
    if not scope.sees(subject_id):
        raise _invalid("reviewer", "this account does not see the alert's person",
                       "invalid_reviewer")


async def send_for_review(rt: Runtime, uow: UnitOfWork, caller: Caller, alert_id: uuid.UUID,
                          body: AlertReview) -> AlertRead:
    """Assign an open alert to a named reviewer; it stays in needs_review."""
    actor = caller.principal.subject
    alert = await get_alert(uow, alert_id, caller.scope)
    _require_open(alert)
    await _check_reviewer(rt, body.reviewer, alert.subject_id)
    alert = await get_alert(uow, alert_id, caller.scope, for_update=True)
    await uow.session.refresh(alert)
    _require_open(alert)
    before = {"reviewer_id": str(alert.reviewer_id) if alert.reviewer_id else None}
    alert.reviewer_id, alert.review_comment = body.reviewer, body.comment
    alert.review_requested_by, alert.review_requested_at = actor, func.now()
    alert.updated_at = func.now()
    await uow.session.flush()
    await record_alert_change(uow.session, alert, "updated", event="alert.triaged")
    await rt.audit.record(uow.session, actor=actor, action="alert.review.request",
                          target=f"alert:{alert.id}",
                          detail={"before": before,
                                  "after": {"reviewer_id": str(body.reviewer),
                                            "comment": body.comment}})
    return await _read(uow, alert)


async def get_alert(uow: UnitOfWork, alert_id: uuid.UUID, scope: AccessScope, *,
                    for_update: bool = False) -> Alert:
    """An alert about someone outside the caller's scope does not exist for them."""
    alert = await repo.get(uow.session, alert_id, for_update=for_update)
    if alert is None or not scope.sees(alert.subject_id):
        raise AlertNotFound("no such alert")
    return alert


async def read_alert(uow: UnitOfWork, alert_id: uuid.UUID, scope: AccessScope) -> AlertRead:
    alert = await get_alert(uow, alert_id, scope)
    return to_read(alert, await repo.case_status(uow.session, alert.case_id), datetime.now(UTC))


def _require_open(alert: Alert) -> None:
    if alert.status != "needs_review":
        raise AlertNotOpen(f"alert is already {alert.status}",
                           extra={"current_status": alert.status})


async def confirm(rt: Runtime, uow: UnitOfWork, caller: Caller, alert_id: uuid.UUID,
                  body: AlertConfirm) -> AlertRead:
    """Confirm into a new case, or into an existing active case about the same person."""
    actor = caller.principal.subject
    alert = await get_alert(uow, alert_id, caller.scope, for_update=True)
    _require_open(alert)
    if body.case_id:
        case = await case_service.get_active_for_subject(uow, body.case_id, alert.subject_id,
                                                         caller.scope)
    else:
        title = body.title or f"{alert.policy_name}: {alert.alias}"
        case = await case_service.open_case(rt, uow, actor, title, alert.subject_id, alert.alias,
                                            policy_ids=[alert.policy_id])
    alert.status, alert.case_id, alert.updated_at = "confirmed", case.id, func.now()
    await uow.session.flush()
    await record_alert_change(uow.session, alert, "updated")
    if body.case_id:  # a new case was told of as opened
        case_service.case_updated(uow, case, "alert_added")
    await rt.audit.record(uow.session, actor=actor, action="alert.confirm",
                          target=f"alert:{alert.id}",
                          detail={"before": {"status": "needs_review"},
                                  "after": {"status": "confirmed", "case_id": str(case.id)}})
    return await _read(uow, alert)


async def dismiss(rt: Runtime, uow: UnitOfWork, caller: Caller, alert_id: uuid.UUID,
                  body: AlertDismiss) -> AlertRead:
    alert = await get_alert(uow, alert_id, caller.scope, for_update=True)
    _require_open(alert)
    return await _dismiss(rt, uow, caller.principal.subject, alert, body)


async def dismiss_many(rt: Runtime, uow: UnitOfWork, caller: Caller, body: AlertBulkDismiss
                       ) -> AlertBulkResult:
    """Dismiss up to 400 alerts with one reason. Rows are locked in id order (no deadlock
    with another bulk call); an alert missing, out of the caller's scope or not open is
    refused on its own and the others still go."""
    wanted = sorted(set(body.alert_ids))
    found = {a.id: a for a in await repo.lock_many(uow.session, wanted)}
    result = AlertBulkResult(dismissed=[], refused=[])
    for alert_id in wanted:
        alert = found.get(alert_id)
        if alert is None or not caller.scope.sees(alert.subject_id):
            result.refused.append(AlertRefusal(alert_id=alert_id, code="alert_not_found"))
        elif alert.status != "needs_review":
            result.refused.append(AlertRefusal(alert_id=alert_id, code="alert_not_open",
                                               current_status=alert.status))
        else:
            await _dismiss(rt, uow, caller.principal.subject, alert, body)
            result.dismissed.append(alert_id)
    return result


async def _dismiss(rt: Runtime, uow: UnitOfWork, actor: str, alert: Alert,
                   body: AlertDismiss) -> AlertRead:
    alert.status, alert.dismiss_reason = "dismissed", body.reason.value
    alert.dismiss_comment, alert.updated_at = body.comment, func.now()
    await uow.session.flush()
    await record_alert_change(uow.session, alert, "updated")
    await rt.audit.record(uow.session, actor=actor, action="alert.dismiss",
                          target=f"alert:{alert.id}",
                          detail={"before": {"status": "needs_review"},
                                  "after": {"status": "dismissed", "reason": body.reason.value,
                                            "comment": body.comment}})
    return await _read(uow, alert)


async def apply_candidate(rt: Runtime, uow: UnitOfWork, c: dict) -> str:
    """Idempotent upsert of one alert candidate: update the open alert for this policy and
    person if the candidate is newer, open a new alert if none is open, else ignore."""
    policy_id, subject_id = uuid.UUID(c["policy_id"]), uuid.UUID(c["subject_id"])
    existing = await repo.open_or_newer(uow.session, policy_id, subject_id, c["version"])
    if any(a.score_version >= c["version"] for a in existing):
        return "ignored"
    open_alert = next((a for a in existing if a.status == "needs_review"), None)
    factors = assistant.risk_factors(c["explanation"])
    fields = {"score": c["score"], "severity": c["severity"], "score_version": c["version"],
              "explanation": c["explanation"], "alias": c["alias"],
              "policy_name": c["policy_name"], "risk_factors": factors,
              "priority_base": assistant.priority_base(c["severity"], c["score"], factors)}
    if open_alert:
        before = {"score": open_alert.score, "severity": open_alert.severity}
        for key, value in fields.items():
            setattr(open_alert, key, value)
        open_alert.updated_at = func.now()
        await record_alert_change(uow.session, open_alert, "updated")
        await rt.audit.record(uow.session, actor="service:scoring", action="alert.update",
                              target=f"alert:{open_alert.id}",
                              detail={"before": before, "after": {"score": c["score"],
                                                                  "severity": c["severity"]}})
        return "updated"
    alert = Alert(policy_id=policy_id, subject_id=subject_id, status="needs_review", **fields)
    uow.session.add(alert)
    await uow.session.flush()
    await repo.link_related(uow.session, alert)
    await record_alert_change(uow.session, alert, "created")
    await rt.audit.record(uow.session, actor="service:scoring", action="alert.raise",
                          target=f"alert:{alert.id}",
                          detail={"policy_id": c["policy_id"], "score": c["score"],
                                  "severity": c["severity"]})
    return "created"
