"""Webhook subscriptions: create (the secret shown once), change, rotate the secret, re-enable,
the delivery log and replay. Every change audited; the secret never is."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func

from services.cases.models import WebhookSubscription
from services.cases.webhooks import repository as repo
from services.cases.webhooks.events import DELIVER_JOB
from services.cases.webhooks.exceptions import (
    DeliveryNotFound,
    WebhookAlreadyEnabled,
    WebhookNotFound,
    WebhookUrlRefused,
)
from services.cases.webhooks.schemas import (
    AttemptRead,
    DeliveryPage,
    DeliveryRead,
    DeliveryStatus,
    Replay,
    ReplayResult,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)
from services.cases.webhooks.signing import new_secret
from services.kit.db import UnitOfWork
from services.kit.jobs import CASES_QUEUE
from services.kit.pagination import decode_keyset, encode_keyset
from services.kit.runtime import Runtime
from services.kit.tokens import Principal

PREVIOUS_SECRET_VALID = timedelta(hours=24)
REPLAY_CAP = 10_000


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_global and not ip.is_multicast


def check_url_shape(url: str, allow_private: bool) -> None:
    """At create and update: http(s) with a host; a literal non-public address or
    `localhost` is refused unless private networks are allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlRefused("the URL must be http or https with a host")
    if parts.username or parts.password:
        raise WebhookUrlRefused("the URL must not carry credentials")
    if allow_private:
        return
    host = parts.hostname.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        raise WebhookUrlRefused("the URL points at this machine")
    try:
        if not _public(host):
            raise WebhookUrlRefused("the URL points at a non-public address")
    except ValueError:
        pass  # a name: checked on every delivery, when it is resolved


async def check_url_target(url: str, allow_private: bool) -> None:
    """Before each delivery: every address the host resolves to must be public (unless
    private networks are allowed). Raises WebhookUrlRefused or OSError."""
    check_url_shape(url, allow_private)
    if allow_private:
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port,
                                                         type=socket.SOCK_STREAM)
    if not infos or not all(_public(info[4][0]) for info in infos):
        raise WebhookUrlRefused("the host resolves to a non-public address")


def _read(sub: WebhookSubscription) -> WebhookRead:
    return WebhookRead.model_validate(sub)


def _audit_view(sub: WebhookSubscription) -> dict:
    return {"url": sub.url, "event_types": list(sub.event_types),
            "policy_ids": [str(p) for p in sub.policy_ids] if sub.policy_ids else None,
            "enabled": sub.enabled, "disable_after_failures": sub.disable_after_failures}


async def get_webhook(uow: UnitOfWork, webhook_id: uuid.UUID, *, for_update: bool = False
                      ) -> WebhookSubscription:
    sub = await repo.get(uow.session, webhook_id, for_update=for_update)
    if sub is None:
        raise WebhookNotFound("no such webhook")
    return sub


async def create(rt: Runtime, uow: UnitOfWork, caller: Principal, body: WebhookCreate
                 ) -> WebhookWithSecret:
    url = str(body.url)
    check_url_shape(url, rt.settings.webhooks_may_reach_private)
    secret = new_secret()
    sub = WebhookSubscription(
        url=url, description=body.description,
        event_types=sorted({t.value for t in body.event_types}),
        policy_ids=sorted(set(body.policy_ids)) if body.policy_ids else None,
        secret=secret, disable_after_failures=body.disable_after_failures,
        created_by=caller.subject)
    uow.session.add(sub)
    await uow.session.flush()
    await uow.session.refresh(sub)
    await rt.audit.record(uow.session, actor=caller.subject, action="webhook.create",
                          target=f"webhook:{sub.id}", detail={"after": _audit_view(sub)})
    return WebhookWithSecret(**_read(sub).model_dump(), secret=secret)


async def list_webhooks(uow: UnitOfWork, *, cursor: str | None, limit: int) -> WebhookPage:
    rows = await repo.page(uow.session, after=decode_keyset(cursor), limit=limit + 1)
    items = [_read(s) for s in rows[:limit]]
    nxt = encode_keyset(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return WebhookPage(items=items, next_cursor=nxt)


async def update(rt: Runtime, uow: UnitOfWork, caller: Principal, webhook_id: uuid.UUID,
                 body: WebhookUpdate) -> WebhookRead:
    sub = await get_webhook(uow, webhook_id, for_update=True)
    before = _audit_view(sub)
    given = body.model_fields_set
    if "url" in given:
        if body.url is None:
            raise _invalid("url", "the URL cannot be removed")
        check_url_shape(str(body.url), rt.settings.webhooks_may_reach_private)
        sub.url = str(body.url)
    if "event_types" in given:
        if not body.event_types:
            raise _invalid("event_types", "give at least one event type")
        sub.event_types = sorted({t.value for t in body.event_types})
    if "policy_ids" in given:
        sub.policy_ids = sorted(set(body.policy_ids)) if body.policy_ids else None
    if "description" in given:
        sub.description = body.description
    if "disable_after_failures" in given:
        sub.disable_after_failures = body.disable_after_failures
    sub.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(sub)
    await rt.audit.record(uow.session, actor=caller.subject, action="webhook.update",
                          target=f"webhook:{sub.id}",
                          detail={"before": before, "after": _audit_view(sub)})
    return _read(sub)


def _invalid(field: str, reason: str) -> Exception:
    from services.kit.errors import InvalidInput

    return InvalidInput(f"{field}: {reason}", extra={"invalid_params": [
        {"field": field, "index": None, "reason": reason}]})


async def delete(rt: Runtime, uow: UnitOfWork, caller: Principal, webhook_id: uuid.UUID
                 ) -> None:
    """The subscription goes with its deliveries and their log; the events stay."""
    sub = await get_webhook(uow, webhook_id, for_update=True)
    before = _audit_view(sub)
    await uow.session.delete(sub)
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=caller.subject, action="webhook.delete",
                          target=f"webhook:{webhook_id}", detail={"before": before})


