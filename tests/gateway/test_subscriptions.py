"""Subscriptions through the real stack, with a real GraphQL client (gql) over a real
websocket speaking graphql-transport-ws: events reach the subscribers who may see them and no
one else; connections are refused without a valid token and closed when the token expires or
the role is removed. The fan-out itself (shared fetches, slow subscribers) is tested on the hub
in-process at the end."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed

from gateway.live import LiveHub
from gateway.schema.common import to_global_id
from gateway.settings import GatewaySettings
from services.kit.db import async_url
from services.kit.tokens import TokenCodec
from tests.conftest import Api
from tests.factories import (
    add_to_scope,
    departing_story,
    ingest,
    person_email,
    subject_of,
    wait_for_alert,
)

ALERT_RAISED = gql("""
subscription ($policyId: ID) {
  alertRaised(policyId: $policyId) { id subjectId policy { rawId } status severity score
                                     person { alias } }
}""")
ALERT_UPDATED = gql("subscription ($id: ID) { alertUpdated(alertId: $id) { id status } }")
CASE_UPDATED = gql("subscription ($id: ID) { caseUpdated(caseId: $id) { id status } }")
REPLAY = gql("""
subscription ($id: ID!) { replayProgress(replayId: $id) { rawId state progress } }""")
EXPORT = gql("""
subscription ($id: ID!) {
  exportProgress(exportId: $id) { rawId state progress sha256 case { rawId } }
}""")


def ws_url(api: Api) -> str:
    return api.gateway.replace("http://", "ws://", 1)


@asynccontextmanager
async def session(api: Api, init: dict[str, Any] | None) -> AsyncIterator[Any]:
    transport = WebsocketsTransport(
        url=ws_url(api), init_payload=init or {}, ack_timeout=10, close_timeout=2,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])
    async with Client(transport=transport, fetch_schema_from_transport=False) as s:
        yield s


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def close_code(exc: BaseException) -> int | None:
    """The websocket close code behind a gql transport error."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionClosed) and seen.rcvd is not None:
            return seen.rcvd.code
        seen = seen.__cause__ or seen.__context__
    return None


class Collector:
    """Runs one subscription in the background and keeps what it yields (or how it ended)."""

    def __init__(self, s: Any, document: Any, variables: dict[str, Any]) -> None:
        self.items: list[tuple[float, dict[str, Any]]] = []
        self.error: BaseException | None = None
        self._new = asyncio.Event()
        self.task = asyncio.create_task(self._run(s, document, variables))

    async def _run(self, s: Any, document: Any, variables: dict[str, Any]) -> None:
        try:
            async for result in s.subscribe(document, variable_values=variables):
                self.items.append((time.monotonic(), next(iter(result.values()))))
                self._new.set()
        except Exception as exc:
            self.error = exc
        self._new.set()

    async def first(self, predicate: Any, within: float) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + within
        while True:
            for at, item in self.items:
                if predicate(item):
                    return at, item
            if self.task.done():
                raise AssertionError(f"the subscription ended: {self.error!r}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"nothing matching within {within} s: {self.items}")
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), left)
            except TimeoutError:
                pass

    async def ended(self, within: float) -> BaseException | None:
        await asyncio.wait_for(asyncio.shield(self.task), within)
        return self.error

    def stop(self) -> None:
        self.task.cancel()


async def settle() -> None:
    """graphql-transport-ws acknowledges no subscribe: give the gateway a moment to register
    the subscription before causing the event."""
    await asyncio.sleep(0.5)


