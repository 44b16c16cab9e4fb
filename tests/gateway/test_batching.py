"""The gateway's DataLoaders batch: a 50-alert page with each alert's case, policy and person
costs a small constant number of calls to the services, not one per alert; and a service that
is down costs only the fields it serves (partial data, an INTERNAL error saying so, no
internals).

The gateway runs in process here (the app over `httpx.ASGITransport`), with the real
process-wide client of `create_http_client` pointed at the test stack's services and an event
hook on it counting every call it makes."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from graphql import GraphQLError

from gateway.app import create
from gateway.clients import Services, create_http_client
from gateway.context import Loaders
from gateway.errors import ServiceError, to_client_error
from gateway.schema.common import from_global_id, to_global_id
from gateway.settings import GatewaySettings
from services.kit.batch import MAX_BATCH_IDS
from tests.conftest import Api
from tests.factories import create_policy, departing_story, fresh_alert, ingest, person_email

PAGE = 50
QUEUE = """{ alerts(first: 50) { edges { node {
    id alias policyName
    policy { id name }
    case { rawId alias }
    person { rawId alias revealed } } } } }"""
QUEUE_WITHOUT_POLICY = QUEUE.replace("policy { id name }", "")


class Gateway:
    """The in-process gateway, its counted client, and the calls that client made."""

    def __init__(self, client: httpx.AsyncClient, http: httpx.AsyncClient,
                 settings: GatewaySettings) -> None:
        self.client, self.http, self.settings = client, http, settings
        self.calls: list[httpx.Request] = []

    async def query(self, query: str, token: str) -> dict[str, Any]:
        resp = await self.client.post("/graphql", json={"query": query},
                                      headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def paths(self) -> list[str]:
        return [r.url.path for r in self.calls]


@asynccontextmanager
async def gateway(api: Api, **urls: str) -> AsyncIterator[Gateway]:
    """`urls` override a service's URL (e.g. one nobody listens on)."""
    settings = GatewaySettings(**{"identity_url": api.identity, "ingest_url": api.ingest,
                                  "scoring_url": api.scoring, "cases_url": api.cases, **urls})
    app = create(settings)
    # What the app's lifespan does (ASGITransport runs no lifespan), plus the counting hook.
    http = app.state.http = create_http_client(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gateway", timeout=60) as client:
        gw = Gateway(client, http, settings)

        async def count(request: httpx.Request) -> None:
            gw.calls.append(request)

        http.event_hooks["request"].append(count)
        try:
            yield gw
        finally:
            await http.aclose()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nobody listens


async def _alert_page(api: Api, http: httpx.AsyncClient) -> tuple[list[dict], dict[str, dict]]:
    """50 new people under three policies, one alert each, the first ten confirmed into a
    case each: (the alerts, the policies by id). Sent through the real pipeline, in one
    ingest batch."""
    emails = [person_email() for _ in range(PAGE)]
    resolved = await http.post(f"{api.identity}/people/resolve",
                               headers=api.auth(api.service_token("ingest")),
                               json={"identifiers": emails})
    assert resolved.status_code == 200, resolved.text
    subjects = [p["subject_id"] for p in resolved.json()["items"]]
    policies = {p["id"]: p for p in (
        create_policy(api, scope={"kind": "people", "people": subjects[i::3]})
        for i in range(3))}
    ingest(api, [e for email in emails for e in departing_story(email)])
    analyst = api.auth(api.token("Analyst"))
    deadline = time.monotonic() + 60
    alerts: list[dict] = []
    while time.monotonic() < deadline:
        page = await http.get(f"{api.cases}/alerts", headers=analyst,
                              params={"policy_id": list(policies), "limit": 200})
        alerts = page.json()["items"]
        if len(alerts) >= PAGE:
            break
        await asyncio.sleep(0.2)
    assert len(alerts) == PAGE, f"{len(alerts)} of {PAGE} alerts raised"
    lead = api.auth(api.token("Investigator"))
    for alert in alerts[:10]:
        confirmed = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=lead,
                                    json={"title": "Batched"})
        assert confirmed.status_code == 200, confirmed.text
        alert["case_id"] = confirmed.json()["case_id"]
    return alerts, policies


