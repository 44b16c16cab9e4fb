"""The SIEM export feed: every change of an alert, in commit order, resumable by cursor, in
OpenIRM's schema or as the reference product's Office 365 alert records."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.feeds import repository as repo
from services.cases.feeds.schemas import AlertChangeRead, FeedFormat, O365AlertRecord
from services.kit import feed
from services.kit.db import Database, UnitOfWork
from services.kit.feed import parse_cursor
from services.kit.live import AlertRaised, AlertUpdated, publish_after_commit
from services.kit.pagination import encode_cursor
from services.kit.scopes import AccessScope

STREAM_CHUNK_ROWS = 1000

O365_STATUS = {"needs_review": "Active", "confirmed": "Investigating",
               "resolved": "Resolved", "dismissed": "Dismissed"}
O365_OPERATION = {"created": "AlertTriggered", "updated": "AlertUpdated"}
O365_COMMENTS = {"created": "New alert", "updated": "Alert updated"}


async def record_alert_change(session: AsyncSession, alert: Any, operation: str, *,
                              event: str | None = None) -> None:
    """Append the alert's new state to the change log, in the caller's transaction: called
    wherever an alert is raised (`created`) or changes (`updated`). In the same transaction
    the webhook event is written (`event` names it when the change itself does not tell,
    e.g. `alert.triaged` for a send-for-review that keeps the status) and the person's risk
    level is recomputed; the live notice for subscriptions goes out after commit."""
    from services.cases.risk_levels.service import recompute
    from services.cases.webhooks.events import alert_changed

    await session.flush()
    previous, row = await repo.record(session, alert.id, operation)
    await alert_changed(session, row, None if operation == "created" else previous, event)
    await recompute(session, row.subject_id)
    notice = AlertRaised if operation == "created" else AlertUpdated
    publish_after_commit(session, notice(
        alert_id=row.alert_id, subject_id=row.subject_id, policy_id=row.policy_id,
        status=row.status, severity=row.severity, operation=operation))


def _openirm(row: Any) -> AlertChangeRead:
    return AlertChangeRead(
        change_id=row.seq, operation=row.operation, changed_at=row.changed_at,
        alert_id=row.alert_id, subject_id=row.subject_id, alias=row.alias,
        policy_id=row.policy_id, policy_name=row.policy_name, status=row.status,
        severity=row.severity, score=row.score, case_id=row.case_id,
        detected_at=row.detected_at,
        risk_factors=list(row.explanation.get("risk_factors") or []),
        explanation=row.explanation)


def _o365_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _o365(row: Any, organization_id: uuid.UUID) -> O365AlertRecord:
    change = _openirm(row)
    data = change.model_dump(mode="json", exclude={"explanation"}) | {
        "explanation": row.explanation}
    return O365AlertRecord(
        Id=uuid.uuid5(organization_id, f"alert_change:{row.seq}"),
        CreationTime=_o365_time(row.changed_at),
        Operation=O365_OPERATION[row.operation],
        OrganizationId=organization_id,
        UserType=0,
        UserKey=str(row.subject_id),
        UserId=row.alias,
        Workload="SecurityComplianceCenter",
        ResultStatus="Succeeded",
        ObjectId=str(row.alert_id),
        Version=1,
        AlertId=row.alert_id,
        AlertType="Custom",
        Name=row.policy_name,
        PolicyId=row.policy_id,
        Status=O365_STATUS[row.status],
        Severity=row.severity.capitalize(),
        Category="InsiderRiskManagement",
        Source="OpenIRM",
        Comments=O365_COMMENTS[row.operation],
        Data=json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        EntityType="User",
        AlertEntityId=row.alias)


def _encoder(fmt: FeedFormat, organization_id: uuid.UUID):
    if fmt is FeedFormat.O365:
        return lambda row: _o365(row, organization_id)
    return _openirm


def _cursor_of(row: Any) -> str:
    return encode_cursor([int(row.xid), row.seq])


async def page(uow: UnitOfWork, scope: AccessScope, *, cursor: str | None, limit: int,
               fmt: FeedFormat, organization_id: uuid.UUID) -> bytes:
    """An AlertFeedPage as JSON: up to `limit` changes after the cursor."""
    after = parse_cursor(cursor)
    rows = await repo.page(uow.session, after=after, limit=limit,
                           subjects=scope.subject_list())
    encode = _encoder(fmt, organization_id)
    items = [encode(r).model_dump(mode="json") for r in rows]
    nxt = _cursor_of(rows[-1]) if rows else cursor
    return json.dumps({"items": items, "next_cursor": nxt}, separators=(",", ":"),
                      ensure_ascii=False).encode()


async def stream(db: Database, scope: AccessScope, *, cursor: str | None, fmt: FeedFormat,
                 organization_id: uuid.UUID, chunk_rows: int = STREAM_CHUNK_ROWS
                 ) -> feed.Stream:
    """Every change after the cursor up to the newest finished one at this moment, as NDJSON
    (services/kit/feed.py)."""
    encode = _encoder(fmt, organization_id)
    return await feed.stream(db, cursor, read_head=repo.head,
                             read_page=partial(repo.page, subjects=scope.subject_list()),
                             encode=lambda r: encode(r).model_dump_json().encode(),
                             chunk_rows=chunk_rows)
