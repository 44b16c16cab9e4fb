"""Webhook events, written to the outbox in the transaction of the change they tell of and
fanned out there and then to one delivery per matching enabled subscription."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.db import unit_of_work_of
from services.kit.jobs import CASES_QUEUE

DELIVER_JOB = "webhook.deliver"

_EVENT = text("""
    INSERT INTO cases.webhook_event (id, type, policy_ids, subject_id, payload)
    VALUES (:id, :type, :policy_ids, :subject_id, :payload) RETURNING seq
""").bindparams(bindparam("policy_ids", type_=ARRAY(UUID(as_uuid=True))),
                bindparam("payload", type_=JSONB))

# The policy filter is applied here: no delivery is made for another policy's events.
_FAN_OUT = text("""
    INSERT INTO cases.webhook_delivery (id, subscription_id, event_seq, status)
    SELECT gen_random_uuid(), s.id, :seq, 'pending' FROM cases.webhook_subscription AS s
    WHERE s.enabled AND :type = ANY(s.event_types)
      AND (s.policy_ids IS NULL OR s.policy_ids && :policy_ids)
""").bindparams(bindparam("policy_ids", type_=ARRAY(UUID(as_uuid=True))))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


async def emit(session: AsyncSession, type_: str, data: dict[str, Any], *,
               policy_ids: list[uuid.UUID], subject_id: uuid.UUID | None) -> None:
    """Record the event and queue its deliveries; the delivery job is woken after commit."""
    payload = {"type": type_, "timestamp": _jsonable(datetime.now(UTC)),
               "data": _jsonable(data)}
    seq = (await session.execute(_EVENT, {
        "id": uuid.uuid4(), "type": type_, "policy_ids": sorted(set(policy_ids)),
        "subject_id": subject_id, "payload": payload})).scalar_one()
    fanned = await session.execute(_FAN_OUT, {"seq": seq, "type": type_,
                                              "policy_ids": sorted(set(policy_ids))})
    uow = unit_of_work_of(session)
    if fanned.rowcount and uow is not None:
        uow.enqueue_after_commit(CASES_QUEUE, DELIVER_JOB, coalesce_s=0.05)


async def alert_changed(session: AsyncSession, row: Any, previous: Any | None,
                        event: str | None = None) -> None:
    """`row`: the alert as the change log now holds it; `previous`: as it stood before (None
    for a new alert). A new alert is `alert.raised`; a changed status `alert.triaged`; a
    changed score or severity `alert.updated`; nothing else is told."""
    if event is None:
        if previous is None:
            event = "alert.raised"
        elif previous.status != row.status:
            event = "alert.triaged"
        elif (previous.severity, previous.score) != (row.severity, row.score):
            event = "alert.updated"
        else:
            return
    data = {"alert_id": row.alert_id, "policy_id": row.policy_id,
            "policy_name": row.policy_name, "subject_id": row.subject_id, "alias": row.alias,
            "status": row.status, "severity": row.severity, "score": row.score,
            "case_id": row.case_id, "detected_at": row.detected_at,
            "changed_at": row.changed_at,
            "risk_factors": list(row.explanation.get("risk_factors") or []),
            "reviewer_id": row.reviewer_id}
    if previous is not None:
        data["previous"] = {"status": previous.status, "severity": previous.severity,
                            "score": previous.score}
    await emit(session, event, data, policy_ids=[row.policy_id], subject_id=row.subject_id)


async def case_changed(session: AsyncSession, type_: str, case: Any,
                       policy_ids: list[uuid.UUID]) -> None:
    """`case.opened` or `case.closed`; the policies are those of the case's alerts."""
    data = {"case_id": case.id, "subject_id": case.subject_id, "alias": case.alias,
            "status": case.status, "classification": case.classification,
            "created_at": case.created_at, "closed_at": case.closed_at,
            "policy_ids": sorted(set(policy_ids))}
    await emit(session, type_, data, policy_ids=policy_ids, subject_id=case.subject_id)
