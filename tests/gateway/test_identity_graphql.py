"""Identity's features through GraphQL: sessions, the privacy setting, scopes and the
two-person reveal."""

from __future__ import annotations

import httpx

from tests.conftest import PASSWORD, Api
from tests.factories import (
    departing_story,
    ingest,
    people_policy,
    person_email,
    subject_of,
    wait_for_alert,
)
from tests.gateway.test_graphql import codes, gql
from tests.identity.test_reveals import privacy  # noqa: F401  (fixture)


async def test_sessions_refresh_once_and_sign_out(api: Api, http: httpx.AsyncClient) -> None:
    email = person_email()
    account = await http.post(f"{api.identity}/accounts", headers=api.auth(api.admin_token()),
                         json={"email": email, "display_name": "S", "password": PASSWORD,
                               "roles": ["Analyst"]})
    assert account.status_code == 201
    signed = await gql(api, """mutation($e: String!, $p: String!) {
        signIn(input: {email: $e, password: $p}) {
          session { accessToken refreshToken refreshExpiresIn } } }""", e=email, p=PASSWORD)
    first = signed["data"]["signIn"]["session"]
    assert first["refreshToken"] and first["refreshExpiresIn"] > 0
    refresh = """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {
        session { accessToken refreshToken } } }"""
    second = (await gql(api, refresh, t=first["refreshToken"])
              )["data"]["refreshSession"]["session"]
    me = await gql(api, "{ me { email } }", second["accessToken"])
    assert me["data"]["me"]["email"] == email
    reused = await gql(api, refresh, t=first["refreshToken"])
    assert codes(reused) == ["UNAUTHENTICATED"]
    # The reuse ended the whole session: the newer refresh token is dead too.
    assert codes(await gql(api, refresh, t=second["refreshToken"])) == ["UNAUTHENTICATED"]
    third = (await gql(api, """mutation($e: String!, $p: String!) {
        signIn(input: {email: $e, password: $p}) { session { refreshToken } } }""",
                       e=email, p=PASSWORD))
    token = third["data"]["signIn"]["session"]["refreshToken"]
    out = await gql(api, """mutation($t: String!) { signOut(input: {refreshToken: $t})
        { signedOut errors { __typename } } }""", t=token)
    assert out["data"]["signOut"] == {"signedOut": True, "errors": []}
    assert codes(await gql(api, refresh, t=token)) == ["UNAUTHENTICATED"]


async def test_two_person_reveal_privacy_and_scope_through_graphql(
        api: Api, http: httpx.AsyncClient, privacy: dict) -> None:  # noqa: F811
    admin = api.admin_token()
    changed = await gql(api, """mutation { updatePrivacySettings(input: {twoPersonReveal: true})
        { settings { pseudonymise twoPersonReveal revealTtlSeconds updatedBy } } }""", admin)
    assert changed["data"]["updatePrivacySettings"]["settings"]["twoPersonReveal"] is True
    assert changed["data"]["updatePrivacySettings"]["settings"]["pseudonymise"] is True

    policy = people_policy(api)
    email = person_email()
    added = await http.post(f"{api.identity}/people", headers=api.auth(admin),
                            json={"email": email, "display_name": "Gale Graph"})
    assert added.status_code == 200, added.text
    ingest(api, departing_story(email))
    subject = subject_of(api, email)["subject_id"]
    alert = await wait_for_alert(api, policy["id"], subject)
    _, requester = api.new_account("Investigator")
    confirmed = await gql(api, """mutation($id: ID!) { confirmAlert(input: {alertId: $id})
        { alert { case { rawId } } } }""", requester, id=alert["id"])
    # revealPerson still takes the case's REST id (gateway/schema/reveals.py).
    case_id = confirmed["data"]["confirmAlert"]["alert"]["case"]["rawId"]

    asked = await gql(api, """mutation($input: RevealPersonInput!) { revealPerson(input: $input)
        { request { id status identity { displayName } person { displayName } } } }""",
                      requester, input={"personId": subject, "caseId": case_id,
                                        "justification": "Legal needs the name"})
    request = asked["data"]["revealPerson"]["request"]
    assert request["status"] == "PENDING" and request["identity"] is None
    assert request["person"]["displayName"] is None
    queue = await gql(api, """{ revealRequests(status: PENDING, first: 50) {
        edges { node { id justification } } } }""", admin)
    assert request["id"] in [e["node"]["id"] for e in queue["data"]["revealRequests"]["edges"]]
    own = await gql(api, """mutation($id: ID!) { approveReveal(input: {requestId: $id}) {
        request { status } errors { __typename } } }""", requester, id=request["id"])
    assert own["data"]["approveReveal"] == {"request": None,
                                            "errors": [{"__typename": "ForbiddenError"}]}
    approved = await gql(api, """mutation($id: ID!) { approveReveal(input: {requestId: $id,
        reason: "checked"}) { request { status decidedBy grantExpiresAt } } }""", admin,
                         id=request["id"])
    assert approved["data"]["approveReveal"]["request"]["status"] == "GRANTED"
    assert approved["data"]["approveReveal"]["request"]["grantExpiresAt"]
    seen = await gql(api, """query($s: ID!) { person(subjectId: $s) { revealed displayName } }""",
                     requester, s=subject)
    assert seen["data"]["person"] == {"revealed": True, "displayName": "Gale Graph"}

    # Scope: an Admin limits an Analyst to another department; the alert disappears.
    analyst_id, analyst = api.new_account("Analyst")
    scoped = await gql(api, """mutation($a: ID!) { setAccessScope(input: {accountId: $a,
        departments: ["Nowhere"]}) { scope { restricted departments } } }""", admin,
                       a=analyst_id)
    assert scoped["data"]["setAccessScope"]["scope"] == {"restricted": True,
                                                         "departments": ["Nowhere"]}
    read = await gql(api, "query($a: ID!) { accessScope(accountId: $a) { departments } }",
                     admin, a=analyst_id)
    assert read["data"]["accessScope"]["departments"] == ["Nowhere"]
    hidden = await gql(api, "query($id: ID!) { alert(id: $id) { id } }", analyst,
                       id=alert["id"])
    assert codes(hidden) == ["NOT_FOUND"]
