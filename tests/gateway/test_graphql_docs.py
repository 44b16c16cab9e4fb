"""Every GraphQL operation in docs/graphql.md is sent, exactly as written there, to a running
stack, in the order a console would send them: sign in, the queue, an alert's explanation,
dismiss, open a case, a note, a reveal approved by a second person, the audit log. The test
fails when the docs name an operation it did not run, so the examples cannot rot."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.schema.common import to_global_id
from tests.conftest import PASSWORD, Api
from tests.factories import (
    add_to_scope,
    departing_story,
    fresh_alert,
    ingest,
    person_email,
    subject_of,
    wait_for_alert,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "graphql.md"
BLOCK = re.compile(r"```graphql\n(.*?)```", re.S)
NAME = re.compile(r"^\s*(query|mutation|subscription)\s+(\w+)")


def documented() -> dict[str, str]:
    """The named operations of the docs' graphql blocks."""
    ops: dict[str, str] = {}
    for block in BLOCK.findall(DOC.read_text()):
        match = NAME.match(block)
        assert match, f"an example without an operation name: {block[:80]}"
        assert match.group(2) not in ops, f"two examples named {match.group(2)}"
        ops[match.group(2)] = block
    return ops


class Console:
    """Sends the documented operations by name, as one signed-in user."""

    def __init__(self, api: Api, http: httpx.AsyncClient, ran: set[str]) -> None:
        self.api, self.http, self.ran, self.token = api, http, ran, None
        self.ops = documented()

    async def __call__(self, name: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        resp = await self.http.post(self.api.gateway, headers=headers, json={
            "query": self.ops[name], "operationName": name, "variables": variables})
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert not body.get("errors"), (name, body["errors"])
        self.ran.add(name)
        return body["data"]

    def as_(self, token: str) -> Console:
        other = Console(self.api, self.http, self.ran)
        other.token = token
        return other


@pytest.fixture
def two_person_reveal(api: Api) -> Iterator[None]:
    """Reveals need a second person's approval for this test; put back as it was after."""
    admin = api.auth(api.admin_token())
    before = httpx.get(f"{api.identity}/privacy", headers=admin).json()
    httpx.put(f"{api.identity}/privacy", headers=admin,
              json={"two_person_reveal": True}).raise_for_status()
    yield
    httpx.put(f"{api.identity}/privacy", headers=admin, json={
        k: before[k] for k in ("pseudonymise", "two_person_reveal", "reveal_ttl_s")}
    ).raise_for_status()


async def _person_in_directory(api: Api, http: httpx.AsyncClient, policy: dict,
                               name: str) -> tuple[str, dict]:
    email = person_email()
    made = await http.post(f"{api.identity}/people", headers=api.auth(api.admin_token()),
                           json={"email": email, "display_name": name, "department": "Sales"})
    assert made.status_code == 200, made.text
    subject = subject_of(api, email)["subject_id"]
    add_to_scope(api, policy, subject)
    ingest(api, departing_story(email))
    return email, await wait_for_alert(api, policy["id"], subject)


async def test_the_documented_console_operations_run(api: Api, http: httpx.AsyncClient,
                                                     policy: dict,
                                                     two_person_reveal: None) -> None:
    ran: set[str] = set()
    console = Console(api, http, ran)
    email = f"docs-analyst-{uuid.uuid4().hex[:8]}@test.example"
    made = await http.post(f"{api.identity}/accounts", headers=api.auth(api.admin_token()),
                           json={"email": email, "display_name": "Docs analyst",
                                 "password": PASSWORD, "roles": ["Analyst"]})
    assert made.status_code == 201 or made.status_code == 200, made.text

    # Sign in.
    session = (await console("SignIn", input={"email": email, "password": PASSWORD})
               )["signIn"]
    assert session["errors"] == [] and session["session"]["expiresIn"] > 0
    analyst = console.as_(session["session"]["accessToken"])

    # The queue, with the alerts of this test's policy.
    to_dismiss = await fresh_alert(api, policy)
    person_email_, to_confirm = await _person_in_directory(api, http, policy, "Dana Docs")
    policy_gid = to_global_id("Policy", policy["id"])
    queue = await analyst("AlertQueue", policies=[policy_gid], after=None)
    rows = {e["node"]["id"]: e["node"] for e in queue["alerts"]["edges"]}
    dismiss_gid, confirm_gid = (to_global_id("Alert", a["id"]) for a in (to_dismiss,
                                                                          to_confirm))
    assert {dismiss_gid, confirm_gid} <= set(rows)
    row = rows[confirm_gid]
    assert row["policy"]["id"] == policy_gid and row["person"]["displayName"] is None
    assert row["person"]["alias"].startswith("AnonymousUser-") and row["case"] is None
    assert queue["alertCounts"]["total"] >= 2

    details = (await analyst("AlertDetails", id=confirm_gid))["alert"]
    assert details["score"] == sum(c["points"] for c in details["explanation"]["contributions"])
    assert details["history"]["nodes"][0]["change"] == "CREATED"

    # Triage: dismiss one (twice: the second is a typed conflict).
    dismissal = {"alertId": dismiss_gid, "reason": "EXPECTED_ACTIVITY",
                 "comment": "Quarterly backup"}
    dismissed = (await analyst("DismissAlert", input=dismissal))["dismissAlert"]
    assert dismissed["errors"] == [] and dismissed["alert"]["status"] == "DISMISSED"
    again = (await analyst("DismissAlert", input=dismissal))["dismissAlert"]
    assert again["alert"] is None and again["errors"][0]["__typename"] == "ConflictError"
    assert again["errors"][0]["currentStatus"] == "dismissed"

    # Confirm the other into a case, with a note.
    opened = (await analyst("OpenCase", input={
        "alertId": confirm_gid, "title": "Departing employee: USB and cloud"})
              )["confirmAlert"]
    assert opened["errors"] == [] and opened["alert"]["status"] == "CONFIRMED"
    case_gid = opened["alert"]["case"]["id"]
    noted = (await analyst("AddNote", input={
        "caseId": case_gid, "body": "USB copies two days after the resignation."}))["addNote"]
    assert noted["errors"] == [] and noted["case"] == {"id": case_gid, "alertCount": 1}

    # An Investigator asks to reveal the person; an Admin approves; the name appears.
    investigator = console.as_(api.token("Investigator"))
    person_gid = to_global_id("Person", to_confirm["subject_id"])
    asked = (await investigator("RevealPerson", input={
        "personId": person_gid, "caseId": case_gid,
        "justification": "HR needs the name for the case"}))["revealPerson"]
    assert asked["errors"] == [] and asked["request"]["status"] == "PENDING"
    admin = console.as_(api.admin_token())
    pending = (await admin("PendingReveals"))["revealRequests"]["edges"]
    request = next(e["node"] for e in pending if e["node"]["id"] == asked["request"]["id"])
    assert request["caseId"] == case_gid and request["person"]["alias"] == row["person"]["alias"]
    approved = (await admin("ApproveReveal", input={
        "requestId": request["id"], "reason": "Checked with HR"}))["approveReveal"]
    assert approved["errors"] == [] and approved["request"]["status"] == "GRANTED"
    seen = (await investigator("RevealedCase", id=case_gid))["case"]["person"]
    assert seen == {"alias": row["person"]["alias"], "revealed": True,
                    "displayName": "Dana Docs", "email": person_email_, "department": "Sales"}

    # The Auditor finds the approval in the verified audit log.
    auditor = console.as_(api.token("Auditor"))
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    trail = await auditor("AuditTrail", action="person.reveal.approve", since=since)
    assert any(e["node"]["action"] == "person.reveal.approve"
               for e in trail["auditLog"]["edges"])
    assert trail["verifyAuditChain"]["valid"] is True

    assert ran == set(console.ops), f"documented but not run: {set(console.ops) - ran}"
