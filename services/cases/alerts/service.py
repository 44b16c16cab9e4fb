"""The alert queue: alerts arrive from scoring's candidate feed; reviewers triage them."""

from __future__ import annotations

import uuid

from sqlalchemy import func

from services.cases.alerts import repository as repo
from services.cases.alerts.exceptions import AlertNotFound, AlertNotOpen
from services.cases.alerts.schemas import (
    AlertBulkDismiss,
    AlertBulkResult,
    AlertConfirm,
    AlertDismiss,
    AlertPage,
    AlertRead,
    AlertRefusal,
)
from services.cases.cases import service as case_service
from services.cases.feeds.service import record_alert_change
from services.cases.models import Alert
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.pagination import decode_keyset, encode_keyset
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope


async def list_alerts(uow: UnitOfWork, scope: AccessScope, *, status: str | None,
                      severity: str | None, cursor: str | None, limit: int) -> AlertPage:
    rows = await repo.page(uow.session, status=status, severity=severity,
                           after=decode_keyset(cursor), limit=limit + 1,
                           subjects=scope.subject_list())
    items = [AlertRead.model_validate(a) for a in rows[:limit]]
    nxt = encode_keyset(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return AlertPage(items=items, next_cursor=nxt)


async def get_alert(uow: UnitOfWork, alert_id: uuid.UUID, scope: AccessScope, *,
                    for_update: bool = False) -> Alert:
    """An alert about someone outside the caller's scope does not exist for them."""
    alert = await repo.get(uow.session, alert_id, for_update=for_update)
    if alert is None or not scope.sees(alert.subject_id):
        raise AlertNotFound("no such alert")
    return alert


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
    await uow.session.refresh(alert)
    await rt.audit.record(uow.session, actor=actor, action="alert.confirm",
                          target=f"alert:{alert.id}",
                          detail={"before": {"status": "needs_review"},
                                  "after": {"status": "confirmed", "case_id": str(case.id)}})
    return AlertRead.model_validate(alert)


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
    await uow.session.refresh(alert)
    await rt.audit.record(uow.session, actor=actor, action="alert.dismiss",
                          target=f"alert:{alert.id}",
                          detail={"before": {"status": "needs_review"},
                                  "after": {"status": "dismissed", "reason": body.reason.value,
                                            "comment": body.comment}})
    return AlertRead.model_validate(alert)


async def apply_candidate(rt: Runtime, uow: UnitOfWork, c: dict) -> str:
    """Idempotent upsert of one alert candidate: update the open alert for this policy and
    person if the candidate is newer, open a new alert if none is open, else ignore."""
    policy_id, subject_id = uuid.UUID(c["policy_id"]), uuid.UUID(c["subject_id"])
    existing = await repo.open_or_newer(uow.session, policy_id, subject_id, c["version"])
    if any(a.score_version >= c["version"] for a in existing):
        return "ignored"
    open_alert = next((a for a in existing if a.status == "needs_review"), None)
    fields = {"score": c["score"], "severity": c["severity"], "score_version": c["version"],
              "explanation": c["explanation"], "alias": c["alias"],
              "policy_name": c["policy_name"]}
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
    await record_alert_change(uow.session, alert, "created")
    await rt.audit.record(uow.session, actor="service:scoring", action="alert.raise",
                          target=f"alert:{alert.id}",
                          detail={"policy_id": c["policy_id"], "score": c["score"],
                                  "severity": c["severity"]})
    return "created"
