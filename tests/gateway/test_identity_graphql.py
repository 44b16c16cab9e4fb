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
        signIn(email: $e, password: $p) { accessToken refreshToken refreshExpiresIn } }""",
                       e=email, p=PASSWORD)
    first = signed["data"]["signIn"]
    assert first["refreshToken"] and first["refreshExpiresIn"] > 0
    refresh = """mutation($t: String!) { refreshSession(refreshToken: $t) {
        accessToken refreshToken } }"""
    second = (await gql(api, refresh, t=first["refreshToken"]))["data"]["refreshSession"]
    me = await gql(api, "{ me { email } }", second["accessToken"])
    assert me["data"]["me"]["email"] == email
    reused = await gql(api, refresh, t=first["refreshToken"])
    assert codes(reused) == ["UNAUTHENTICATED"]
    # The reuse ended the whole session: the newer refresh token is dead too.
    assert codes(await gql(api, refresh, t=second["refreshToken"])) == ["UNAUTHENTICATED"]
    third = (await gql(api, """mutation($e: String!, $p: String!) {
        signIn(email: $e, password: $p) { refreshToken } }""", e=email, p=PASSWORD))
    token = third["data"]["signIn"]["refreshToken"]
    out = await gql(api, "mutation($t: String!) { signOut(refreshToken: $t) }", t=token)
    assert out["data"]["signOut"] is True
    assert codes(await gql(api, refresh, t=token)) == ["UNAUTHENTICATED"]


async def test_two_person_reveal_privacy_and_scope_through_graphql(
        api: Api, http: httpx.AsyncClient, privacy: dict) -> None:  # noqa: F811
    admin = api.admin_token()
    changed = await gql(api, """mutation { updatePrivacySettings(input: {twoPersonReveal: true})
        { pseudonymise twoPersonReveal revealTtlSeconds updatedBy } }""", admin)
    assert changed["data"]["updatePrivacySettings"]["twoPersonReveal"] is True
    assert changed["data"]["updatePrivacySettings"]["pseudonymise"] is True

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
        { id status identity { displayName } person { displayName } } }""", requester,
                      input={"subjectId": subject, "caseId": case_id,
                             "justification": "Legal needs the name"})
    request = asked["data"]["revealPerson"]
    assert request["status"] == "PENDING" and request["identity"] is None
    assert request["person"]["displayName"] is None
    queue = await gql(api, """{ revealRequests(status: PENDING, first: 50) {
        edges { node { id justification } } } }""", admin)
    assert request["id"] in [e["node"]["id"] for e in queue["data"]["revealRequests"]["edges"]]
    own = await gql(api, """mutation($id: ID!) { approveReveal(requestId: $id) { status } }""",
                    requester, id=request["id"])
    assert codes(own) == ["FORBIDDEN"]
    approved = await gql(api, """mutation($id: ID!) { approveReveal(requestId: $id,
        reason: "checked") { status decidedBy grantExpiresAt } }""", admin, id=request["id"])
    assert approved["data"]["approveReveal"]["status"] == "GRANTED"
    assert approved["data"]["approveReveal"]["grantExpiresAt"]
    seen = await gql(api, """query($s: ID!) { person(subjectId: $s) { revealed displayName } }""",
                     requester, s=subject)
    assert seen["data"]["person"] == {"revealed": True, "displayName": "Gale Graph"}

    # Scope: an Admin limits an Analyst to another department; the alert disappears.
    analyst_id, analyst = api.new_account("Analyst")
    scoped = await gql(api, """mutation($a: ID!) { setAccessScope(accountId: $a,
        input: {departments: ["Nowhere"]}) { restricted departments } }""", admin,
                       a=analyst_id)
    assert scoped["data"]["setAccessScope"] == {"restricted": True, "departments": ["Nowhere"]}
    read = await gql(api, "query($a: ID!) { accessScope(accountId: $a) { departments } }",
                     admin, a=analyst_id)
    assert read["data"]["accessScope"]["departments"] == ["Nowhere"]
    hidden = await gql(api, "query($id: ID!) { alert(id: $id) { id } }", analyst,
                       id=alert["id"])
    assert codes(hidden) == ["NOT_FOUND"]