async def test_an_alert_reaches_the_analyst_and_not_a_subscriber_out_of_scope(
        api: Api, policy: dict, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    tag = person_email().split("@")[0][-6:]
    scoped_id, scoped_token = api.new_account("Analyst")
    put = await http.put(f"{api.identity}/accounts/{scoped_id}/scope", headers=admin,
                         json={"departments": [f"Nowhere-{tag}"]})
    assert put.status_code == 200 and put.json()["restricted"] is True
    actor = person_email()
    subject = subject_of(api, actor)["subject_id"]
    add_to_scope(api, policy, subject)
    async with session(api, bearer(api.token("Analyst"))) as analyst, \
            session(api, {"token": scoped_token}) as scoped:
        seen = Collector(analyst, ALERT_RAISED, {"policyId": policy["id"]})
        hidden = Collector(scoped, ALERT_RAISED, {"policyId": policy["id"]})
        await settle()
        ingested_at = time.monotonic()
        ingest(api, departing_story(actor))
        at, alert = await seen.first(lambda a: a["subjectId"] == subject, within=30)
        assert alert["policy"]["rawId"] == policy["id"] and alert["status"] == "NEEDS_REVIEW"
        assert alert["person"]["alias"]  # nested fields resolve with the subscriber's token
        stored = await wait_for_alert(api, policy["id"], subject)
        assert to_global_id("Alert", stored["id"]) == alert["id"]
        created = datetime.fromisoformat(stored["created_at"].replace("Z", "+00:00"))
        delivered = datetime.now(UTC) - timedelta(seconds=time.monotonic() - at)
        print(f"alert delivered {(delivered - created).total_seconds() * 1000:.0f} ms after "
              f"it was created, {at - ingested_at:.2f} s after its events were ingested")
        # The scoped Analyst may not read it, so the subscription shows nothing of it.
        refused = await http.get(f"{api.cases}/alerts/{stored['id']}",
                                 headers=api.auth(scoped_token))
        assert refused.status_code == 404
        await asyncio.sleep(1.0)
        assert not [a for _, a in hidden.items if a["id"] == alert["id"]], hidden.items
        # Triage shows up as an update, and the case it opens as a case update.
        updates = Collector(analyst, ALERT_UPDATED, {"id": alert["id"]})
        cases = Collector(analyst, CASE_UPDATED, {"id": None})
        await settle()
        confirmed = await http.post(f"{api.cases}/alerts/{stored['id']}/confirm",
                                    headers=api.auth(api.token("Analyst")), json={})
        assert confirmed.status_code == 200, confirmed.text
        case_id = confirmed.json()["case_id"]
        _, updated = await updates.first(lambda a: a["status"] == "CONFIRMED", within=10)
        assert updated["id"] == alert["id"]
        await cases.first(lambda c: c["id"] == to_global_id("Case", case_id)
                          and c["status"] == "ACTIVE", within=10)
        assert not hidden.items or all(a["id"] != alert["id"] for _, a in hidden.items)
        for c in (seen, hidden, updates, cases):
            c.stop()


@pytest.mark.parametrize("init", [None, {"Authorization": "Bearer not-a-token"},
                                  {"authorization": "Basic dXNlcjpwYXNz"}, {"token": ""}])
async def test_a_connection_without_a_valid_token_is_refused(api: Api, init: Any) -> None:
    with pytest.raises(Exception) as refused:
        async with session(api, init) as s:
            await s.subscribe(ALERT_RAISED).__anext__()
    assert close_code(refused.value) == 4403, repr(refused.value)


async def test_the_socket_closes_when_the_token_expires(api: Api) -> None:
    account_id, _ = api.new_account("Analyst")
    codec = TokenCodec(api.stack.secrets["jwt_secret"], "openirm", "openirm", 60)
    short = codec.issue(f"user:{account_id}", ttl_s=3)
    opened = time.monotonic()
    async with session(api, bearer(short)) as s:
        sub = Collector(s, ALERT_UPDATED, {"id": None})
        error = await sub.ended(within=15)
    assert error is not None and close_code(error) == 4401, repr(error)
    assert 2 <= time.monotonic() - opened < 10


async def test_removing_the_role_closes_the_socket(api: Api, http: httpx.AsyncClient) -> None:
    account_id, token = api.new_account("Analyst")
    async with session(api, bearer(token)) as s:
        sub = Collector(s, ALERT_RAISED, {})
        await settle()
        assert not sub.task.done()
        removed = await http.put(f"{api.identity}/accounts/{account_id}/roles",
                                 headers=api.auth(api.admin_token()), json={"roles": []})
        assert removed.status_code == 200, removed.text
        started = time.monotonic()
        error = await sub.ended(within=10)
    assert error is not None and close_code(error) == 4403, repr(error)
    assert time.monotonic() - started < 5  # at once, not at the periodic re-check


@asynccontextmanager
async def row_locked(api: Api, sql: str, row_id: str) -> AsyncIterator[None]:
    """Hold a row lock so the job that would move the row waits: the subscriber sees the
    state before and every step after."""
    conn = await asyncpg.connect(async_url(api.stack.database_url).replace(
        "postgresql+asyncpg://", "postgresql://"))
    try:
        async with conn.transaction():
            await conn.execute(sql, row_id)
            yield
    finally:
        await conn.close()


async def test_replay_progress_reaches_its_subscriber(api: Api, policy: dict,
                                                      http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    today = datetime.now(UTC).date()
    created = await http.post(f"{api.scoring}/replays", headers=admin, json={
        "policy_id": policy["id"], "start": (today - timedelta(days=10)).isoformat(),
        "end": today.isoformat()})
    assert created.status_code == 202, created.text
    replay_id = created.json()["id"]
    async with session(api, bearer(api.admin_token())) as s:
        async with row_locked(api, "SELECT 1 FROM scoring.replay WHERE id = $1::uuid "
                                   "FOR UPDATE", replay_id):
            sub = Collector(s, REPLAY, {"id": replay_id})
            await sub.first(lambda p: True, within=10)
        assert await sub.ended(within=30) is None  # it ends by itself once finished
    states = [p["state"] for _, p in sub.items]
    assert states[0] in ("QUEUED", "RUNNING") and states[-1] == "SUCCEEDED", states
    assert len(states) >= 2 and sub.items[-1][1]["progress"] == 1.0
    assert {p["rawId"] for _, p in sub.items} == {replay_id}


async def test_export_progress_reaches_its_subscriber(api: Api, policy: dict,
                                                      http: httpx.AsyncClient) -> None:
    from tests.factories import fresh_alert

    lead = api.auth(api.token("Investigator"))
    alert = await fresh_alert(api, policy)
    case_id = (await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=lead,
                               json={})).json()["case_id"]
    async with session(api, bearer(api.token("Investigator"))) as s:
        made = await http.post(f"{api.cases}/cases/{case_id}/exports", headers=lead)
        assert made.status_code == 202, made.text
        export_id = made.json()["id"]
        async with row_locked(api, "SELECT 1 FROM cases.export WHERE id = $1::uuid "
                                   "FOR UPDATE", export_id):
            sub = Collector(s, EXPORT, {"id": to_global_id("Export", f"{case_id}:{export_id}")})
            await sub.first(lambda p: True, within=10)
        assert await sub.ended(within=60) is None
    states = [p["state"] for _, p in sub.items]
    assert states[0] in ("QUEUED", "RUNNING") and states[-1] == "READY", states
    assert "RUNNING" in states and sub.items[-1][1]["progress"] == 100
    assert sub.items[-1][1]["sha256"] and sub.items[-1][1]["case"] == {"rawId": case_id}
    # Someone who may not read the case cannot follow its export.
    async with session(api, bearer(api.token("Auditor"))) as s:
        other = Collector(s, EXPORT, {"id": to_global_id("Export", f"{case_id}:{export_id}")})
        error = await other.ended(within=10)
    assert error is not None and getattr(error, "errors", None), repr(error)
    assert error.errors[0]["extensions"]["code"] == "FORBIDDEN", error.errors


# --- The hub in-process: shared fetches and slow subscribers --------------------------------

async def test_subscribers_sharing_a_token_share_one_fetch_and_a_slow_one_is_dropped(
        ) -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer out-of-scope":
            return httpx.Response(404, json={"code": "alert_not_found", "detail": "no"})
        return httpx.Response(200, json={"id": "a"})

    settings = GatewaySettings(live_queue_size=2)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        hub = LiveHub(settings, http)
        alert = {"alert_id": "6f1c2b8e-93c1-4c38-9d5e-2b2f1a9c0d11"}
        async with hub.feed("alert.raised") as fast, hub.feed("alert.raised") as slow:
            hub.dispatch(b"openirm:live:alert.raised", json.dumps(alert))
            notice = await fast.__anext__()
            same = await asyncio.gather(*(hub.visible(notice, "Bearer t") for _ in range(100)))
            assert same == [{"id": "a"}] * 100 and calls == ["Bearer t"]
            assert await hub.visible(notice, "Bearer out-of-scope") is None
            assert len(calls) == 2
            # `slow` never reads: past its queue size it is dropped, `fast` carries on.
            for _ in range(3):
                hub.dispatch(b"openirm:live:alert.raised", json.dumps(alert))
                await fast.__anext__()
            assert slow.overflowed and slow not in hub.feeds["alert.raised"]
            with pytest.raises(Exception, match="subscribe again"):
                await slow.__anext__()
