"""What one request may ask of the gateway: depth, aliases, tokens, cost, size, persisted
queries, introspection and the IDE per environment, and global ids. These are refused before
any service is called, so the gateway runs in-process here with no services behind it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.app import create
from gateway.errors import ServiceError
from gateway.schema.common import decode_id, from_global_id, to_global_id
from gateway.settings import GatewaySettings

CLOSED = "http://127.0.0.1:9"  # nothing listens: a call that got through would fail loudly


def _client(**overrides: object) -> Iterator[TestClient]:
    settings = GatewaySettings(identity_url=CLOSED, ingest_url=CLOSED, scoring_url=CLOSED,
                               cases_url=CLOSED, **overrides)
    with TestClient(create(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def gateway() -> Iterator[TestClient]:
    yield from _client(max_cost=2000, max_tokens=400)


def _post(client: TestClient, body: dict) -> dict:
    resp = client.post("/graphql", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _codes(result: dict) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors") or []]


def test_a_deep_query_is_refused() -> None:
    for client in _client(max_depth=3):
        result = _post(client, {"query": "{ alerts { edges { node { case { id } } } } }"})
        assert _codes(result) == ["BAD_USER_INPUT"]
        assert "exceeds maximum operation depth of 3" in result["errors"][0]["message"]
        shallow = _post(client, {"query": "{ alerts { edges { node { id } } } }"})
        assert _codes(shallow) == ["INTERNAL"]  # let through: the service is not there


def test_too_many_aliases_are_refused(gateway: TestClient) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    result = _post(gateway, {"query": query})
    assert _codes(result) == ["BAD_USER_INPUT"]
    assert "aliases" in result["errors"][0]["message"]


def test_too_many_tokens_are_refused(gateway: TestClient) -> None:
    query = "{ " + " ".join("__typename" for _ in range(500)) + " }"
    result = _post(gateway, {"query": query})
    assert _codes(result) == ["BAD_USER_INPUT"]
    assert "token" in result["errors"][0]["message"].lower()


def test_a_query_over_the_cost_budget_is_refused_with_its_cost(gateway: TestClient) -> None:
    page = "alerts(first: $n) { edges { node { id case { id notes { nodes { body } } } } } }"
    query = f"query($n: Int!) {{ {page} }}"
    over = _post(gateway, {"query": query, "variables": {"n": 20}})
    assert _codes(over) == ["BAD_USER_INPUT"]
    ext = over["errors"][0]["extensions"]
    # 1 + 20 x (edges + node + id + case + id + notes + 50 x (nodes + body)): `notes` is a
    # connection asked for without `first`, so its default page of 50 is counted
    assert (ext["cost"], ext["budget"]) == (1 + 20 * (6 + 50 * 2), 2000)
    fragment = """query($n: Int!) { a: alerts(first: $n) { ...page } b: alerts(first: $n)
        { ...page } } fragment page on AlertConnection { edges { node { id case { id } } } }"""
    result = _post(gateway, {"query": fragment, "variables": {"n": 200}})
    assert result["errors"][0]["extensions"]["cost"] == 2 * (1 + 200 * 5)
    assert _codes(result) == ["BAD_USER_INPUT"]
    cheap = _post(gateway, {"query": "{ __typename }"})
    assert cheap["extensions"]["cost"] == {"requested": 1, "budget": 2000}


def test_an_oversized_body_is_refused_before_it_is_read() -> None:
    for client in _client(max_query_bytes=2048):
        resp = client.post("/graphql", json={"query": "{ __typename }", "x": "y" * 4096})
        assert resp.status_code == 413
        assert resp.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_automatic_persisted_queries(gateway: TestClient) -> None:
    query = "{ __typename persisted: __typename }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    ext = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    unknown = _post(gateway, {"extensions": ext})
    assert _codes(unknown) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert unknown["errors"][0]["message"] == "PersistedQueryNotFound"
    registered = _post(gateway, {"query": query, "extensions": ext})
    assert registered["data"] == {"__typename": "Query", "persisted": "Query"}
    by_hash = _post(gateway, {"extensions": ext})
    assert by_hash["data"] == registered["data"]
    wrong = _post(gateway, {"query": "{ __typename }", "extensions": ext})
    assert _codes(wrong) == ["BAD_USER_INPUT"]
    malformed = _post(gateway, {"extensions": {"persistedQuery": {"version": 2}}})
    assert _codes(malformed) == ["BAD_USER_INPUT"]


INTROSPECTION = "{ __schema { queryType { name } } }"


def test_introspection_and_the_ide_follow_the_environment() -> None:
    for client in _client():
        assert _post(client, {"query": INTROSPECTION})["data"]["__schema"]
        assert client.get("/graphql", headers={"Accept": "text/html"}).status_code == 200
    for client in _client(env="production"):
        assert set(_codes(_post(client, {"query": INTROSPECTION}))) == {"BAD_USER_INPUT"}
        assert client.get("/graphql", headers={"Accept": "text/html"}).status_code == 404
    for client in _client(env="production", introspection=True, graphiql=True):
        assert _post(client, {"query": INTROSPECTION})["data"]["__schema"]
        assert client.get("/graphql", headers={"Accept": "text/html"}).status_code == 200


def test_global_ids() -> None:
    key = "0b6a5f3e-1d7c-4c61-9f55-4f1e1f3c7a10"
    gid = to_global_id("Alert", key)
    assert "=" not in gid and key not in gid
    assert from_global_id(gid) == ("Alert", key)
    assert decode_id(gid, "Alert", "alertId") == key
    assert decode_id(key.upper(), "Alert", "alertId") == key  # the REST id is accepted too
    assert decode_id(gid, ("Case", "Alert"), "id") == key
    for bad, reason in ((to_global_id("Case", key), "the id of a Case, not of a Alert"),
                        ("not-an-id", "not a valid id")):
        with pytest.raises(ServiceError) as refused:
            decode_id(bad, "Alert", "alertId")
        assert refused.value.status == 422 and reason in refused.value.detail
        assert refused.value.invalid_params == [
            {"field": "alertId", "reason": refused.value.detail}]


def test_node_refuses_an_id_of_no_type(gateway: TestClient) -> None:
    result = _post(gateway, {"query": '{ node(id: "bm9wZTp4") { id } }'})
    assert _codes(result) == ["BAD_USER_INPUT"]
    many = ", ".join(f'"{to_global_id("Alert", str(i))}"' for i in range(101))
    assert _codes(_post(gateway, {"query": f"{{ nodes(ids: [{many}]) {{ id }} }}"})) == [
        "BAD_USER_INPUT"]


def test_cached_parsing_and_validation_still_refuse_and_price_each_request(
        gateway: TestClient) -> None:
    unknown = "{ alerts { edges { node { noSuchField } } } }"
    for _ in range(2):  # the second answer comes from the validation cache
        result = _post(gateway, {"query": unknown})
        assert _codes(result) == ["BAD_USER_INPUT"]
        assert "noSuchField" in result["errors"][0]["message"]
    page = "query($n: Int!) { alerts(first: $n) { edges { node { id case { id } } } } }"
    cheap = _post(gateway, {"query": page, "variables": {"n": 2}})
    assert cheap["extensions"]["cost"]["requested"] == 1 + 2 * 5
    assert _codes(cheap) == ["INTERNAL"]  # let through: no service behind this gateway
    dear = _post(gateway, {"query": page, "variables": {"n": 500}})
    assert _codes(dear) == ["BAD_USER_INPUT"]  # same document, other variables: priced again
    assert dear["errors"][0]["extensions"]["cost"] == 1 + 500 * 5
