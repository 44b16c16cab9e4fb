from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.cases.alerts import service
from services.cases.alerts.schemas import (
    AlertBulkDismiss,
    AlertBulkResult,
    AlertConfirm,
    AlertDismiss,
    AlertPage,
    AlertRead,
    AlertStatus,
    Severity,
)
from services.kit.deps import Caller, RuntimeDep, UoW, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["alerts"])
Reader = Annotated[Caller, require_scoped("alerts", "read")]
Writer = Annotated[Caller, require_scoped("alerts", "write")]


@router.get("/alerts", operation_id="alerts:list", response_model=AlertPage,
            responses=problem_responses(401, 403, 422))
async def list_alerts(uow: UoW, caller: Reader, status: AlertStatus | None = None,
                      severity: Severity | None = None, cursor: str | None = None,
                      limit: Annotated[int, Query(ge=1, le=200)] = 50) -> AlertPage:
    """The alert queue, newest first, filtered by status and severity; a scoped reviewer
    sees only alerts about people of their departments or regions."""
    return await service.list_alerts(uow, caller.scope, status=status, severity=severity,
                                     cursor=cursor, limit=limit)


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
    return AlertRead.model_validate(await service.get_alert(uow, alert_id, caller.scope))


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
