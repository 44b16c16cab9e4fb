"""Reveal under the two-person rule, the privacy setting, and the audit of every step."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Api
from tests.factories import (
    audit_rows,
    create_policy,
    departing_story,
    ingest,
    person_email,
    subject_of,
    wait_for_alert,
)


@pytest.fixture
def privacy(api: Api) -> Iterator[dict]:
    """The privacy setting, put back as it was after the test (the stack is shared)."""
    admin = api.auth(api.admin_token())
    before = httpx.get(f"{api.identity}/privacy", headers=admin).json()
    yield before
    httpx.put(f"{api.identity}/privacy", headers=admin, json={
        k: before[k] for k in ("pseudonymise", "two_person_reveal", "reveal_ttl_s")}
    ).raise_for_status()


async def _case_about_new_person(api: Api, http: httpx.AsyncClient, name: str,
                                 investigator: str) -> tuple[str, str]:
    """A person in the directory, their alert, confirmed into a case; (subject, case id)."""
    email = person_email()
    await http.post(f"{api.identity}/people", headers=api.auth(api.admin_token()),
                    json={"email": email, "display_name": name})
    subject = subject_of(api, email)["subject_id"]
    policy = create_policy(api, scope={"kind": "people", "people": [subject]})
    ingest(api, departing_story(email))
    alert = await wait_for_alert(api, policy["id"], subject)
    resp = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm",
                           headers=api.auth(investigator), json={})
    assert resp.status_code == 200, resp.text
    return subject, resp.json()["case_id"]


async def test_privacy_setting_is_admin_only_audited_and_partial(
        api: Api, http: httpx.AsyncClient, privacy: dict) -> None:
    assert privacy["pseudonymise"] is True  # the default
    admin = api.auth(api.admin_token())
    refused = await http.put(f"{api.identity}/privacy", json={"pseudonymise": False},
                             headers=api.auth(api.token("Investigator")))
    assert refused.status_code == 403
    bad = await http.put(f"{api.identity}/privacy", json={"reveal_ttl_s": 5}, headers=admin)
    assert bad.status_code == 422
    changed = await http.put(f"{api.identity}/privacy", json={"two_person_reveal": True},
                             headers=admin)
    assert changed.status_code == 200
    assert changed.json()["two_person_reveal"] is True
    assert changed.json()["pseudonymise"] is True  # untouched
    row = (await audit_rows(api, "privacy.update", "privacy"))[0]
    assert row["detail"]["before"]["two_person_reveal"] is False
    assert row["detail"]["after"]["two_person_reveal"] is True


async def test_privacy_off_shows_names_to_analysts(api: Api, http: httpx.AsyncClient,
                                                   privacy: dict) -> None:
    email = person_email()
    await http.post(f"{api.identity}/people", headers=api.auth(api.admin_token()),
                    json={"email": email, "display_name": "Pat Plain"})
    subject = subject_of(api, email)["subject_id"]
    analyst = api.auth(api.token("Analyst"))
    hidden = (await http.get(f"{api.identity}/people/{subject}", headers=analyst)).json()
    assert hidden["identity"] is None
    await http.put(f"{api.identity}/privacy", json={"pseudonymise": False},
                   headers=api.auth(api.admin_token()))
    shown = (await http.get(f"{api.identity}/people/{subject}", headers=analyst)).json()
    assert shown["identity"]["display_name"] == "Pat Plain"
    assert shown["revealed"] is False  # not a reveal: names are simply shown


async def test_two_person_rule(api: Api, http: httpx.AsyncClient, privacy: dict) -> None:
    requester_id, requester_token = api.new_account("Investigator")
    requester = api.auth(requester_token)
    subject, case_id = await _case_about_new_person(api, http, "Quinn Quorum", requester_token)
    await http.put(f"{api.identity}/privacy", json={"two_person_reveal": True},
                   headers=api.auth(api.admin_token()))

    asked = await http.post(f"{api.identity}/people/{subject}/reveal", headers=requester,
                            json={"case_id": case_id, "justification": "Legal hold needs it"})
    assert asked.status_code == 202, asked.text
    request = asked.json()
    assert request["status"] == "pending" and request["identity"] is None
    still_hidden = (await http.get(f"{api.identity}/people/{subject}", headers=requester)).json()
    assert still_hidden["identity"] is None

    # Nobody approves their own request; an Analyst may not approve at all.
    own = await http.post(f"{api.identity}/reveal-requests/{request['id']}/approve",
                          headers=requester, json={})
    assert own.status_code == 403 and own.json()["code"] == "reveal_self_approval"
    analyst = await http.post(f"{api.identity}/reveal-requests/{request['id']}/approve",
                              headers=api.auth(api.token("Analyst")), json={})
    assert analyst.status_code == 403

    # The approvers' queue shows it; a second Investigator approves.
    queue = (await http.get(f"{api.identity}/reveal-requests", params={"status": "pending"},
                            headers=api.auth(api.token("Investigator")))).json()
    assert request["id"] in [r["id"] for r in queue["items"]]
    # A machine credential is not a second person: a client cannot approve.
    client = await http.post(f"{api.identity}/clients", headers=api.auth(api.admin_token()),
                             json={"name": f"inv-{requester_id[:8]}", "roles": ["Investigator"]})
    assert client.status_code == 201, client.text
    issued = await http.post(f"{api.identity}/auth/client-token", data={
        "grant_type": "client_credentials", "client_id": client.json()["id"],
        "client_secret": client.json()["client_secret"]})
    by_client = await http.post(f"{api.identity}/reveal-requests/{request['id']}/approve",
                                headers=api.auth(issued.json()["access_token"]), json={})
    assert by_client.status_code == 403 and by_client.json()["code"] == "not_a_staff_account"
    approver_id, approver_token = api.new_account("Investigator")
    approved = await http.post(f"{api.identity}/reveal-requests/{request['id']}/approve",
                               headers=api.auth(approver_token), json={"reason": "Checked"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "granted"
    assert approved.json()["decided_by"] == f"user:{approver_id}"
    again = await http.post(f"{api.identity}/reveal-requests/{request['id']}/refuse",
                            headers=api.auth(api.admin_token()), json={"reason": "late"})
    assert again.status_code == 409 and again.json()["code"] == "reveal_not_pending"

    # The grant is the requester's alone, and each read under it is audited as a use.
    seen = (await http.get(f"{api.identity}/people/{subject}", headers=requester)).json()
    assert seen["identity"]["display_name"] == "Quinn Quorum"
    approver_sees = (await http.get(f"{api.identity}/people/{subject}",
                                    headers=api.auth(approver_token))).json()
    assert approver_sees["identity"] is None
    target = f"subject:{subject}"
    assert [r["actor"] for r in await audit_rows(api, "person.reveal.request", target)] == [
        f"user:{requester_id}"]
    assert [r["actor"] for r in await audit_rows(api, "person.reveal.approve", target)] == [
        f"user:{approver_id}"]
    uses = await audit_rows(api, "person.reveal.use", target)
    assert [u["actor"] for u in uses] == [f"user:{requester_id}"]
    assert uses[0]["detail"]["case_ids"] == [case_id]


async def test_refused_reveal_grants_nothing(api: Api, http: httpx.AsyncClient,
                                            privacy: dict) -> None:
    _, requester_token = api.new_account("Investigator")
    requester = api.auth(requester_token)
    subject, case_id = await _case_about_new_person(api, http, "Rene Refused", requester_token)
    await http.put(f"{api.identity}/privacy", json={"two_person_reveal": True},
                   headers=api.auth(api.admin_token()))
    request = (await http.post(f"{api.identity}/people/{subject}/reveal", headers=requester,
                               json={"case_id": case_id,
                                     "justification": "Curious about this one"})).json()
    no_reason = await http.post(f"{api.identity}/reveal-requests/{request['id']}/refuse",
                                headers=api.auth(api.admin_token()), json={})
    assert no_reason.status_code == 422
    refused = await http.post(f"{api.identity}/reveal-requests/{request['id']}/refuse",
                              headers=api.auth(api.admin_token()),
                              json={"reason": "Not enough to go on"})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    seen = (await http.get(f"{api.identity}/people/{subject}", headers=requester)).json()
    assert seen["identity"] is None
    got = (await http.get(f"{api.identity}/reveal-requests/{request['id']}",
                          headers=requester)).json()
    assert got["decision_reason"] == "Not enough to go on" and got["grant"] is None
    rows = await audit_rows(api, "person.reveal.refuse", f"subject:{subject}")
    assert rows[0]["detail"]["reason"] == "Not enough to go on"
