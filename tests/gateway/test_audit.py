"""The audit log through GraphQL: every filter of the REST query, and the chain check with an
anchor (the export stays REST: it is a stream)."""

from __future__ import annotations

import httpx

from tests.conftest import Api
from tests.gateway.test_graphql import codes, gql

LOG = """query($action: String, $outcome: String, $actor: String, $target: String,
               $since: DateTime, $until: DateTime, $after: String) {
  auditLog(first: 2, action: $action, outcome: $outcome, actor: $actor, target: $target,
           since: $since, until: $until, after: $after) {
    edges { node { seq action outcome target prevHash hash } }
    pageInfo { hasNextPage endCursor } } }"""

VERIFY = """query($since: Int, $hash: String) {
  verifyAuditChain(sinceSeq: $since, expectedHash: $hash) {
    valid rowsChecked firstBrokenSeq reason sinceSeq headSeq headHash } }"""


async def test_the_audit_log_query_takes_every_filter(api: Api) -> None:
    auditor = api.token("Auditor")
    async with httpx.AsyncClient(timeout=30) as client:
        for token in (api.admin_token(), api.token("Analyst"), api.token("Investigator")):
            # denied, and recorded as such
            await client.get(f"{api.identity}/audit/export", headers=api.auth(token))
        rest = (await client.get(f"{api.identity}/audit", headers=api.auth(auditor), params={
            "action": "audit.", "outcome": "denied", "target": "/audit/export",
            "since": "2020-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z",
            "limit": 4})).json()["items"]
    variables = {"action": "audit.", "outcome": "denied", "target": "/audit/export",
                 "since": "2020-01-01T00:00:00+00:00", "until": "2100-01-01T00:00:00+00:00"}
    first = (await gql(api, LOG, auditor, **variables))["data"]["auditLog"]
    assert first["pageInfo"]["hasNextPage"] is True
    second = (await gql(api, LOG, auditor, after=first["pageInfo"]["endCursor"],
                        **variables))["data"]["auditLog"]
    nodes = [e["node"] for e in first["edges"] + second["edges"]]
    assert [n["seq"] for n in nodes] == [e["seq"] for e in rest]
    assert [n["prevHash"] for n in nodes] == [e["prev_hash"] for e in rest]
    assert {(n["action"], n["outcome"], n["target"]) for n in nodes} == {
        ("audit.export", "denied", "/audit/export")}
    one = (await gql(api, LOG, auditor, actor="nobody:at-all"))["data"]["auditLog"]
    assert one["edges"] == []
    naive = await gql(api, LOG, auditor, since="2026-11-01T10:00:00")
    assert codes(naive) == ["BAD_USER_INPUT"]
    assert naive["errors"][0]["extensions"]["invalidParams"][0]["field"] == "since"


async def test_verify_reports_the_head_and_checks_from_an_anchor(api: Api) -> None:
    auditor = api.token("Auditor")
    whole = (await gql(api, VERIFY, auditor))["data"]["verifyAuditChain"]
    assert whole["valid"] is True and whole["rowsChecked"] == whole["headSeq"]
    anchored = (await gql(api, VERIFY, auditor, since=whole["headSeq"],
                          hash=whole["headHash"]))["data"]["verifyAuditChain"]
    assert anchored["valid"] is True and anchored["sinceSeq"] == whole["headSeq"]
    assert anchored["rowsChecked"] < whole["rowsChecked"]
    wrong = (await gql(api, VERIFY, auditor, since=whole["headSeq"],
                       hash="0" * 64))["data"]["verifyAuditChain"]
    assert (wrong["valid"], wrong["firstBrokenSeq"], wrong["reason"]) == (
        False, whole["headSeq"], "row does not match the anchored hash")
    half = await gql(api, VERIFY, auditor, since=whole["headSeq"])
    assert codes(half) == ["BAD_USER_INPUT"]
    assert half["errors"][0]["extensions"]["invalidParams"][0]["field"] == "expected_hash"
    assert codes(await gql(api, VERIFY, api.token("Analyst"))) == ["FORBIDDEN"]
