from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime

from services.cases.alerts import service
from services.cases.alerts.assistant import RiskFactor
from services.cases.alerts.schemas import (
    AlertBulkDismiss,
    AlertBulkResult,
    AlertConfirm,
    AlertCounts,
    AlertDismiss,
    AlertPage,
    AlertQuery,
    AlertRead,
    AlertReview,
    AlertSort,
    AlertStatus,
    AlertVersion,
    Bucket,
    OpenOverTime,
    RelatedAlerts,
    Severity,
    SortOrder,
)
from services.kit.deps import Caller, RuntimeDep, UoW, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["alerts"])
Reader = Annotated[Caller, require_scoped("alerts", "read")]
Writer = Annotated[Caller, require_scoped("alerts", "write")]


def alert_query(
    status: Annotated[list[AlertStatus] | None, Query(description="Any of these.")] = None,
    severity: Annotated[list[Severity] | None, Query(description="Any of these.")] = None,
    policy_id: Annotated[list[uuid.UUID] | None, Query(description="Any of these.")] = None,
    detected_from: Annotated[AwareDatetime | None, Query(
        description="Detected at or after (with a time zone).")] = None,
    detected_to: Annotated[AwareDatetime | None, Query(
        description="Detected before (with a time zone).")] = None,
    risk_factor: Annotated[list[RiskFactor] | None, Query(
        description="All of these.")] = None,
    reviewer: Annotated[str | None, Query(
        max_length=64, description="`me`, or the staff account id it was sent to.")] = None,
    sla_breached: Annotated[bool | None, Query(
        description="Still needs review past its SLA due time (or not).")] = None,
) -> AlertQuery:
    return AlertQuery(status=status, severity=severity, policy_id=policy_id,
                      detected_from=detected_from, detected_to=detected_to,
                      risk_factor=risk_factor, reviewer=reviewer, sla_breached=sla_breached)


Filters = Annotated[AlertQuery, Depends(alert_query)]


@router.get("/alerts", operation_id="alerts:list", response_model=AlertPage,
            responses=problem_responses(401, 403, 422))
async def list_alerts(uow: UoW, caller: Reader, q: Filters,
                      sort: AlertSort = AlertSort.DETECTED,
                      order: Annotated[SortOrder | None, Query(
                          description="Default desc; asc for sla_due (soonest first).")
                      ] = None,
                      cursor: str | None = None,
                      limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    """The alert queue: filtered, sorted (newest detected first by default), keyset-paged;
    a scoped reviewer sees only alerts about people of their departments or regions."""
    body = await service.list_alerts(uow, caller, q, sort=sort, order=order, cursor=cursor,
                                     limit=limit)
    return Response(body, media_type="application/json")


@router.get("/alerts/counts", operation_id="alerts:counts", response_model=AlertCounts,
            responses=problem_responses(401, 403, 422))
async def count_alerts(uow: UoW, caller: Reader, q: Filters) -> AlertCounts:
    """How many alerts match the queue's filters, by severity and by status."""
    return await service.counts(uow, caller, q)


@router.get("/alerts/open-over-time", operation_id="alerts:open_over_time",
            response_model=OpenOverTime, responses=problem_responses(401, 403, 422))
async def open_over_time(uow: UoW, caller: Reader, q: Filters,
                         from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
                         to: AwareDatetime | None = None,
                         bucket: Bucket = Bucket.DAY) -> OpenOverTime:
    """Alerts in needs_review at the end of each day or week (default: the last 30 days);
    the status and sla_breached filters do not apply."""
    return await service.open_over_time(uow, caller, q, start=from_, end=to, bucket=bucket)


@router.post("/alerts/dismiss", operation_id="alerts:dismiss_many",
             response_model=AlertBulkResult, responses=problem_responses(401, 403, 422))
async def dismiss_alerts(rt: RuntimeDep, uow: UoW, body: AlertBulkDismiss,
                         caller: Writer) -> AlertBulkResult:
    """Dismiss up to 400 alerts at once with one reason: each is dismissed or refused on its
    own (not found or out of scope; not open, with its current status), one audit row per
    dismissed alert."""
    return await service.dismiss_many(rt, uow, caller, body)


@router.get("/alerts/{alert_id}", operation_id="alerts:get", response_model=AlertRead,
            responses=problem_responses(401, 403, 404))
async def get_alert(uow: UoW, alert_id: uuid.UUID, caller: Reader) -> AlertRead:
    return await service.read_alert(uow, alert_id, caller.scope)


@router.get("/alerts/{alert_id}/history", operation_id="alerts:history",
            response_model=list[AlertVersion], responses=problem_responses(401, 403, 404))
async def alert_history(uow: UoW, alert_id: uuid.UUID, caller: Reader) -> list[AlertVersion]:
    """Every version of the alert, oldest first: raised, updated by new activity (score,
    severity), sent for review, triaged, resolved."""
    return await service.history(uow, alert_id, caller.scope)


@router.get("/alerts/{alert_id}/related", operation_id="alerts:related",
            response_model=RelatedAlerts, responses=problem_responses(401, 403, 404))
async def related_alerts(uow: UoW, alert_id: uuid.UUID, caller: Reader) -> RelatedAlerts:
    """The same person's other alerts under every policy, grouped by policy and status."""
    return await service.related(uow, alert_id, caller.scope)


@router.post("/alerts/{alert_id}/confirm", operation_id="alerts:confirm",
             response_model=AlertRead, responses=problem_responses(401, 403, 404, 409, 422))
async def confirm_alert(rt: RuntimeDep, uow: UoW, alert_id: uuid.UUID, body: AlertConfirm,
                        caller: Writer) -> AlertRead:
    """Confirm the alert into a new case (or an existing active case of the same person)."""
    return await service.confirm(rt, uow, caller, alert_id, body)


@router.post("/alerts/{alert_id}/dismiss", operation_id="alerts:dismiss",
             response_model=AlertRead, responses=problem_responses(401, 403, 404, 409, 422))
async def dismiss_alert(rt: RuntimeDep, uow: UoW, alert_id: uuid.UUID, body: AlertDismiss,
                        caller: Writer) -> AlertRead:
    return await service.dismiss(rt, uow, caller, alert_id, body)


@router.post("/alerts/{alert_id}/review", operation_id="alerts:review",
             response_model=AlertRead, responses=problem_responses(401, 403, 404, 409, 422))
async def send_for_review(rt: RuntimeDep, uow: UoW, alert_id: uuid.UUID, body: AlertReview,
                          caller: Writer) -> AlertRead:
    """Send an open alert to a named reviewer (an active staff account that may triage alerts
    and sees the person); it stays in needs_review, with the reviewer and time recorded."""
    return await service.send_for_review(rt, uow, caller, alert_id, body)
