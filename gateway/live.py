"""Live updates: the services' notices, read from Redis pub/sub over one connection per
gateway process, fanned out to the websocket subscriptions of `gateway/schema/subscriptions.py`.

The gateway never widens access: a notice only says which object changed; before it reaches
a subscriber the object is fetched from the service that owns it with that subscriber's token
(403 or 404: not delivered). Subscribers holding the same token share one fetch per notice.
Each connection is authenticated at `connection_init` against identity, closed with 4401 when
its token expires and with 4403 once its account may no longer read what it subscribed to
(checked when identity tells of an access change, and every `live_recheck_s` besides)."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import httpx
from jose import jwt
from redis.asyncio import Redis
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError

from gateway.clients import Services, uuid_segment
from gateway.errors import ServiceError
from gateway.settings import GatewaySettings
from services.kit.authz import roles_permit
from services.kit.live import CHANNEL_PREFIX, CHANNELS, redis_channel

log = logging.getLogger("openirm.gateway.live")

Permission = tuple[str, str]  # (object, action), as in services/kit/permissions.csv


@dataclass(frozen=True)
class Notice:
    """One notice as received; `seq` is this process's count, the key of the shared fetch."""

    seq: int
    channel: str
    data: dict[str, Any]
    received_at: float  # time.monotonic()


def object_path(notice: Notice) -> tuple[str, str]:
    """The service and path of the object a notice is about, read with the subscriber's
    token to decide whether they may see it."""
    d = notice.data
    if notice.channel in ("alert.raised", "alert.updated"):
        return "cases", f"/alerts/{uuid_segment(d['alert_id'], 'alert_id')}"
    if notice.channel == "case.updated":
        return "cases", f"/cases/{uuid_segment(d['case_id'], 'case_id')}"
    if notice.channel == "export.progress":
        return "cases", (f"/cases/{uuid_segment(d['case_id'], 'case_id')}"
                         f"/exports/{uuid_segment(d['export_id'], 'export_id')}")
    if notice.channel == "replay.progress":
        return "scoring", f"/replays/{uuid_segment(d['replay_id'], 'replay_id')}"
    raise ValueError(f"no object behind {notice.channel} notices")


class SlowSubscriber(ServiceError):
    def __init__(self) -> None:
        super().__init__(409, "subscriber_too_slow",
                         "Events came faster than this subscription read them and some were "
                         "dropped; subscribe again.")


class Feed:
    """One subscription's bounded queue of notices. When it is full the subscription is
    ended (it learns why) instead of holding the others back or growing without bound."""

    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[Notice | None] = asyncio.Queue(maxsize=size)
        self.overflowed = False

    def offer(self, notice: Notice) -> bool:
        if self.overflowed:
            return False
        try:
            self.queue.put_nowait(notice)
            return True
        except asyncio.QueueFull:
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)  # tells the reader why it ends
            return False

    def __aiter__(self) -> Feed:
        return self

    async def __anext__(self) -> Notice:
        notice = await self.queue.get()
        if notice is None:
            raise SlowSubscriber()
        return notice


