"""All SQL of webhooks: subscriptions, deliveries (claimed in batches with SKIP LOCKED) and
the attempt log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, select, text, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import WebhookAttempt, WebhookSubscription

_UUIDS = ARRAY(UUID(as_uuid=True))


async def get(session: AsyncSession, webhook_id: uuid.UUID, *, for_update: bool = False
              ) -> WebhookSubscription | None:
    stmt = select(WebhookSubscription).where(WebhookSubscription.id == webhook_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def page(session: AsyncSession, *, after: tuple[datetime, uuid.UUID] | None,
               limit: int) -> list[WebhookSubscription]:
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.created_at.desc(),
                                                WebhookSubscription.id.desc()).limit(limit)
    if after:
        stmt = stmt.where(tuple_(WebhookSubscription.created_at, WebhookSubscription.id)
                          < after)
    return list((await session.execute(stmt)).scalars())


async def deliveries(session: AsyncSession, webhook_id: uuid.UUID, *, status: str | None,
                     after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[Any]:
    where = ["d.subscription_id = :w"]
    params: dict[str, Any] = {"w": webhook_id, "limit": limit}
    if status:
        where.append("d.status = :status")
        params["status"] = status
    if after:
        where.append("(d.created_at, d.id) < (:at, :id)")
        params |= {"at": after[0], "id": after[1]}
    return list((await session.execute(text(f"""
        SELECT d.id, e.id AS event_id, e.type AS event_type, d.status, d.attempts, d.replay,
               d.next_attempt_at, d.last_status_code, d.last_error, d.delivered_at,
               d.created_at
        FROM cases.webhook_delivery AS d JOIN cases.webhook_event AS e ON e.seq = d.event_seq
        WHERE {' AND '.join(where)} ORDER BY d.created_at DESC, d.id DESC LIMIT :limit
    """), params)).all())


async def attempts(session: AsyncSession, delivery_ids: list[uuid.UUID]
                   ) -> list[WebhookAttempt]:
    if not delivery_ids:
        return []
    stmt = select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids)) \
        .order_by(WebhookAttempt.id)
    return list((await session.execute(stmt)).scalars())


async def delivery_event(session: AsyncSession, webhook_id: uuid.UUID,
                         delivery_id: uuid.UUID) -> int | None:
    return (await session.execute(text("""
        SELECT event_seq FROM cases.webhook_delivery WHERE id = :d AND subscription_id = :w
    """), {"d": delivery_id, "w": webhook_id})).scalar()


async def replay_one(session: AsyncSession, webhook_id: uuid.UUID, event_seq: int) -> None:
    await session.execute(text("""
        INSERT INTO cases.webhook_delivery (id, subscription_id, event_seq, status, replay)
        VALUES (gen_random_uuid(), :w, :seq, 'pending', true)
    """), {"w": webhook_id, "seq": event_seq})


async def replay_since(session: AsyncSession, sub: WebhookSubscription, since: datetime,
                       cap: int) -> int:
    """A new delivery of each event since then that the subscription's filters match (at
    most `cap`, the oldest first)."""
    stmt = text("""
        INSERT INTO cases.webhook_delivery (id, subscription_id, event_seq, status, replay)
        SELECT gen_random_uuid(), :w, e.seq, 'pending', true FROM (
            SELECT seq FROM cases.webhook_event
            WHERE created_at >= :since AND type = ANY(:types)
              AND (CAST(:policies AS uuid[]) IS NULL OR policy_ids && :policies)
            ORDER BY seq LIMIT :cap) AS e
    """).bindparams(bindparam("policies", type_=_UUIDS),
                    bindparam("types", type_=ARRAY(String())))
    result = await session.execute(stmt, {"w": sub.id, "since": since,
                                          "types": list(sub.event_types),
                                          "policies": sub.policy_ids, "cap": cap})
    return result.rowcount


async def claim(session: AsyncSession, limit: int, lease_s: float) -> list[Any]:
    """Due deliveries of enabled subscriptions, pushed `lease_s` into the future so no other
    worker takes them while this one sends (a worker that dies leaves them due again)."""
    return list((await session.execute(text("""
        UPDATE cases.webhook_delivery AS d
        SET next_attempt_at = now() + make_interval(secs => :lease), attempts = d.attempts + 1,
            updated_at = now()
        FROM (SELECT d2.id FROM cases.webhook_delivery AS d2
              JOIN cases.webhook_subscription AS s ON s.id = d2.subscription_id
              WHERE d2.status = 'pending' AND d2.next_attempt_at <= now() AND s.enabled
              ORDER BY d2.next_attempt_at LIMIT :limit
              FOR UPDATE OF d2 SKIP LOCKED) AS c,
             cases.webhook_event AS e, cases.webhook_subscription AS s
        WHERE d.id = c.id AND e.seq = d.event_seq AND s.id = d.subscription_id
        RETURNING d.id, d.attempts, d.subscription_id, e.id AS event_id, e.payload, s.url,
                  s.secret, s.previous_secret,
                  (s.previous_secret_expires_at > now()) AS previous_valid
    """), {"limit": limit, "lease": lease_s})).all())


async def record_attempt(session: AsyncSession, delivery_id: uuid.UUID, *, succeeded: bool,
                         status_code: int | None, error: str | None, duration_ms: int,
                         status: str, retry_in_s: float | None) -> None:
    await session.execute(text("""
        INSERT INTO cases.webhook_attempt (delivery_id, succeeded, status_code, error,
                                           duration_ms)
        VALUES (:d, :ok, :code, :error, :ms)
    """), {"d": delivery_id, "ok": succeeded, "code": status_code, "error": error,
           "ms": duration_ms})
    await session.execute(text("""
        UPDATE cases.webhook_delivery
        SET status = :status, last_status_code = :code, last_error = :error, updated_at = now(),
            delivered_at = CASE WHEN CAST(:ok AS boolean) THEN now() ELSE delivered_at END,
            next_attempt_at = CASE WHEN CAST(:retry AS float8) IS NULL THEN next_attempt_at
                                   ELSE now() + make_interval(secs => CAST(:retry AS float8))
                              END
        WHERE id = :d
    """), {"d": delivery_id, "status": status, "code": status_code, "error": error,
           "ok": succeeded, "retry": retry_in_s})


async def count_outcome(session: AsyncSession, webhook_id: uuid.UUID, succeeded: bool
                        ) -> Any:
    """A success resets the subscription's run of failures; a failure adds one."""
    return (await session.execute(text("""
        UPDATE cases.webhook_subscription
        SET consecutive_failures = CASE WHEN CAST(:ok AS boolean) THEN 0
                                        ELSE consecutive_failures + 1 END
        WHERE id = :w
        RETURNING consecutive_failures, enabled, disable_after_failures
    """), {"w": webhook_id, "ok": succeeded})).first()


async def disable(session: AsyncSession, webhook_id: uuid.UUID, reason: str) -> bool:
    result = await session.execute(text("""
        UPDATE cases.webhook_subscription
        SET enabled = false, disabled_at = now(), disabled_reason = :reason, updated_at = now()
        WHERE id = :w AND enabled
    """), {"w": webhook_id, "reason": reason})
    return bool(result.rowcount)


async def due_now(session: AsyncSession, webhook_id: uuid.UUID) -> None:
    """The subscription's pending deliveries are due at once (after a re-enable)."""
    await session.execute(text("""
        UPDATE cases.webhook_delivery SET next_attempt_at = now(), updated_at = now()
        WHERE subscription_id = :w AND status = 'pending'
    """), {"w": webhook_id})
