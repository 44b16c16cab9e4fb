"""GraphQL gateway benchmark: the alert-queue page a console asks for (50 alerts with their
case, policy and person) through the gateway and the same data straight from the services'
REST APIs (the list, then the three batch reads at once), over 100,000 seeded alerts, printed
as the gateway's overhead; and live fan-out: the time from an alert's creation (raised through
the real ingest -> scoring -> cases path) to its delivery to each of 100 websocket subscribers.

    uv run python -m bench.gateway [--quick]

Starts its own stack on embedded PostgreSQL and Redis (or OPENIRM_DATABASE_URL /
OPENIRM_REDIS_URL when set). The last line printed is one JSON object with the figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import websockets

from bench.common import PASSWORD, pct, sign_in, start_stack
from bench.queue import POLICIES, seed
from openirm.launcher import Stack

PAGE = 50
QUEUE = """query Queue($first: Int!) { alerts(first: $first) { edges { node {
  id score severity status policyName alias createdAt
  case { id title status }
  policy { id name alertThreshold }
  person { id alias revealed displayName } } } pageInfo { hasNextPage endCursor } } }"""
RAISED = """subscription Raised($policy: ID!) { alertRaised(policyId: $policy) {
  id createdAt severity person { alias } } }"""


async def _people(stack: Stack, admin: str, n: int) -> list[uuid.UUID]:
    """`n` people in the directory (one JSON import), and their subject ids."""
    rows = [{"email": f"bench-{i}@gw.example", "display_name": f"Bench Person {i}",
             "department": f"Dept {i % 12}"} for i in range(n)]
    identity = stack.config.url("identity")
    async with httpx.AsyncClient(timeout=300) as c:
        resp = await c.post(f"{identity}/people/import", json=rows,
                            headers={"Authorization": f"Bearer {admin}"})
        resp.raise_for_status()
        client = stack.clients["ingest"]
        token = (await c.post(f"{identity}/auth/client-token", data={
            "grant_type": "client_credentials", "client_id": client.client_id,
            "client_secret": client.client_secret})).json()["access_token"]
        resolved = await c.post(f"{identity}/people/resolve",
                                headers={"Authorization": f"Bearer {token}"},
                                json={"identifiers": [r["email"] for r in rows]})
        resolved.raise_for_status()
    return [uuid.UUID(p["subject_id"]) for p in resolved.json()["items"]]


async def _policy(c: httpx.AsyncClient, scoring: str, name: str, *, active: bool,
                  scope: dict | None = None) -> str:
    body: dict[str, Any] = {"name": name, "template": "data_theft_departing_users",
                            "boosters": [], "active": active}
    if scope:
        body["scope"] = scope
    resp = await c.post(f"{scoring}/policies", json=body)
    resp.raise_for_status()
    return resp.json()["id"]


async def _analyst(stack: Stack, admin: str, tag: str) -> str:
    email = f"bench-{tag}-{uuid.uuid4().hex[:6]}@gw.example"
    async with httpx.AsyncClient(timeout=30) as c:
        resp = await c.post(f"{stack.config.url('identity')}/accounts",
                            headers={"Authorization": f"Bearer {admin}"},
                            json={"email": email, "display_name": "Bench analyst",
                                  "password": PASSWORD, "roles": ["Analyst"]})
        resp.raise_for_status()
    return await sign_in(stack, email)


async def _rest_page(c: httpx.AsyncClient, urls: dict[str, str]) -> int:
    """The same data as the GraphQL page, as a REST client would fetch it: the page, then
    the cases, policies and people of its alerts in three batch reads at once."""
    page = (await c.get(f"{urls['cases']}/alerts", params={"limit": PAGE})).json()["items"]
    cases = sorted({a["case_id"] for a in page if a["case_id"]})
    reads = [c.get(f"{urls['scoring']}/policies/batch",
                   params={"ids": sorted({a["policy_id"] for a in page})}),
             c.get(f"{urls['identity']}/people/batch",
                   params={"ids": sorted({a["subject_id"] for a in page})})]
    if cases:
        reads.append(c.get(f"{urls['cases']}/cases/batch", params={"ids": cases}))
    for resp in await asyncio.gather(*reads):
        resp.raise_for_status()
    return len(page)


async def _graphql_page(c: httpx.AsyncClient, url: str) -> int:
    resp = await c.post(url, json={"query": QUEUE, "variables": {"first": PAGE}})
    body = resp.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return len(body["data"]["alerts"]["edges"])


async def _timed(fn: Any, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        assert await fn() == PAGE
        out.append((time.perf_counter() - t) * 1000)
    return out


async def queue_overhead(stack: Stack, token: str, reps: int) -> dict[str, float]:
    urls = {name: stack.config.url(name) for name in ("cases", "scoring", "identity")}
    gateway = f"{stack.config.url('gateway')}/graphql"
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=60, headers=headers) as c:
        for _ in range(3):  # warm-up: scopes, rules and connections
            await _rest_page(c, urls)
            await _graphql_page(c, gateway)
        rest: list[float] = []
        gql: list[float] = []
        for _ in range(reps):  # interleaved, so a drift of the machine hits both alike
            rest += await _timed(lambda: _rest_page(c, urls), 1)
            gql += await _timed(lambda: _graphql_page(c, gateway), 1)
    figures = {"rest_page_p50_ms": statistics.median(rest), "rest_page_p95_ms": pct(rest, 0.95),
               "graphql_page_p50_ms": statistics.median(gql),
               "graphql_page_p95_ms": pct(gql, 0.95)}
    figures["overhead_p50_ratio"] = figures["graphql_page_p50_ms"] / figures["rest_page_p50_ms"]
    figures["overhead_p95_ratio"] = figures["graphql_page_p95_ms"] / figures["rest_page_p95_ms"]
    return {k: round(v, 2) for k, v in figures.items()}


class Subscriber:
    """One graphql-transport-ws connection with one subscription; records when each alert
    arrived (wall clock, as the alert's createdAt is)."""

    def __init__(self, url: str, token: str, policy_gid: str) -> None:
        self.url, self.token, self.policy = url, token, policy_gid
        self.arrivals: dict[str, datetime] = {}
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        async with websockets.connect(self.url, subprotocols=["graphql-transport-ws"],
                                      max_queue=None) as ws:
            await ws.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": f"Bearer {self.token}"}}))
            ack = json.loads(await ws.recv())
            assert ack["type"] == "connection_ack", ack
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": RAISED, "variables": {"policy": self.policy}}}))
            self.ready.set()
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    alert = message["payload"]["data"]["alertRaised"]
                    self.arrivals[alert["id"]] = datetime.now(UTC)
                elif message["type"] in ("error", "complete"):
                    raise RuntimeError(message)


def _departing(actor: str) -> list[dict]:
    now = datetime.now(UTC)
    events = [{"id": f"gw-{uuid.uuid4().hex}", "type": "hr.resignation",
               "occurred_at": (now - timedelta(days=1)).isoformat(), "actor": actor,
               "attributes": {}}]
    events += [{"id": f"gw-{uuid.uuid4().hex}", "type": kind, "occurred_at": now.isoformat(),
                "actor": actor, "attributes": {"file_name": f"f{i}"}}
               for i in range(12)
               for kind in ("device.file_copied_to_usb", "device.file_uploaded_to_cloud")]
    return events


async def fan_out(stack: Stack, admin: str, subscribers: int, accounts: int,
                  samples: int) -> dict[str, float]:
    """`samples` alerts raised through the real pipeline, each delivered to `subscribers`
    connections of `accounts` Analysts (each event is checked once per distinct token)."""
    scoring, ingest = stack.config.url("scoring"), stack.config.url("ingest")
    identity = stack.config.url("identity")
    admin_headers = {"Authorization": f"Bearer {admin}"}
    tokens = [await _analyst(stack, admin, f"live{i}") for i in range(accounts)]
    people = [f"leaver-{uuid.uuid4().hex[:8]}@gw.example" for _ in range(samples)]
    async with httpx.AsyncClient(timeout=60, headers=admin_headers) as c:
        client = stack.clients["ingest"]
        service = (await c.post(f"{identity}/auth/client-token", data={
            "grant_type": "client_credentials", "client_id": client.client_id,
            "client_secret": client.client_secret})).json()["access_token"]
        resolved = await c.post(f"{identity}/people/resolve", json={"identifiers": people},
                                headers={"Authorization": f"Bearer {service}"})
        resolved.raise_for_status()
        subjects = [p["subject_id"] for p in resolved.json()["items"]]
        policy = await _policy(c, scoring, f"Live fan-out {uuid.uuid4().hex[:6]}", active=True,
                               scope={"kind": "people", "people": subjects})
    from gateway.schema.common import to_global_id

    url = stack.config.url("gateway").replace("http://", "ws://") + "/graphql"
    subs = [Subscriber(url, tokens[i % accounts], to_global_id("Policy", policy))
            for i in range(subscribers)]
    for s in subs:
        s.task = asyncio.create_task(s.run())
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), 60)
    await asyncio.sleep(1.0)  # the subscribe messages are handled after they are sent
    latencies: list[float] = []
    last: list[float] = []
    seen: set[str] = set()
    try:
        async with httpx.AsyncClient(timeout=60, headers=admin_headers) as c:
            for actor in people:
                resp = await c.post(f"{ingest}/events", json={"events": _departing(actor)})
                assert resp.status_code == 202, resp.text
                deadline = time.monotonic() + 60
                while any(not set(s.arrivals) - seen for s in subs):
                    for s in subs:
                        if s.task and s.task.done():
                            s.task.result()  # a subscriber that failed says why
                    assert time.monotonic() < deadline, "an alert did not reach everyone"
                    await asyncio.sleep(0.05)
                new = set().union(*(s.arrivals for s in subs)) - seen
                assert len(new) == 1, f"expected one new alert, got {new}"
                (alert_id,) = new
                seen.add(alert_id)
                created = await _created_at(stack, tokens[0], alert_id)
                these = [(s.arrivals[alert_id] - created).total_seconds() * 1000 for s in subs]
                latencies += these
                last.append(max(these))
                print(f"alert {len(last)}: delivered to {len(these)} subscribers, "
                      f"p50 {statistics.median(these):.0f} ms, last {max(these):.0f} ms after "
                      f"its creation", flush=True)
    finally:
        for s in subs:
            if s.task:
                s.task.cancel()
        await asyncio.gather(*(s.task for s in subs if s.task), return_exceptions=True)
    return {"subscribers": subscribers, "subscriber_accounts": accounts, "alerts": samples,
            "delivery_p50_ms": round(statistics.median(latencies), 1),
            "delivery_p95_ms": round(pct(latencies, 0.95), 1),
            "delivery_max_ms": round(max(latencies), 1),
            "last_subscriber_p50_ms": round(statistics.median(last), 1)}


