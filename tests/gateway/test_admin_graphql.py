"""The admin slice of the schema through the gateway: people and reveal requests as nodes,
accounts and role assignments, service clients, sign-in payloads, webhooks with their
deliveries, connector runs and event storage."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from gateway.schema.common import to_global_id
from tests.cases.receiver import Receiver
from tests.conftest import Api
from tests.factories import fresh_alert, person_email, subject_of
from tests.gateway.test_graphql import codes, gql
from tests.identity.test_reveals import privacy  # noqa: F401  (fixture)

ERRORS = "errors { __typename ... on DomainError { code } " \
         "... on ValidationError { fields { field } } ... on ConflictError { currentStatus } }"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


async def wait_until(check, *, within: float = 30, what: str = "condition"):
    deadline = time.monotonic() + within
    while True:
        got = await check()
        if got:
            return got
        assert time.monotonic() < deadline, f"{what} not met within {within} s"
        await asyncio.sleep(0.3)


# People and reveal requests ----------------------------------------------------------------

async def test_people_and_reveal_requests_are_nodes(
        api: Api, http: httpx.AsyncClient, policy: dict, privacy: dict) -> None:  # noqa: F811
    admin, investigator = api.admin_token(), api.token("Investigator")
    alert = await fresh_alert(api, policy)
    subject = alert["subject_id"]
    person_id = to_global_id("Person", subject)
    by_global = await gql(api, """query($id: ID!) { person(subjectId: $id) { id rawId alias }
        node(id: $id) { __typename ... on Person { rawId revealed } } }""", investigator,
                          id=person_id)
    assert by_global["data"]["person"]["id"] == person_id
    assert by_global["data"]["person"]["rawId"] == subject
    assert by_global["data"]["node"] == {"__typename": "Person", "rawId": subject,
                                         "revealed": False}
    wrong_type = await gql(api, "query($id: ID!) { person(subjectId: $id) { alias } }",
                           investigator, id=to_global_id("Alert", alert["id"]))
    assert codes(wrong_type) == ["BAD_USER_INPUT"]

    case_id = (await http.post(f"{api.cases}/alerts/{alert['id']}/confirm",
                               headers=api.auth(investigator), json={})).json()["case_id"]
    await gql(api, "mutation { updatePrivacySettings(input: {twoPersonReveal: true}) "
                   "{ errors { __typename } } }", admin)
    asked = await gql(api, """mutation($input: RevealPersonInput!) {
        revealPerson(input: $input) { request { id status caseId } errors { __typename } } }""",
                      investigator, input={"personId": person_id, "caseId": case_id,
                                           "justification": "Legal asked for the name"})
    request = asked["data"]["revealPerson"]["request"]
    assert request["status"] == "PENDING"
    assert request["caseId"] == to_global_id("Case", case_id)

    # The Admin approver reads it by id and as a node; the case itself is not theirs to read.
    one = await gql(api, """query($id: ID!) { revealRequest(id: $id) { id justification
        person { rawId } case { title } } node(id: $id) { ... on RevealRequest { status } } }""",
                    admin, id=request["id"])
    assert one["data"]["revealRequest"]["justification"] == "Legal asked for the name"
    assert one["data"]["revealRequest"]["person"] == {"rawId": subject}
    assert one["data"]["revealRequest"]["case"] is None
    assert codes(one) == ["FORBIDDEN"]
    assert one["data"]["node"] == {"status": "PENDING"}
    mine = await gql(api, """query($p: ID!) { revealRequests(personId: $p, first: 10) {
        nodes { id } pageInfo { hasPreviousPage } } }""", admin, p=person_id)
    assert [n["id"] for n in mine["data"]["revealRequests"]["nodes"]] == [request["id"]]

    short = await gql(api, f"""mutation($id: ID!) {{ refuseReveal(input: {{requestId: $id,
        reason: "n"}}) {{ request {{ id }} {ERRORS} }} }}""", admin, id=request["id"])
    assert short["data"]["refuseReveal"]["request"] is None
    assert short["data"]["refuseReveal"]["errors"][0]["__typename"] == "ValidationError"
    refused = await gql(api, """mutation($id: ID!) { refuseReveal(input: {requestId: $id,
        reason: "not needed for this case"}) { request { status decidedBy decisionReason }
        errors { __typename } } }""", admin, id=request["id"])
    assert refused["data"]["refuseReveal"]["errors"] == []
    assert refused["data"]["refuseReveal"]["request"]["status"] == "REFUSED"
    again = await gql(api, f"""mutation($id: ID!) {{ approveReveal(input: {{requestId: $id}})
        {{ request {{ id }} {ERRORS} }} }}""", admin, id=request["id"])
    assert again["data"]["approveReveal"]["errors"][0]["__typename"] == "ConflictError"
    missing = await gql(api, f"""mutation($id: ID!) {{ approveReveal(input: {{requestId: $id}})
        {{ {ERRORS} }} }}""", admin, id=to_global_id("RevealRequest", str(uuid.uuid4())))
    assert missing["data"]["approveReveal"]["errors"][0]["__typename"] == "NotFoundError"
    not_an_id = await gql(api, f"""mutation {{ approveReveal(input: {{requestId: "nope"}})
        {{ {ERRORS} }} }}""", admin)
    assert not_an_id["data"]["approveReveal"]["errors"] == [
        {"__typename": "ValidationError", "code": "invalid_input",
         "fields": [{"field": "requestId"}]}]


async def test_rekey_status_and_start(api: Api) -> None:
    started = await gql(api, """mutation { startRekey { status { keyId remaining
        run { runId status startedBy } } errors { __typename } } }""", api.admin_token())
    payload = started["data"]["startRekey"]
    assert payload["errors"] == []
    assert payload["status"]["run"]["status"] in ("RUNNING", "SUCCEEDED")
    assert payload["status"]["run"]["startedBy"].startswith("user:")
    denied = await gql(api, "mutation { startRekey { status { keyId } errors { __typename } } }",
                       api.token("Analyst"))
    assert denied["data"]["startRekey"] == {"status": None,
                                            "errors": [{"__typename": "ForbiddenError"}]}


# Accounts, scopes and roles ----------------------------------------------------------------

async def test_accounts_are_nodes_with_scopes_and_role_assignments(api: Api) -> None:
    admin = api.admin_token()
    raw_id, token = api.new_account("Auditor")
    mine = await gql(api, "{ me { id rawId subject roles accessScope { restricted } } }",
                     token)
    assert codes(mine) == ["FORBIDDEN"]  # the scope is the Admins'; the rest still answers
    me = mine["data"]["me"]
    assert me == {"id": to_global_id("Account", raw_id), "rawId": raw_id,
                  "subject": f"user:{raw_id}", "roles": ["AUDITOR"], "accessScope": None}

    auditors = await gql(api, """{ accounts(role: AUDITOR, first: 500) {
        nodes { id } pageInfo { hasNextPage } } }""", admin)
    assert me["id"] in [n["id"] for n in auditors["data"]["accounts"]["nodes"]]
    page = (await gql(api, "{ accounts(first: 1) { nodes { id } pageInfo { endCursor } } }",
                      admin))["data"]["accounts"]
    after = await gql(api, """query($a: String) { accounts(first: 1, after: $a) {
        nodes { id } pageInfo { hasPreviousPage } } }""", admin, a=page["pageInfo"]["endCursor"])
    assert after["data"]["accounts"]["pageInfo"]["hasPreviousPage"] is True
    assert after["data"]["accounts"]["nodes"] != page["nodes"]

    one = await gql(api, """query($id: ID!) { account(id: $id) { email accessScope {
        restricted } } node(id: $id) { ... on Account { rawId } } }""", admin, id=me["id"])
    assert one["data"]["account"]["accessScope"] == {"restricted": False}
    assert one["data"]["node"] == {"rawId": raw_id}
    missing = await gql(api, "query($id: ID!) { account(id: $id) { email } }", admin,
                        id=to_global_id("Account", str(uuid.uuid4())))
    assert codes(missing) == ["NOT_FOUND"]

    changed = await gql(api, f"""mutation($id: ID!) {{ setRoles(input: {{accountId: $id,
        roles: [ANALYST]}}) {{ account {{ roles }} {ERRORS} }} }}""", admin, id=me["id"])
    assert changed["data"]["setRoles"] == {"account": {"roles": ["ANALYST"]}, "errors": []}
    assignments = await gql(api, """{ roleAssignments(subjectKind: ACCOUNT, first: 500) {
        nodes { subject subjectKind role } pageInfo { hasNextPage endCursor } } }""", admin)
    nodes = assignments["data"]["roleAssignments"]["nodes"]
    while assignments["data"]["roleAssignments"]["pageInfo"]["hasNextPage"]:
        assignments = await gql(api, """query($a: String) { roleAssignments(
            subjectKind: ACCOUNT, first: 500, after: $a) { nodes { subject subjectKind role }
            pageInfo { hasNextPage endCursor } } }""", admin,
            a=assignments["data"]["roleAssignments"]["pageInfo"]["endCursor"])
        nodes += assignments["data"]["roleAssignments"]["nodes"]
    assert [n for n in nodes if n["subject"] == f"user:{raw_id}"] == [
        {"subject": f"user:{raw_id}", "subjectKind": "ACCOUNT", "role": "Analyst"}]
    assert {n["subjectKind"] for n in nodes} == {"ACCOUNT"}
    assert codes(await gql(api, "{ roleAssignments { nodes { role } } }",
                           api.token("Analyst"))) == ["FORBIDDEN"]

    wrong = await gql(api, f"""mutation($id: ID!) {{ setRoles(input: {{accountId: $id,
        roles: []}}) {{ account {{ roles }} {ERRORS} }} }}""", admin,
                      id=to_global_id("Policy", raw_id))
    assert wrong["data"]["setRoles"]["errors"] == [
        {"__typename": "ValidationError", "code": "invalid_input",
         "fields": [{"field": "accountId"}]}]
    nobody = await gql(api, f"""mutation($id: ID!) {{ setRoles(input: {{accountId: $id,
        roles: []}}) {{ {ERRORS} }} }}""", admin, id=to_global_id("Account", str(uuid.uuid4())))
    assert nobody["data"]["setRoles"]["errors"][0]["__typename"] == "NotFoundError"
    email = (await gql(api, "query($id: ID!) { account(id: $id) { email } }", admin,
                       id=me["id"]))["data"]["account"]["email"]
    taken = await gql(api, f"""mutation($input: CreateAccountInput!) {{
        createAccount(input: $input) {{ account {{ id }} {ERRORS} }} }}""", admin,
                      input={"email": email, "displayName": "Again",
                             "password": "long-enough-password"})
    assert taken["data"]["createAccount"]["errors"][0]["__typename"] == "ConflictError"
    as_analyst = await gql(api, f"""mutation($id: ID!) {{ setRoles(input: {{accountId: $id,
        roles: [ADMIN]}}) {{ {ERRORS} }} }}""", api.token("Analyst"), id=me["id"])
    assert as_analyst["data"]["setRoles"]["errors"][0]["__typename"] == "ForbiddenError"


async def test_clients_are_nodes_and_a_revoked_one_conflicts(api: Api) -> None:
    admin = api.admin_token()
    created = await gql(api, """mutation($input: CreateClientInput!) {
        createClient(input: $input) { clientSecret client { id rawId revoked } } }""", admin,
        input={"name": f"adm-{uuid.uuid4().hex[:8]}", "roles": ["INTEGRATOR"]})
    client = created["data"]["createClient"]["client"]
    assert client["id"] == to_global_id("ServiceClient", client["rawId"])
    node = await gql(api, "query($id: ID!) { node(id: $id) { ... on ServiceClient { roles } } }",
                     admin, id=client["id"])
    assert node["data"]["node"] == {"roles": ["INTEGRATOR"]}
    await gql(api, "mutation($id: ID!) { revokeClient(input: {clientId: $id}) { client { id } } }",
              admin, id=client["id"])
    live = await gql(api, "{ clients(includeRevoked: false, first: 500) { nodes { id } } }",
                     admin)
    assert client["id"] not in [n["id"] for n in live["data"]["clients"]["nodes"]]
    rotated = await gql(api, f"""mutation($id: ID!) {{ rotateClientSecret(input:
        {{clientId: $id}}) {{ clientSecret {ERRORS} }} }}""", admin, id=client["id"])
    assert rotated["data"]["rotateClientSecret"]["clientSecret"] is None
    assert rotated["data"]["rotateClientSecret"]["errors"][0]["__typename"] == "ConflictError"
    bad = await gql(api, f"""mutation($input: CreateClientInput!) {{ createClient(input:
        $input) {{ client {{ id }} {ERRORS} }} }}""", admin, input={"name": "no spaces allowed"})
    assert bad["data"]["createClient"]["errors"][0]["__typename"] == "ValidationError"
    assert bad["data"]["createClient"]["errors"][0]["fields"] == [{"field": "name"}]


# Sign-in -----------------------------------------------------------------------------------

async def test_sign_in_refuses_malformed_input_in_the_payload_and_bad_credentials_on_top(
        api: Api) -> None:
    sign_in = f"""mutation($e: String!) {{ signIn(input: {{email: $e, password: "x"}}) {{
        session {{ accessToken }} {ERRORS} }} }}"""
    malformed = await gql(api, sign_in, e="not an email")
    assert malformed["data"]["signIn"]["session"] is None
    assert malformed["data"]["signIn"]["errors"] == [
        {"__typename": "ValidationError", "code": "invalid_input",
         "fields": [{"field": "email"}]}]
    email = f"nobody-{uuid.uuid4().hex[:6]}@test.example"
    wrong = await gql(api, sign_in, e=email)
    assert codes(wrong) == ["UNAUTHENTICATED"] and wrong["data"] is None
    for _ in range(10):  # identity locks the email after a few failures (5 by default)
        wrong = await gql(api, sign_in, e=email)
        if wrong["errors"][0]["extensions"]["serviceCode"] == "sign_in_locked":
            break
    locked = wrong["errors"][0]
    assert (locked["extensions"]["code"], locked["extensions"]["serviceCode"]) == (
        "UNAUTHENTICATED", "sign_in_locked")
    assert "try again in" in locked["message"]


# Webhooks ----------------------------------------------------------------------------------

WEBHOOK = """id rawId url description enabled eventTypes policyIds policies { rawId }
    consecutiveFailures"""


async def test_webhooks_with_deliveries_enable_replay_rotate_and_delete(
        api: Api, policy: dict, receiver: Receiver) -> None:
    admin = api.admin_token()
    receiver.always_fail = True
    created = await gql(api, f"""mutation($input: CreateWebhookInput!) {{
        createWebhook(input: $input) {{ secret webhook {{ {WEBHOOK} }} {ERRORS} }} }}""", admin,
        input={"url": receiver.url, "eventTypes": ["ALERT_RAISED"],
               "policyIds": [to_global_id("Policy", policy["id"])],
               "description": "SOAR", "disableAfterFailures": 1})
    payload = created["data"]["createWebhook"]
    assert payload["errors"] == [] and payload["secret"].startswith("whsec_")
    hook = payload["webhook"]
    assert hook["policyIds"] == [to_global_id("Policy", policy["id"])]
    assert hook["policies"] == [{"rawId": policy["id"]}]
    assert (hook["enabled"], hook["eventTypes"]) == (True, ["ALERT_RAISED"])
    listed = await gql(api, "{ webhooks(first: 200) { nodes { id } } }", admin)
    assert hook["id"] in [n["id"] for n in listed["data"]["webhooks"]["nodes"]]
    assert "whsec_" not in str(listed)

    await fresh_alert(api, policy)

    async def disabled() -> dict | None:
        got = (await gql(api, """query($id: ID!) { webhook(id: $id) { enabled disabledReason
            deliveries(first: 10) { nodes { rawId eventType status attemptCount
              attempts { succeeded statusCode durationMs } } } } }""", admin,
                         id=hook["id"]))["data"]["webhook"]
        return got if not got["enabled"] and got["deliveries"]["nodes"] else None

    off = await wait_until(disabled, what="the webhook disabled after a failure")
    delivery = off["deliveries"]["nodes"][0]
    assert delivery["eventType"] == "ALERT_RAISED"
    assert delivery["attempts"][0]["statusCode"] == 500
    assert delivery["attempts"][0]["succeeded"] is False

    receiver.always_fail = False
    enabled = await gql(api, f"""mutation($id: ID!) {{ enableWebhook(input: {{webhookId: $id}})
        {{ webhook {{ enabled consecutiveFailures }} {ERRORS} }} }}""", admin, id=hook["id"])
    assert enabled["data"]["enableWebhook"] == {
        "webhook": {"enabled": True, "consecutiveFailures": 0}, "errors": []}
    twice = await gql(api, f"""mutation($id: ID!) {{ enableWebhook(input: {{webhookId: $id}})
        {{ {ERRORS} }} }}""", admin, id=hook["id"])
    conflict = twice["data"]["enableWebhook"]["errors"]
    assert [(e["__typename"], e["currentStatus"]) for e in conflict] == [
        ("ConflictError", "enabled")]

    async def succeeded() -> list | None:
        got = await gql(api, """query($id: ID!) { webhook(id: $id) {
            deliveries(status: SUCCEEDED, first: 10) { nodes { rawId deliveredAt } } } }""",
                        admin, id=hook["id"])
        return got["data"]["webhook"]["deliveries"]["nodes"] or None

    assert [d["rawId"] for d in await wait_until(succeeded, what="the delivery sent")] == [
        delivery["rawId"]]

    replayed = await gql(api, f"""mutation($input: ReplayWebhookInput!) {{
        replayWebhook(input: $input) {{ deliveries {ERRORS} }} }}""", admin,
        input={"webhookId": hook["id"], "deliveryId": delivery["rawId"]})
    assert replayed["data"]["replayWebhook"] == {"deliveries": 1, "errors": []}
    neither = await gql(api, f"""mutation($input: ReplayWebhookInput!) {{
        replayWebhook(input: $input) {{ deliveries {ERRORS} }} }}""", admin,
        input={"webhookId": hook["id"]})
    assert neither["data"]["replayWebhook"]["errors"][0]["__typename"] == "ValidationError"
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    by_time = await gql(api, f"""mutation($input: ReplayWebhookInput!) {{
        replayWebhook(input: $input) {{ deliveries {ERRORS} }} }}""", admin,
        input={"webhookId": hook["id"], "since": since})
    assert by_time["data"]["replayWebhook"]["deliveries"] >= 1

    rotated = await gql(api, """mutation($id: ID!) { rotateWebhookSecret(input: {webhookId: $id})
        { secret webhook { previousSecretExpiresAt } } }""", admin, id=hook["id"])
    assert rotated["data"]["rotateWebhookSecret"]["secret"] != payload["secret"]
    assert rotated["data"]["rotateWebhookSecret"]["webhook"]["previousSecretExpiresAt"]

    updated = await gql(api, f"""mutation($input: UpdateWebhookInput!) {{
        updateWebhook(input: $input) {{ webhook {{ description policyIds eventTypes }}
        {ERRORS} }} }}""", admin, input={"webhookId": hook["id"], "description": "SIEM",
                                         "policyIds": [],
                                         "eventTypes": ["ALERT_RAISED", "CASE_OPENED"]})
    assert updated["data"]["updateWebhook"] == {"errors": [], "webhook": {
        "description": "SIEM", "policyIds": None,
        "eventTypes": ["ALERT_RAISED", "CASE_OPENED"]}}
    nothing = await gql(api, f"""mutation($id: ID!) {{ updateWebhook(input: {{webhookId: $id}})
        {{ {ERRORS} }} }}""", admin, id=hook["id"])
    assert nothing["data"]["updateWebhook"]["errors"][0]["__typename"] == "ValidationError"

    deleted = await gql(api, f"""mutation($id: ID!) {{ deleteWebhook(input: {{webhookId: $id}})
        {{ deletedWebhookId {ERRORS} }} }}""", admin, id=hook["id"])
    assert deleted["data"]["deleteWebhook"] == {"deletedWebhookId": hook["id"], "errors": []}
    gone = await gql(api, "query($id: ID!) { webhook(id: $id) { id } }", admin, id=hook["id"])
    assert codes(gone) == ["NOT_FOUND"]
    again = await gql(api, f"""mutation($id: ID!) {{ deleteWebhook(input: {{webhookId: $id}})
        {{ deletedWebhookId {ERRORS} }} }}""", admin, id=hook["id"])
    assert again["data"]["deleteWebhook"]["errors"][0]["__typename"] == "NotFoundError"


async def test_webhook_input_and_role_refusals(api: Api) -> None:
    ftp = await gql(api, f"""mutation($input: CreateWebhookInput!) {{
        createWebhook(input: $input) {{ secret {ERRORS} }} }}""", api.admin_token(),
        input={"url": "ftp://example.com/x", "eventTypes": ["CASE_CLOSED"]})
    assert ftp["data"]["createWebhook"]["secret"] is None
    assert ftp["data"]["createWebhook"]["errors"][0]["__typename"] == "ValidationError"
    assert ftp["data"]["createWebhook"]["errors"][0]["fields"][0]["field"].endswith("url")
    for role in ("Analyst", "Investigator", "Auditor"):
        listed = await gql(api, "{ webhooks { nodes { id } } }", api.token(role))
        assert codes(listed) == ["FORBIDDEN"], role
        made = await gql(api, f"""mutation {{ createWebhook(input: {{url: "https://x.example",
            eventTypes: [CASE_CLOSED]}}) {{ secret {ERRORS} }} }}""", api.token(role))
        assert made["data"]["createWebhook"]["errors"][0]["__typename"] == "ForbiddenError"


# Connector runs and storage ----------------------------------------------------------------

async def test_connector_runs_and_one_run(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.admin_token()
    user = person_email()
    subject_of(api, user)
    day = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    csv_text = (f"EmailAddress,ResignationDate,LastWorkingDate\n{user},{day},{day}\n"
                f"{user},not-a-date,{day}\n")
    upload = await http.post(f"{api.ingest}/connectors/hr/csv", content=csv_text,
                             params={"on_error": "skip_invalid"},
                             headers={**api.auth(admin), "content-type": "text/csv"})
    assert upload.status_code == 202, upload.text
    run_id = to_global_id("ConnectorRun", upload.json()["id"])

    page = await gql(api, """{ connectorRuns(connector: HR_CSV, first: 50) {
        edges { cursor node { id } } pageInfo { hasNextPage } } }""", admin)
    assert run_id in [e["node"]["id"] for e in page["data"]["connectorRuns"]["edges"]]
    one = await gql(api, """query($id: ID!) { connectorRun(id: $id) { connector status
        records accepted rejected bytesReceived progress finishedAt
        rejectedRecords { index field } } }""", admin, id=run_id)
    run = one["data"]["connectorRun"]
    assert (run["connector"], run["status"]) == ("HR_CSV", "SUCCEEDED")
    assert (run["records"], run["accepted"], run["rejected"]) == (2, 1, 1)
    assert run["rejectedRecords"][0]["index"] == 1
    assert run["bytesReceived"] == len(csv_text.encode()) and run["finishedAt"]
    none = await gql(api, "{ connectorRuns(status: INTERRUPTED, connector: BADGING) "
                          "{ nodes { status } } }", admin)
    assert all(n["status"] == "INTERRUPTED" for n in none["data"]["connectorRuns"]["nodes"])
    missing = await gql(api, "query($id: ID!) { connectorRun(id: $id) { status } }", admin,
                        id=to_global_id("ConnectorRun", str(uuid.uuid4())))
    assert codes(missing) == ["NOT_FOUND"]
    assert codes(await gql(api, "{ connectorRuns { nodes { id } } }",
                           api.token("Investigator"))) == ["FORBIDDEN"]


UPLOAD_HR = """mutation($input: UploadHrFileInput!) { uploadHrFile(input: $input) {
    run { id connector status records accepted rejected rejectedRecords { index field } }
    errors { __typename ... on DomainError { code } ... on ValidationError { fields { field } }
    } } }"""


async def _upload_hr(api: Api, token: str, csv_text: str, **options: object) -> dict:
    """uploadHrFile as a GraphQL multipart request: operations, map, then the file part."""
    operations = {"query": UPLOAD_HR,
                  "variables": {"input": {"file": None, **options}}}
    async with httpx.AsyncClient(timeout=30) as client:
        resp = await client.post(
            api.gateway, headers={"Authorization": f"Bearer {token}"},
            data={"operations": json.dumps(operations),
                  "map": json.dumps({"0": ["variables.input.file"]})},
            files={"0": ("leavers.csv", csv_text.encode(), "text/csv")})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_an_hr_file_uploaded_through_graphql(api: Api) -> None:
    admin = api.admin_token()
    user = person_email()
    subject_of(api, user)
    day = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    good = f"work_email,ResignationDate,LastWorkingDate\n{user},{day},{day}\n"
    bad = good + f"{user},not-a-date,{day}\n"

    refused = (await _upload_hr(api, admin, bad, scenario="RESIGNATION",
                                columns=[{"ours": "EmailAddress", "theirs": "work_email"}])
               )["data"]["uploadHrFile"]
    assert refused["run"] is None and refused["errors"][0]["__typename"] == "ValidationError"
    assert refused["errors"][0]["fields"], refused
    skipped = (await _upload_hr(api, admin, bad, scenario="RESIGNATION", onError="SKIP_INVALID",
                                columns=[{"ours": "EmailAddress", "theirs": "work_email"}])
               )["data"]["uploadHrFile"]
    assert skipped["errors"] == []
    run = skipped["run"]
    assert (run["connector"], run["status"]) == ("HR_CSV", "SUCCEEDED")
    assert (run["records"], run["accepted"], run["rejected"]) == (2, 1, 1)
    assert run["rejectedRecords"][0]["index"] == 1
    listed = await gql(api, "query($id: ID!) { connectorRun(id: $id) { accepted } }", admin,
                       id=run["id"])
    assert listed["data"]["connectorRun"]["accepted"] == 1
    unmapped = (await _upload_hr(api, admin, good, scenario="RESIGNATION"))["data"][
        "uploadHrFile"]  # work_email is not a column of ours without the mapping
    assert unmapped["errors"][0]["__typename"] == "ValidationError"
    analyst = (await _upload_hr(api, api.token("Analyst"), good))["data"]["uploadHrFile"]
    assert analyst["errors"][0]["__typename"] == "ForbiddenError"


async def test_storage_partitions_and_retention(api: Api) -> None:
    admin = api.admin_token()
    parts = (await gql(api, """{ storagePartitions(first: 500) { nodes { name startsAt endsAt
        estimatedEvents } } }""", admin))["data"]["storagePartitions"]["nodes"]
    assert parts and all(p["startsAt"] < p["endsAt"] for p in parts)
    assert [p["startsAt"] for p in parts] == sorted(p["startsAt"] for p in parts)
    applied = await gql(api, f"""mutation {{ applyRetention {{ result {{ cutoff
        droppedPartitions droppedEvents }} {ERRORS} }} }}""", admin)
    result = applied["data"]["applyRetention"]["result"]
    assert applied["data"]["applyRetention"]["errors"] == []
    assert datetime.fromisoformat(result["cutoff"]) < datetime.now(UTC)
    assert set(result["droppedPartitions"]).isdisjoint(
        p["name"] for p in parts if datetime.fromisoformat(p["endsAt"]) >
        datetime.fromisoformat(result["cutoff"]))
    denied = await gql(api, f"mutation {{ applyRetention {{ result {{ cutoff }} {ERRORS} }} }}",
                       api.token("Analyst"))
    assert denied["data"]["applyRetention"]["errors"][0]["__typename"] == "ForbiddenError"
    assert codes(await gql(api, "{ storagePartitions { nodes { name } } }",
                           api.token("Auditor"))) == ["FORBIDDEN"]
