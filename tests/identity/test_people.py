"""The monitored-person directory, pseudonymisation and reveal."""

from __future__ import annotations

import httpx

from tests.conftest import Api
from tests.factories import person_email, subject_of


async def test_directory_upsert_links_nothing_and_changes_only_what_is_sent(
        api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    email = person_email()
    first = await http.post(f"{api.identity}/people", headers=admin, json={
        "email": email, "display_name": "Pat Example", "department": "Sales"})
    assert first.status_code == 200 and first.json() == {"created": True}
    again = await http.post(f"{api.identity}/people", headers=admin, json={
        "email": email.upper(), "job_title": "Manager"})
    assert again.json() == {"created": False}
    subject = subject_of(api, email)
    # Nothing an Admin gets back links the email to the pseudonym.
    assert subject["subject_id"] not in first.text + again.text
    assert subject["alias"] not in first.text + again.text
    # An Admin without a reveal grant sees the alias only.
    person = (await http.get(f"{api.identity}/people/{subject['subject_id']}",
                             headers=admin)).json()
    assert person == {"subject_id": subject["subject_id"], "alias": subject["alias"],
                      "revealed": False, "identity": None, "revealed_for_cases": [],
                      "erased": False, "erased_at": None}


async def test_resolve_is_stable_and_for_services_only(api: Api, http: httpx.AsyncClient
                                                      ) -> None:
    email = person_email()
    a, b = subject_of(api, email), subject_of(api, f"  {email.upper()} ")
    assert a["subject_id"] == b["subject_id"] and a["alias"] == b["alias"]
    assert a["alias"].startswith("AnonymousUser-") and len(a["alias"]) == 20
    resp = await http.post(f"{api.identity}/people/resolve", headers=api.auth(api.admin_token()),
                           json={"identifiers": [email]})
    assert resp.status_code == 403


async def test_reveal_needs_an_active_case_and_a_current_role(api: Api,
                                                              http: httpx.AsyncClient) -> None:
    from tests.factories import create_policy, departing_story, ingest, wait_for_alert

    email = person_email()
    await http.post(f"{api.identity}/people", headers=api.auth(api.admin_token()),
                    json={"email": email, "display_name": "Robin Reveal"})
    subject = subject_of(api, email)["subject_id"]
    policy = create_policy(api, scope={"kind": "people", "people": [subject]})
    ingest(api, departing_story(email))
    alert = await wait_for_alert(api, policy["id"], subject)
    inv_id, inv_token = api.new_account("Investigator")
    inv = api.auth(inv_token)
    case_id = (await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=inv,
                               json={})).json()["case_id"]
    short = await http.post(f"{api.identity}/people/{subject}/reveal", headers=inv,
                            json={"case_id": case_id, "justification": "why"})
    assert short.status_code == 422
    stranger = subject_of(api, person_email())["subject_id"]
    other_case = await http.post(f"{api.identity}/people/{stranger}/reveal", headers=inv,
                                 json={"case_id": case_id,
                                       "justification": "wrong person for the case"})
    assert other_case.status_code == 409 and other_case.json()["code"] == "case_subject_mismatch"
    granted = await http.post(f"{api.identity}/people/{subject}/reveal", headers=inv,
                              json={"case_id": case_id, "justification": "HR needs the name"})
    assert granted.status_code == 201
    assert granted.json()["status"] == "granted"
    assert granted.json()["identity"]["display_name"] == "Robin Reveal"
    seen = (await http.get(f"{api.identity}/people/{subject}", headers=inv)).json()
    assert seen["revealed"] is True and seen["revealed_for_cases"] == [case_id]
    # Another Investigator has no grant: alias only.
    other = (await http.get(f"{api.identity}/people/{subject}",
                            headers=api.auth(api.token("Investigator")))).json()
    assert other["revealed"] is False and other["identity"] is None
    # Demoted to Analyst, the holder of the grant sees the alias again.
    await http.put(f"{api.identity}/accounts/{inv_id}/roles",
                   headers=api.auth(api.admin_token()), json={"roles": ["Analyst"]})
    demoted = (await http.get(f"{api.identity}/people/{subject}", headers=inv)).json()
    assert demoted["revealed"] is False and demoted["identity"] is None
    # Closed cases reveal nothing.
    await http.post(f"{api.cases}/cases/{case_id}/close", headers=inv,
                    json={"classification": "benign", "resolution": "Explained by HR"})
    closed = await http.post(f"{api.identity}/people/{subject}/reveal",
                             headers=api.auth(api.token("Investigator")),
                             json={"case_id": case_id, "justification": "after the fact"})
    assert closed.status_code == 409 and closed.json()["code"] == "case_not_active"