async def _created_at(stack: Stack, token: str, alert_gid: str) -> datetime:
    query = "query($id: ID!) { alert(id: $id) { createdAt } }"
    async with httpx.AsyncClient(timeout=30) as c:
        resp = await c.post(f"{stack.config.url('gateway')}/graphql",
                            json={"query": query, "variables": {"id": alert_gid}},
                            headers={"Authorization": f"Bearer {token}"})
    return datetime.fromisoformat(resp.json()["data"]["alert"]["createdAt"])


async def main(quick: bool) -> dict:
    n_alerts, n_people = (10_000, 500) if quick else (100_000, 5_000)
    reps, samples = (20, 3) if quick else (60, 10)
    stack, _ = await start_stack()
    figures: dict[str, Any] = {"bench": "gateway", "quick": quick}
    try:
        assert stack.admin is not None
        admin = await sign_in(stack, stack.admin.email)
        t0 = time.perf_counter()
        subjects = await _people(stack, admin, n_people)
        async with httpx.AsyncClient(timeout=60,
                                     headers={"Authorization": f"Bearer {admin}"}) as c:
            indicators = (await c.get(f"{stack.config.url('scoring')}/indicators")).json()
            for ind in indicators:
                if not ind["enabled"]:
                    (await c.put(f"{stack.config.url('scoring')}/indicators/{ind['key']}",
                                 json={"enabled": True})).raise_for_status()
            policies = [uuid.UUID(await _policy(c, stack.config.url("scoring"),
                                                f"Bench policy {i}", active=False))
                        for i in range(POLICIES)]
        seeded = await seed(stack.database_url, n_alerts, n_people * 2, subjects=subjects,
                            policies=policies)
        print(f"seeded {n_people} people, {POLICIES} policies, {seeded.alerts} alerts and "
              f"{seeded.cases} cases in {time.perf_counter() - t0:.1f} s", flush=True)
        token = await _analyst(stack, admin, "queue")
        figures |= await queue_overhead(stack, token, reps)
        print(f"queue page of {PAGE} with case, policy and person: REST "
              f"{figures['rest_page_p50_ms']} / {figures['rest_page_p95_ms']} ms, GraphQL "
              f"{figures['graphql_page_p50_ms']} / {figures['graphql_page_p95_ms']} ms "
              f"(p50 / p95), overhead x{figures['overhead_p50_ratio']}", flush=True)
        figures |= await fan_out(stack, admin, subscribers=100, accounts=10, samples=samples)
        figures |= {"alerts_seeded": seeded.alerts, "people": n_people}
    finally:
        stack.stop()
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 alerts, 3 live alerts")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.quick))))
