"""The delivery job: claim due deliveries in batches (SKIP LOCKED, under a lease, outside any
open transaction while sending), POST them concurrently with Standard Webhooks signatures,
then log every attempt, schedule retries with backoff and disable a failing subscription."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from services.cases.webhooks import repository as repo
from services.cases.webhooks.exceptions import WebhookUrlRefused
from services.cases.webhooks.service import check_url_target
from services.cases.webhooks.signing import headers as signed_headers
from services.kit.runtime import Runtime

log = logging.getLogger("openirm.webhooks")

# Waits after the 1st, 2nd, ... failed attempt; after the 7th attempt fails the delivery is
# given up (status `failed`; replay sends it again).
RETRY_SCHEDULE_S = (5, 30, 120, 600, 3600, 6 * 3600)
BATCH = 200
LEASE_S = 120.0
SYSTEM_ACTOR = "system:webhooks"


@dataclass
class Outcome:
    delivery_id: Any
    subscription_id: Any
    attempts: int
    succeeded: bool
    status_code: int | None
    error: str | None
    duration_ms: int


def _client(rt: Runtime) -> httpx.AsyncClient:
    """One long-lived client per process for receivers: no redirects, the webhook timeout."""
    client = getattr(rt, "_webhook_http", None)
    if client is None:
        client = httpx.AsyncClient(timeout=rt.settings.webhook_timeout_s,
                                   follow_redirects=False,
                                   limits=httpx.Limits(max_connections=256))
        rt._webhook_http = client  # type: ignore[attr-defined]
        rt.on_close.append(client.aclose)
    return client


async def _send(rt: Runtime, client: httpx.AsyncClient, gate: asyncio.Semaphore,
                row: Any) -> Outcome:
    body = json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False).encode()
    keys = [row.secret] + ([row.previous_secret] if row.previous_valid and row.previous_secret
                           else [])
    status_code, error = None, None
    async with gate:
        started = time.monotonic()
        try:
            await check_url_target(row.url, rt.settings.webhooks_may_reach_private)
            hdrs = signed_headers(keys, str(row.event_id), int(time.time()), body)
            async with client.stream("POST", row.url, content=body, headers=hdrs) as resp:
                status_code = resp.status_code  # the receiver's body is not read
            if not 200 <= status_code < 300:
                error = f"the receiver answered HTTP {status_code}"
        except WebhookUrlRefused as exc:
            error = exc.message
        except (httpx.HTTPError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        duration_ms = int((time.monotonic() - started) * 1000)
    return Outcome(row.id, row.subscription_id, row.attempts, error is None, status_code,
                   error[:500] if error else None, duration_ms)


async def _settle(rt: Runtime, outcomes: list[Outcome]) -> None:
    default_limit = rt.settings.webhook_disable_after_failures
    async with rt.db.unit_of_work() as uow:
        for o in sorted(outcomes, key=lambda o: str(o.subscription_id)):
            if o.succeeded:
                status, retry = "succeeded", None
            elif o.attempts > len(RETRY_SCHEDULE_S):
                status, retry = "failed", None
            else:
                status, retry = "pending", float(RETRY_SCHEDULE_S[o.attempts - 1])
            await repo.record_attempt(uow.session, o.delivery_id, succeeded=o.succeeded,
                                      status_code=o.status_code, error=o.error,
                                      duration_ms=o.duration_ms, status=status,
                                      retry_in_s=retry)
            sub = await repo.count_outcome(uow.session, o.subscription_id, o.succeeded)
            if sub is None or o.succeeded or not sub.enabled:
                continue
            limit = sub.disable_after_failures or default_limit
            if sub.consecutive_failures >= limit:
                reason = f"{sub.consecutive_failures} failed attempts in a row"
                if await repo.disable(uow.session, o.subscription_id, reason):
                    log.warning("webhook %s disabled: %s", o.subscription_id, reason)
                    await rt.audit.record(uow.session, actor=SYSTEM_ACTOR,
                                          action="webhook.disable",
                                          target=f"webhook:{o.subscription_id}",
                                          detail={"reason": reason, "last_error": o.error})


async def deliver(rt: Runtime) -> dict[str, int]:
    """Send every due delivery. Woken after each commit that queued some, and run every 5 s
    (retries come due; a lost wake-up only delays). Safe to run twice at once."""
    client, gate = _client(rt), asyncio.Semaphore(rt.settings.webhook_concurrency)
    sent = {"succeeded": 0, "failed": 0}
    while True:
        async with rt.db.unit_of_work() as uow:
            claimed = await repo.claim(uow.session, BATCH, LEASE_S)
        if not claimed:
            return sent
        outcomes = await asyncio.gather(*(_send(rt, client, gate, row) for row in claimed))
        await _settle(rt, outcomes)
        for o in outcomes:
            sent["succeeded" if o.succeeded else "failed"] += 1
        if len(claimed) < BATCH:
            return sent
