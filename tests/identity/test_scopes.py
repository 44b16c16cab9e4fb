"""Scoped access: a case viewer sees the cases shared with them and nothing else; a reviewer
limited to departments or regions sees only those people, in every service."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import Api
from tests.factories import (
    create_policy,
    departing_story,
    fresh_alert,
    ingest,
    person_email,
    subject_of,
    wait_for_alert,
)


async def test_cases_are_shared_in_the_cases_service_not_in_the_scope(
        api: Api, http: httpx.AsyncClient) -> None:
    """One source of truth for case shares (tests/cases/test_case_sharing.py): identity's
    scope of a case viewer holds no cases, and refuses `case_ids` by name."""
    viewer_id, _ = api.new_account("CaseViewer")
    admin = api.auth(api.admin_token())
    refused = await http.put(f"{api.identity}/accounts/{viewer_id}/scope", headers=admin,
                             json={"case_ids": [str(uuid.uuid4())]})
    assert refused.status_code == 422
    assert refused.json()["invalid_params"][0]["field"] == "case_ids"
    scope = (await http.get(f"{api.identity}/accounts/{viewer_id}/scope", headers=admin)).json()
    assert "case_ids" not in scope
    resolved = (await http.get(f"{api.identity}/access/scope",
                               params={"subject": f"user:{viewer_id}"},
                               headers=api.auth(api.service_token()))).json()
    assert resolved == {"restricted": True, "subject_ids": []}


async def test_scope_input_is_checked(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    viewer_id, _ = api.new_account("Analyst")
    bad = await http.put(f"{api.identity}/accounts/{viewer_id}/scope", headers=admin,
                         json={"departments": [""]})
    assert bad.status_code == 422
    missing = await http.put(f"{api.identity}/accounts/00000000-0000-0000-0000-000000000000/"
                             "scope", headers=admin, json={})
    assert missing.status_code == 404
    refused = await http.put(f"{api.identity}/accounts/{viewer_id}/scope",
                             headers=api.auth(api.token("Investigator")), json={})
    assert refused.status_code == 403
    resolve = await http.get(f"{api.identity}/access/scope", params={"subject": "nobody"},
                             headers=api.auth(api.service_token()))
    assert resolve.status_code == 422


async def test_a_scoped_reviewer_sees_only_their_departments_and_regions_everywhere(
        api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    tag = person_email().split("@")[0][-6:]
    treasury, sales = f"Treasury-{tag}", f"Sales-{tag}"
    people = {"inside": (person_email(), treasury, "FR"),
              "by_region": (person_email(), sales, f"NZ-{tag}"),
              "outside": (person_email(), sales, "DE")}
    rows = [{"email": e, "department": d, "region": r} for e, d, r in people.values()]
    imported = await http.post(f"{api.identity}/people/import", headers=admin, json=rows)
    assert imported.status_code == 200, imported.text
    subjects = {key: subject_of(api, email)["subject_id"]
                for key, (email, _, _) in people.items()}
    policy = create_policy(api, scope={"kind": "people", "people": list(subjects.values())})
    alerts = {}
    for key, (email, _, _) in people.items():
        ingest(api, departing_story(email))
        alerts[key] = await wait_for_alert(api, policy["id"], subjects[key])
    lead = api.auth(api.token("Investigator"))
    case = {k: (await http.post(f"{api.cases}/alerts/{a['id']}/confirm", headers=lead,
                                json={})).json()["case_id"] for k, a in alerts.items()}

    analyst_id, token = api.new_account("Analyst")
    analyst = api.auth(token)
    put = await http.put(f"{api.identity}/accounts/{analyst_id}/scope", headers=admin,
                         json={"departments": [treasury], "regions": [f"NZ-{tag}"]})
    assert put.status_code == 200 and put.json()["restricted"] is True

    async def visible() -> dict[str, bool]:
        listed = set()
        cursor = None
        while True:
            page = (await http.get(f"{api.cases}/alerts", headers=analyst,
                                   params={"limit": 200, "cursor": cursor})).json()
            listed |= {a["id"] for a in page["items"]}
            cursor = page["next_cursor"]
            if not cursor:
                break
        cases = {c["id"] for c in (await http.get(f"{api.cases}/cases", headers=analyst,
                                                  params={"limit": 200})).json()["items"]}
        seen = {}
        for key, subject in subjects.items():
            reads = [
                await http.get(f"{api.cases}/alerts/{alerts[key]['id']}", headers=analyst),
                await http.get(f"{api.cases}/cases/{case[key]}", headers=analyst),
                await http.get(f"{api.cases}/cases/{case[key]}/notes", headers=analyst),
                await http.get(f"{api.identity}/people/{subject}", headers=analyst),
                await http.get(f"{api.ingest}/activity", headers=analyst,
                               params={"subject_id": subject}),
                await http.get(f"{api.ingest}/activity/summary", headers=analyst,
                               params={"subject_id": subject}),
                await http.get(f"{api.scoring}/subjects/{subject}/scores", headers=analyst),
            ]
            codes = {r.status_code for r in reads}
            assert codes in ({200}, {404}), (key, [(r.url, r.status_code) for r in reads])
            in_lists = alerts[key]["id"] in listed, case[key] in cases
            assert in_lists[0] == in_lists[1] == (codes == {200}), (key, in_lists, codes)
            seen[key] = codes == {200}
        return seen

    assert await visible() == {"inside": True, "by_region": True, "outside": False}
    # People added to a policy by hand: only those in scope are listed.
    for key in ("inside", "outside"):
        added = await http.post(f"{api.scoring}/policies/{policy['id']}/members", headers=admin,
                                json={"subject_id": subjects[key], "reason": "asked by HR"})
        assert added.status_code in (200, 201), added.text
    members = (await http.get(f"{api.scoring}/policies/{policy['id']}/members",
                              headers=analyst)).json()
    assert {m["subject_id"] for m in members} == {subjects["inside"]}
    # Reveal requests about people outside the scope are not listed or shown either.
    asked = await http.post(f"{api.identity}/people/{subjects['outside']}/reveal", headers=lead,
                            json={"case_id": case["outside"],
                                  "justification": "Needed for the HR interview"})
    assert asked.status_code == 201, asked.text
    investigator_id, inv_token = api.new_account("Investigator")
    await http.put(f"{api.identity}/accounts/{investigator_id}/scope", headers=admin,
                   json={"departments": [treasury]})
    scoped_inv = api.auth(inv_token)
    listed = (await http.get(f"{api.identity}/reveal-requests", headers=scoped_inv,
                             params={"subject_id": subjects["outside"]})).json()
    assert listed["items"] == []
    assert (await http.get(f"{api.identity}/reveal-requests/{asked.json()['id']}",
                           headers=scoped_inv)).status_code == 404
    assert (await http.get(f"{api.identity}/reveal-requests/{asked.json()['id']}",
                           headers=lead)).status_code == 200
    # Writes are scoped too: the out-of-scope alert cannot be dismissed.
    other = await fresh_alert(api, policy)
    dismiss = await http.post(f"{api.cases}/alerts/{other['id']}/dismiss", headers=analyst,
                              json={"reason": "false_positive"})
    assert dismiss.status_code == 404
    # A directory change moves the person into scope at once (no restart, no wait).
    moved = await http.post(f"{api.identity}/people/import", headers=admin, json=[
        {"email": people["outside"][0], "department": treasury, "region": "DE"}])
    assert moved.status_code == 200
    assert (await visible())["outside"] is True
    # And clearing the scope gives the whole population back.
    await http.put(f"{api.identity}/accounts/{analyst_id}/scope", headers=admin, json={})
    everything = await http.get(f"{api.cases}/alerts/{other['id']}", headers=analyst)
    assert everything.status_code == 200