class LiveHub:
    """The process's one pub/sub connection and everything subscribed to it."""

    fetch_ttl_s = 30.0  # how long a fetch's answer is kept for subscribers still behind

    def __init__(self, settings: GatewaySettings, http: httpx.AsyncClient) -> None:
        self.settings, self.http = settings, http
        self.redis: Redis | None = None
        self.ready = asyncio.Event()
        self.feeds: dict[str, set[Feed]] = defaultdict(set)
        self.connections: dict[str, set[LiveConnection]] = defaultdict(set)
        self.fetches = 0  # object reads made for access checks (see test_subscriptions)
        self._seq = itertools.count(1)
        self._checks: dict[tuple[int, str], asyncio.Future[Any]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.redis = Redis.from_url(self.settings.redis_url, socket_connect_timeout=2)
        self._task = asyncio.create_task(self._listen(), name="live-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        for conns in list(self.connections.values()):
            for conn in list(conns):
                await conn.close(1001, "Gateway shutting down")
        if self.redis is not None:
            await self.redis.aclose()

    async def _listen(self) -> None:
        """Read notices until cancelled; reconnect with back-off when Redis goes away (what
        was published meanwhile is lost: pub/sub keeps nothing)."""
        assert self.redis is not None
        backoff = 0.5
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*(redis_channel(c) for c in CHANNELS))
                self.ready.set()
                backoff = 0.5
                async for message in pubsub.listen():
                    self.dispatch(message["channel"], message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.ready.clear()
                log.warning("live events: Redis connection lost (%s); retrying in %.1f s",
                            exc, backoff)
            finally:
                with suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)

    def dispatch(self, channel: bytes | str, raw: bytes | str) -> None:
        """Hand one message to the feeds of its channel, or to the connections an access
        change concerns; never waits on a subscriber."""
        name = channel.decode() if isinstance(channel, bytes) else channel
        name = name.removeprefix(CHANNEL_PREFIX)
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning("live events: a message on %s is not JSON; ignored", name)
            return
        if name == "access.changed":
            for conn in list(self.connections.get(str(data.get("subject")), ())):
                conn.recheck_now()
            return
        notice = Notice(next(self._seq), name, data, time.monotonic())
        for feed in list(self.feeds.get(name, ())):
            if not feed.offer(notice):
                self.feeds[name].discard(feed)

    @asynccontextmanager
    async def feed(self, channel: str) -> AsyncIterator[Feed]:
        feed = Feed(self.settings.live_queue_size)
        self.feeds[channel].add(feed)
        try:
            yield feed
        finally:
            self.feeds[channel].discard(feed)

    async def visible(self, notice: Notice, authorization: str) -> dict[str, Any] | None:
        """The object behind the notice as this token's holder sees it, or None when the
        owning service refuses it (or cannot answer: nothing is delivered unchecked). One
        fetch per notice and token, shared by every subscriber holding that token."""
        key = (notice.seq, authorization)
        pending = self._checks.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(notice, authorization))
            self._checks[key] = pending
            asyncio.get_running_loop().call_later(self.fetch_ttl_s, self._checks.pop, key, None)
        return await asyncio.shield(pending)

    async def _fetch(self, notice: Notice, authorization: str) -> dict[str, Any] | None:
        self.fetches += 1
        try:
            service, path = object_path(notice)
            return await Services(self.http, self.settings, authorization).call(
                service, "GET", path)
        except ServiceError as exc:
            if exc.status not in (401, 403, 404):
                log.warning("live event %s not delivered: could not check access: %s",
                            notice.channel, exc)
            return None
        except Exception:
            log.exception("live event %s not delivered", notice.channel)
            return None

    def attach(self, conn: LiveConnection) -> None:
        self.connections[conn.subject].add(conn)

    def detach(self, conn: LiveConnection) -> None:
        conns = self.connections.get(conn.subject)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.connections[conn.subject]


def token_from(params: Any) -> str | None:
    """The bearer token of a `connection_init` payload: `Authorization` (either case) with
    the Bearer scheme, or a bare `token`."""
    if not isinstance(params, dict):
        return None
    for key in ("Authorization", "authorization"):
        value = params.get(key)
        if isinstance(value, str):
            scheme, _, token = value.strip().partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    token = params.get("token")
    return token.strip() or None if isinstance(token, str) else None


def expiry_of(token: str) -> float | None:
    """`exp` of a JWT, read without verifying it (identity has just verified it)."""
    try:
        exp = jwt.get_unverified_claims(token).get("exp")
    except Exception:
        return None
    return float(exp) if isinstance(exp, int | float) else None


