"""The whole story through GraphQL only (events arrive the way integrators send them: the
ingest REST API): an Admin sets up a policy, a departing person's activity raises an explained
alert, an Analyst confirms it into a case and adds a note but cannot reveal the person, an
Investigator reveals them with a reason, and an Auditor sees every step and verifies the chain."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from tests.conftest import PASSWORD, Api
from tests.factories import departing_story, ingest, subject_of


class GraphQL:
    def __init__(self, api: Api, client: httpx.AsyncClient) -> None:
        self.url, self.client, self.token = api.gateway, client, None

    async def __call__(self, query: str, expect_errors: bool = False, **variables: Any) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        resp = await self.client.post(self.url, json={"query": query, "variables": variables},
                                      headers=headers)
        body = resp.json()
        if not expect_errors:
            assert not body.get("errors"), body["errors"]
        return body

    async def sign_in(self, email: str, password: str) -> GraphQL:
        data = await self("mutation($e: String!, $p: String!) { signIn(input: {email: $e, "
                          "password: $p}) { session { accessToken expiresIn } } }",
                          e=email, p=password)
        self.token = data["data"]["signIn"]["session"]["accessToken"]
        return self


async def _as(api: Api, client: httpx.AsyncClient, email: str, password: str) -> GraphQL:
    return await GraphQL(api, client).sign_in(email, password)


CREATE_ACCOUNT = """mutation($input: CreateAccountInput!) {
  createAccount(input: $input) { account { id email roles } errors { __typename } } }"""


async def test_departing_employee_story_through_graphql(api: Api) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        admin = await _as(api, client, api.admin_email, PASSWORD)
        tag = uuid.uuid4().hex[:6]
        staff = {}
        for role in ("Analyst", "Investigator", "Auditor"):
            email = f"{role.lower()}-{tag}@story.example"
            created = await admin(CREATE_ACCOUNT, input={
                "email": email, "displayName": role, "password": PASSWORD,
                "roles": [role.upper()]})
            assert created["data"]["createAccount"]["errors"] == []
            staff[role] = email

        # The Admin enables indicators and creates a policy from the template.
        indicators = (await admin("""{ indicators(first: 200) { pageInfo { hasNextPage }
            nodes { key enabled group dataSource } } }"""))["data"]["indicators"]
        assert indicators["pageInfo"]["hasNextPage"] is False
        indicators = indicators["nodes"]
        assert {"office", "device", "endpoint_security", "generative_ai"} <= {
            i["group"] for i in indicators}
        assert all(i["dataSource"] for i in indicators)
        for ind in indicators:
            enabled = await admin("""mutation($input: SetIndicatorEnabledInput!) {
                setIndicatorEnabled(input: $input) { indicator { key enabled }
                  errors { __typename } } }""", input={"key": ind["key"], "enabled": True})
            assert enabled["data"]["setIndicatorEnabled"]["indicator"]["enabled"] is True

        # Activity for a departing person arrives through ingest.
        person = f"leaver-{tag}@contoso.example"
        upsert = await client.post(f"{api.identity}/people", headers=api.auth(api.admin_token()),
                            json={"email": person, "display_name": "Lee Leaver",
                                  "department": "Finance"})
        assert upsert.status_code == 200
        subject_id = subject_of(api, person)["subject_id"]
        # The policy is scoped to this person: a policy over everyone meets the daily alert
        # cap on the shared stack's earlier people first. Created inactive and switched on
        # once checked: active over everyone even for a moment, it would spend the day's
        # alert cap on earlier people.
        created = (await admin("""mutation($input: CreatePolicyInput!) {
            createPolicy(input: $input) { policy { id rawId name template alertThreshold
              active scope { kind subjectIds } } errors { __typename } } }""",
            input={"name": f"Departing story {tag}", "template": "data_theft_departing_users",
                   "alertThreshold": 30, "active": False,
                   "scope": {"kind": "PEOPLE", "people": [subject_id]}})
                   )["data"]["createPolicy"]
        assert created["errors"] == []
        policy = created["policy"]
        assert policy["scope"] == {"kind": "PEOPLE", "subjectIds": [subject_id]}
        assert policy["active"] is False
        activated = (await admin("""mutation($input: PolicyIdInput!) {
            activatePolicy(input: $input) { policy { active } errors { __typename } } }""",
            input={"policyId": policy["id"]}))["data"]["activatePolicy"]
        assert activated == {"policy": {"active": True}, "errors": []}
        sent_at = time.monotonic()
        ingest(api, departing_story(person, usb=15, cloud=12, email=10))

        # The Analyst sees the alert with its explanation, under an alias.
        analyst = await _as(api, client, staff["Analyst"], PASSWORD)
        alert = None
        while alert is None and time.monotonic() - sent_at < 30:
            page = (await analyst("""query { alerts(status: NEEDS_REVIEW, first: 20) {
                edges { node { id policy { rawId } policyName score severity status
                  explanation { base riskFactors
                    contributions { kind indicator booster percent count level points } }
                  person { id rawId alias revealed displayName email } } } } }"""))
            alert = next((e["node"] for e in page["data"]["alerts"]["edges"]
                          if e["node"]["policy"]["rawId"] == policy["rawId"]
                          and e["node"]["person"]["rawId"] == subject_id), None)
            if alert is None:
                await asyncio.sleep(0.2)
        assert alert is not None, "no alert within 30 s"
        contributions = alert["explanation"]["contributions"]
        # Three medium days (60 points), boosted by a quarter for activity far above the
        # person's usual (docs/scoring.md, worked example).
        assert alert["score"] == sum(c["points"] for c in contributions) == 75
        assert alert["explanation"]["base"] == 60
        assert {c["indicator"] for c in contributions if c["kind"] == "indicator"} == {
            "usb_copy", "cloud_upload", "email_external_attachment"}
        assert [(c["booster"], c["percent"], c["points"]) for c in contributions
                if c["kind"] == "booster"] == [("booster_above_baseline", 25, 15)]
        assert alert["person"]["alias"].startswith("AnonymousUser-")
        assert alert["person"]["revealed"] is False
        assert alert["person"]["displayName"] is None and alert["person"]["email"] is None

        # The Analyst confirms it into a case and adds a note.
        confirmed = await analyst("""mutation($input: ConfirmAlertInput!) {
            confirmAlert(input: $input) { alert { id status case { id status } } } }""",
            input={"alertId": alert["id"], "title": "Departing employee exfiltration"})
        case_id = confirmed["data"]["confirmAlert"]["alert"]["case"]["id"]
        await analyst("""mutation($input: AddNoteInput!) {
            addNote(input: $input) { note { id } } }""",
                      input={"caseId": case_id, "body": "USB and cloud uploads after resignation."})
        case = (await analyst("""query($id: ID!) { case(id: $id) { id status
            notes { nodes { body author } } person { alias revealed displayName } } }""",
            id=case_id))
        assert [n["body"] for n in case["data"]["case"]["notes"]["nodes"]] == [
            "USB and cloud uploads after resignation."]
        assert case["data"]["case"]["person"]["displayName"] is None

        # The Analyst cannot reveal the person.
        refused = await analyst("""mutation($input: RevealPersonInput!) {
            revealPerson(input: $input) { request { identity { displayName } }
              errors { __typename } } }""",
            input={"personId": alert["person"]["id"], "caseId": case_id,
                   "justification": "I would like to know who this is"})
        assert refused["data"]["revealPerson"] == {
            "request": None, "errors": [{"__typename": "ForbiddenError"}]}
        assert "Lee Leaver" not in str(refused)

        # The Investigator reveals them for the case, with a justification.
        investigator = await _as(api, client, staff["Investigator"], PASSWORD)
        revealed = await investigator("""mutation($input: RevealPersonInput!) {
            revealPerson(input: $input) { request {
              identity { displayName email department } } } }""",
            input={"personId": alert["person"]["id"], "caseId": case_id,
                   "justification": "Confirmed exfiltration; HR needs the name for the case"})
        assert revealed["data"]["revealPerson"]["request"]["identity"] == {
            "displayName": "Lee Leaver", "email": person, "department": "Finance"}
        seen = await investigator("""query($id: ID!) { case(id: $id) {
            person { revealed displayName } } }""", id=case_id)
        assert seen["data"]["case"]["person"] == {"revealed": True, "displayName": "Lee Leaver"}
        # ... and the Analyst still sees the alias only.
        still = await analyst("""query($id: ID!) { case(id: $id) {
            person { revealed displayName } } }""", id=case_id)
        assert still["data"]["case"]["person"] == {"revealed": False, "displayName": None}

        # The Auditor sees every step, and the chain verifies; others may not read the log.
        auditor = await _as(api, client, staff["Auditor"], PASSWORD)
        log = await auditor("""query { auditLog(first: 200) { edges { node {
            action actor target outcome } } } }""")
        actions = [e["node"] for e in log["data"]["auditLog"]["edges"]]
        names = {a["action"] for a in actions}
        assert {"policy.create", "indicator.set", "alert.raise", "alert.confirm", "case.open",
                "case.note.add", "person.reveal", "account.create"} <= names
        assert any(a["action"] == "people.reveal" and a["outcome"] == "denied" for a in actions)
        verified = await auditor("{ verifyAuditChain { valid rowsChecked firstBrokenSeq } }")
        assert verified["data"]["verifyAuditChain"]["valid"] is True
        denied = await analyst("{ auditLog(first: 5) { edges { node { action } } } }",
                               expect_errors=True)
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