async def test_a_page_of_50_alerts_with_case_and_person_costs_a_constant_number_of_calls(
        api: Api, http: httpx.AsyncClient) -> None:
    alerts, policies = await _alert_page(api, http)
    token = api.token("Investigator")
    async with gateway(api) as gw:
        result = await gw.query(QUEUE, token)
        assert "errors" not in result, result["errors"]
        nodes = [e["node"] for e in result["data"]["alerts"]["edges"]]
        raised = {a["id"]: a for a in alerts}
        keys = [from_global_id(n["id"]) for n in nodes]
        assert {k for _, k in keys} == set(raised), \
            "the page is the 50 alerts just raised (newest first)"
        for (_, key), n in zip(keys, nodes, strict=True):
            alert = raised[key]
            assert n["person"] == {"rawId": alert["subject_id"], "alias": alert["alias"],
                                   "revealed": False}
            assert n["case"] == (None if alert["case_id"] is None else {
                "rawId": alert["case_id"], "alias": alert["alias"]})
            assert n["policy"] == {"id": to_global_id("Policy", alert["policy_id"]),
                                   "name": policies[alert["policy_id"]]["name"]}
        assert len({n["person"]["rawId"] for n in nodes}) == PAGE
        assert len({n["case"]["rawId"] for n in nodes if n["case"]}) == 10
        # One call for the page, one per loader: not one per alert.
        paths = gw.paths()
        print(f"backend calls for a {PAGE}-alert page with case, policy and person: "
              f"{len(paths)} {paths}")
        assert sorted(paths) == ["/alerts", "/cases/batch", "/people/batch",
                                 "/policies/batch"]

        # The policy loader on its own: every alert's policy, one call, and its errors.
        gw.calls.clear()
        loaders = Loaders(Services(gw.http, gw.settings, f"Bearer {token}"))
        unknown = str(uuid.uuid4())
        asked = [a["policy_id"] for a in alerts] + [unknown, "not-an-id"]
        got = await asyncio.gather(*(loaders.policy.load(i) for i in asked),
                                   return_exceptions=True)
        assert gw.paths() == ["/policies/batch"]
        for alert, policy in zip(alerts, got[:PAGE], strict=True):
            assert isinstance(policy, dict)
            assert (policy["id"], policy["name"]) == (alert["policy_id"], alert["policy_name"])
            assert alert["subject_id"] in policy["scope"]["people"]
        assert {p["name"] for p in got[:PAGE]} == {p["name"] for p in policies.values()}
        missing, invalid = got[PAGE:]
        assert isinstance(missing, ServiceError) and (missing.status, missing.code) == (
            404, "policy_not_found")
        assert isinstance(invalid, ServiceError) and invalid.graphql_code == "BAD_USER_INPUT"


async def test_loaders_split_at_the_services_cap_and_stay_per_request(
        api: Api, http: httpx.AsyncClient) -> None:
    token = api.token("Analyst")
    async with gateway(api) as gw:
        loaders = Loaders(Services(gw.http, gw.settings, f"Bearer {token}"))
        many = [str(uuid.uuid4()) for _ in range(MAX_BATCH_IDS + 20)]
        got = await asyncio.gather(*(loaders.case.load(i) for i in many),
                                   return_exceptions=True)
        assert gw.paths() == ["/cases/batch", "/cases/batch"]
        assert sorted(len(r.url.params.get_list("ids")) for r in gw.calls) == [
            20, MAX_BATCH_IDS]
        assert all(isinstance(r, ServiceError) and r.status == 404 for r in got)
        # Asked again in the same request: cached. Another request's loaders ask afresh.
        gw.calls.clear()
        await asyncio.gather(*(loaders.case.load(i.upper()) for i in many[:5]),
                             return_exceptions=True)
        assert gw.calls == []
        other = Loaders(Services(gw.http, gw.settings, f"Bearer {token}"))
        await asyncio.gather(*(other.case.load(i) for i in many[:5]), return_exceptions=True)
        assert gw.paths() == ["/cases/batch"]


async def test_a_service_that_is_down_costs_only_its_own_fields(
        api: Api, http: httpx.AsyncClient, policy: dict) -> None:
    alert = await fresh_alert(api, policy)
    lead = api.auth(api.token("Investigator"))
    confirmed = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=lead,
                                json={})
    assert confirmed.status_code == 200, confirmed.text
    token = api.token("Investigator")
    down = f"http://127.0.0.1:{_closed_port()}"

    async with gateway(api, identity_url=down) as gw:
        started = time.monotonic()
        result = await gw.query(QUEUE_WITHOUT_POLICY, token)
        elapsed = time.monotonic() - started
    nodes = [e["node"] for e in result["data"]["alerts"]["edges"]]
    assert nodes, "the cases service still answers the queue"
    assert all(n["person"] is None for n in nodes)
    mine = next(n for n in nodes if n["id"] == to_global_id("Alert", alert["id"]))
    assert mine["case"]["rawId"] == confirmed.json()["case_id"]
    errors = result["errors"]
    assert len(errors) == len(nodes)  # one per person field, from one failed batch call
    for error in errors:
        assert error["path"][-1] == "person"
        assert error["message"] == "The identity service is unavailable; try again later."
        assert error["extensions"]["code"] == "INTERNAL"
        assert error["extensions"]["serviceCode"] == "upstream_unavailable"
    assert "Traceback" not in str(result) and down not in str(result)
    # The batch call, tried three times (GETs are retried), then given up: fast.
    assert [p for p in gw.paths() if p == "/people/batch"] == ["/people/batch"] * 3
    assert elapsed < 10

    # Scoring down: the policy loader fails every key with the same clear error.
    async with gateway(api, scoring_url=down) as gw:
        loaders = Loaders(Services(gw.http, gw.settings, f"Bearer {token}"))
        got = await asyncio.gather(loaders.policy.load(alert["policy_id"]),
                                   loaders.policy.load(str(uuid.uuid4())),
                                   return_exceptions=True)
    for failure in got:
        assert isinstance(failure, ServiceError) and failure.status == 503
        shown = to_client_error(GraphQLError("x", original_error=failure, path=["policy"]))
        assert shown.message == "The scoring service is unavailable; try again later."
        assert shown.extensions["code"] == "INTERNAL"
    # ...and through GraphQL: the page answers, each alert's policy is null with that error.
    async with gateway(api, scoring_url=down) as gw:
        result = await gw.query(QUEUE, token)
    nodes = [e["node"] for e in result["data"]["alerts"]["edges"]]
    assert nodes and all(n["policy"] is None for n in nodes)
    assert all(n["person"] and n["person"]["alias"] for n in nodes)
    assert {tuple(e["path"][-1:]) for e in result["errors"]} == {("policy",)}
    assert {e["message"] for e in result["errors"]} == {
        "The scoring service is unavailable; try again later."}