async def rotate_secret(rt: Runtime, uow: UnitOfWork, caller: Principal,
                        webhook_id: uuid.UUID) -> WebhookWithSecret:
    """A new secret, shown once; the one it replaces still signs (as a second signature)
    for 24 hours so receivers can switch over."""
    sub = await get_webhook(uow, webhook_id, for_update=True)
    secret = new_secret()
    sub.previous_secret, sub.secret = sub.secret, secret
    sub.previous_secret_expires_at = datetime.now(UTC) + PREVIOUS_SECRET_VALID
    sub.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(sub)
    await rt.audit.record(uow.session, actor=caller.subject, action="webhook.rotate_secret",
                          target=f"webhook:{sub.id}",
                          detail={"previous_valid_until":
                                  sub.previous_secret_expires_at.isoformat()})
    return WebhookWithSecret(**_read(sub).model_dump(), secret=secret)


async def enable(rt: Runtime, uow: UnitOfWork, caller: Principal, webhook_id: uuid.UUID
                 ) -> WebhookRead:
    """Re-enable a disabled subscription: its run of failures starts again from zero and its
    pending deliveries are sent now."""
    sub = await get_webhook(uow, webhook_id, for_update=True)
    if sub.enabled:
        raise WebhookAlreadyEnabled("the webhook is enabled", extra={"current_status":
                                                                     "enabled"})
    before = {"enabled": False, "disabled_reason": sub.disabled_reason}
    sub.enabled, sub.disabled_at, sub.disabled_reason = True, None, None
    sub.consecutive_failures, sub.updated_at = 0, func.now()
    await uow.session.flush()
    await repo.due_now(uow.session, webhook_id)
    await uow.session.refresh(sub)
    await rt.audit.record(uow.session, actor=caller.subject, action="webhook.enable",
                          target=f"webhook:{sub.id}",
                          detail={"before": before, "after": {"enabled": True}})
    uow.enqueue_after_commit(CASES_QUEUE, DELIVER_JOB, coalesce_s=0.05)
    return _read(sub)


async def list_deliveries(uow: UnitOfWork, webhook_id: uuid.UUID, *,
                          status: DeliveryStatus | None, cursor: str | None, limit: int
                          ) -> DeliveryPage:
    await get_webhook(uow, webhook_id)
    rows = await repo.deliveries(uow.session, webhook_id,
                                 status=status.value if status else None,
                                 after=decode_keyset(cursor), limit=limit + 1)
    shown = rows[:limit]
    log: dict[uuid.UUID, list[AttemptRead]] = {}
    for attempt in await repo.attempts(uow.session, [r.id for r in shown]):
        log.setdefault(attempt.delivery_id, []).append(AttemptRead.model_validate(attempt))
    items = [DeliveryRead(
        id=r.id, event_id=r.event_id, event_type=r.event_type, status=r.status,
        attempts=r.attempts, replay=r.replay,
        next_attempt_at=r.next_attempt_at if r.status == "pending" else None,
        last_status_code=r.last_status_code, last_error=r.last_error,
        delivered_at=r.delivered_at, created_at=r.created_at,
        attempt_log=log.get(r.id, [])) for r in shown]
    nxt = encode_keyset(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return DeliveryPage(items=items, next_cursor=nxt)


async def replay(rt: Runtime, uow: UnitOfWork, caller: Principal, webhook_id: uuid.UUID,
                 body: Replay) -> ReplayResult:
    """Send one delivery's event again, or every matching event since a time (at most
    10,000, the oldest first), as new deliveries carrying the same `webhook-id`."""
    sub = await get_webhook(uow, webhook_id)
    if body.delivery_id is not None:
        seq = await repo.delivery_event(uow.session, webhook_id, body.delivery_id)
        if seq is None:
            raise DeliveryNotFound("no such delivery of this webhook")
        await repo.replay_one(uow.session, webhook_id, seq)
        count = 1
    else:
        assert body.since is not None
        count = await repo.replay_since(uow.session, sub, body.since, REPLAY_CAP)
    await rt.audit.record(uow.session, actor=caller.subject, action="webhook.replay",
                          target=f"webhook:{webhook_id}",
                          detail={"delivery_id": str(body.delivery_id)
                                  if body.delivery_id else None,
                                  "since": body.since.isoformat() if body.since else None,
                                  "deliveries": count})
    if count:
        uow.enqueue_after_commit(CASES_QUEUE, DELIVER_JOB, coalesce_s=0.05)
    return ReplayResult(deliveries=count)
