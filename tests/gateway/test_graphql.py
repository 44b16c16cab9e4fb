"""The gateway's triage, case, admin and error paths against the running services."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import Api
from tests.factories import fresh_alert


async def gql(api: Api, query: str, token: str | None = None, **variables: Any) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30) as client:
        resp = await client.post(api.gateway, json={"query": query, "variables": variables},
                                 headers=headers)
    assert resp.status_code == 200
    return resp.json()


def codes(result: dict) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]




async def test_errors_carry_codes_and_no_internals(api: Api) -> None:
    anonymous = await gql(api, "{ alerts(first: 5) { edges { node { id } } } }")
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    analyst = api.token("Analyst")
    missing = await gql(api, "query($id: ID!) { alert(id: $id) { id } }", analyst,
                        id=str(uuid.uuid4()))
    assert codes(missing) == ["NOT_FOUND"]
    bad_enum = await gql(api, "{ alerts(status: URGENT) { edges { node { id } } } }", analyst)
    assert codes(bad_enum) == ["BAD_USER_INPUT"]
    bad_page = await gql(api, "{ alerts(first: 5000) { edges { node { id } } } }", analyst)
    assert codes(bad_page) == ["BAD_USER_INPUT"]
    wrong_role = await gql(api, "{ accounts { nodes { id } } }", analyst)
    assert codes(wrong_role) == ["FORBIDDEN"]
    bad_sign_in = await gql(api, 'mutation { signIn(input: {email: "x@y.z", password: "nope"})'
                                 " { session { accessToken } } }")
    assert codes(bad_sign_in) == ["UNAUTHENTICATED"]
    text = str([anonymous, missing, bad_enum, wrong_role, bad_sign_in])
    assert "Traceback" not in text and "127.0.0.1" not in text


async def test_dismiss_and_close_through_graphql(api: Api, policy: dict) -> None:
    investigator = api.token("Investigator")
    first, second = await fresh_alert(api, policy), await fresh_alert(api, policy)
    dismissed = await gql(api, """mutation($input: DismissAlertInput!) {
        dismissAlert(input: $input) { alert { rawId status dismissReason dismissComment }
                                      errors { __typename } } }""",
        investigator, input={"alertId": first["id"], "reason": "FALSE_POSITIVE",
                             "comment": "Backup job"})
    assert dismissed["data"]["dismissAlert"]["errors"] == []
    assert dismissed["data"]["dismissAlert"]["alert"] == {
        "rawId": first["id"], "status": "DISMISSED", "dismissReason": "FALSE_POSITIVE",
        "dismissComment": "Backup job"}
    again = await gql(api, """mutation($input: DismissAlertInput!) {
        dismissAlert(input: $input) { alert { id } errors { __typename
          ... on DomainError { code } ... on ConflictError { currentStatus } } } }""",
        investigator, input={"alertId": first["id"], "reason": "OTHER"})
    assert again["data"]["dismissAlert"] == {"alert": None, "errors": [
        {"__typename": "ConflictError", "code": "alert_not_open",
         "currentStatus": "dismissed"}]}
    case = (await gql(api, """mutation($input: ConfirmAlertInput!) {
        confirmAlert(input: $input) { alert { case { id } } } }""", investigator,
        input={"alertId": second["id"]}))["data"]["confirmAlert"]["alert"]["case"]
    closed = await gql(api, """mutation($input: CloseCaseInput!) {
        closeCase(input: $input) { case { id status classification actionTaken closedAt } } }""",
        investigator, input={"caseId": case["id"], "classification": "CONFIRMED_VIOLATION",
                             "actionTaken": "Access revoked"})
    got = closed["data"]["closeCase"]["case"]
    assert got["status"] == "CLOSED" and got["classification"] == "CONFIRMED_VIOLATION"
    assert got["closedAt"]
    listed = await gql(api, """{ cases(status: CLOSED, first: 200) {
        edges { node { id } } pageInfo { hasNextPage } } }""", investigator)
    assert case["id"] in [e["node"]["id"] for e in listed["data"]["cases"]["edges"]]


async def test_connections_page_with_cursors(api: Api, policy: dict) -> None:
    await fresh_alert(api, policy)
    await fresh_alert(api, policy)
    analyst = api.token("Analyst")
    query = """query($after: String) { alerts(first: 1, after: $after) {
        edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""
    first = (await gql(api, query, analyst))["data"]["alerts"]
    assert first["pageInfo"]["hasNextPage"] is True
    second = (await gql(api, query, analyst, after=first["pageInfo"]["endCursor"]))
    second = second["data"]["alerts"]
    assert second["edges"][0]["node"]["id"] != first["edges"][0]["node"]["id"]


async def test_admin_manages_accounts_and_policies(api: Api) -> None:
    admin = api.admin_token()
    email = f"gql-{uuid.uuid4().hex[:8]}@test.example"
    created = await gql(api, """mutation($input: CreateAccountInput!) {
        createAccount(input: $input) { account { id email roles } } }""", admin,
        input={"email": email, "displayName": "G", "password": "long-enough-password",
               "roles": ["ANALYST"]})
    account = created["data"]["createAccount"]["account"]
    assert account["roles"] == ["ANALYST"]
    changed = await gql(api, """mutation($id: ID!) { setRoles(input: {accountId: $id,
        roles: [INVESTIGATOR, AUDITOR]}) { account { roles } } }""", admin, id=account["id"])
    assert sorted(changed["data"]["setRoles"]["account"]["roles"]) == ["AUDITOR",
                                                                       "INVESTIGATOR"]
    short = await gql(api, """mutation($input: CreateAccountInput!) {
        createAccount(input: $input) { account { id }
          errors { __typename ... on ValidationError { fields { field } } } } }""", admin,
        input={"email": f"x{email}", "displayName": "G", "password": "short", "roles": []})
    assert short["data"]["createAccount"]["account"] is None
    assert short["data"]["createAccount"]["errors"] == [
        {"__typename": "ValidationError", "fields": [{"field": "password"}]}]
    templates = await gql(api, "{ templates { key triggeringEvents } }", admin)
    assert {"key": "data_theft_departing_users",
            "triggeringEvents": ["hr.resignation", "hr.termination", "manual"]} in \
        templates["data"]["templates"]