class LiveConnection:
    """One authenticated subscription websocket: who holds it, what its subscriptions need,
    and the timers that close it."""

    def __init__(self, hub: LiveHub, websocket: WebSocket, token: str,
                 account: dict[str, Any], expires_at: float | None) -> None:
        self.hub, self.websocket = hub, websocket
        self.authorization = f"Bearer {token}"
        self.subject = f"user:{account['id']}"
        self.roles: set[str] = set(account.get("roles") or [])
        self.expires_at = expires_at
        self.needs: Counter[Permission] = Counter()
        self.closed = False
        self._recheck = asyncio.Event()
        self._tasks = [asyncio.create_task(self._recheck_loop(), name="live-recheck")]
        if expires_at is not None:
            self._tasks.append(asyncio.create_task(self._expire(), name="live-expiry"))
        hub.attach(self)

    def services(self) -> Services:
        return Services(self.hub.http, self.hub.settings, self.authorization)

    def permits(self, need: Permission) -> bool:
        return roles_permit(self.roles, *need)

    @asynccontextmanager
    async def subscription(self, channel: str, need: Permission) -> AsyncIterator[Feed]:
        """A feed of `channel` for as long as the account may `need`; refused (FORBIDDEN)
        when it may not now."""
        if self.closed:
            raise ServiceError(401, "connection_closed", "This connection has closed.")
        if not self.permits(need):
            raise ServiceError(403, "forbidden", f"your role may not {need[1]} {need[0]}")
        self.needs[need] += 1
        try:
            async with self.hub.feed(channel) as feed:
                yield feed
        finally:
            self.needs[need] -= 1
            if self.needs[need] <= 0:
                del self.needs[need]

    async def visible(self, notice: Notice) -> dict[str, Any] | None:
        return await self.hub.visible(notice, self.authorization)

    def recheck_now(self) -> None:
        self._recheck.set()

    async def recheck(self) -> None:
        """Ask identity who this token's account is now; close the connection when the token
        is refused (4401) or the account may no longer do what a subscription needs (4403).
        Identity being unreachable keeps the connection: the next check tries again."""
        try:
            account = await self.services().call("identity", "GET", "/accounts/me")
        except ServiceError as exc:
            if exc.status == 401:
                await self.close(4401, "Unauthorized")
            elif exc.status in (403, 404):
                await self.close(4403, "Forbidden")
            else:
                log.warning("live connection of %s not re-checked: %s", self.subject, exc)
            return
        self.roles = set(account.get("roles") or [])
        if account.get("active") is False or not all(self.permits(n) for n in self.needs):
            await self.close(4403, "Forbidden")

    async def _recheck_loop(self) -> None:
        while not self.closed:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._recheck.wait(), self.hub.settings.live_recheck_s)
            self._recheck.clear()
            await self.recheck()

    async def _expire(self) -> None:
        assert self.expires_at is not None
        await asyncio.sleep(max(0.0, self.expires_at - time.time()))
        await self.close(4401, "Token expired")

    async def close(self, code: int, reason: str) -> None:
        """Close the websocket (once); strawberry then ends its subscriptions."""
        if self.closed:
            return
        self.end()
        log.info("live connection of %s closed: %s %s", self.subject, code, reason)
        with suppress(Exception):  # the client may be gone already
            await self.websocket.close(code=code, reason=reason)

    def end(self) -> None:
        """Forget the connection and stop its timers (the websocket has ended or is being
        closed)."""
        self.closed = True
        self.hub.detach(self)
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()


_STATE_KEY = "openirm_live"


async def connect(websocket: WebSocket, params: Any) -> LiveConnection:
    """Authenticate a websocket at `connection_init`: the token must be one identity accepts
    for a staff account (`GET /accounts/me`); otherwise the connection is refused (4403)."""
    hub: LiveHub = websocket.app.state.live
    token = token_from(params)
    if token is None:
        raise ConnectionRejectionError({"reason": "a bearer token is required"})
    try:
        account = await Services(hub.http, hub.settings, f"Bearer {token}").call(
            "identity", "GET", "/accounts/me")
    except ServiceError as exc:
        log.info("live connection refused: %s", exc)
        raise ConnectionRejectionError({"reason": "the token was refused"}) from None
    if account.get("active") is False:
        raise ConnectionRejectionError({"reason": "the account is disabled"})
    conn = LiveConnection(hub, websocket, token, account, expiry_of(token))
    setattr(websocket.state, _STATE_KEY, conn)
    return conn


def connection_of(websocket: Any) -> LiveConnection | None:
    state = getattr(websocket, "state", None)
    return getattr(state, _STATE_KEY, None) if state is not None else None
