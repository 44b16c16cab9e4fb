"""GET /cases/batch: many cases in one call, each exactly as GET /cases/{case_id} shows it to
the same caller; a case they may not see (outside their scope, not shared with them) is
listed as missing like one that does not exist, never refused."""

from __future__ import annotations

import uuid

import httpx

from services.kit.batch import MAX_BATCH_IDS
from tests.conftest import Api
from tests.factories import (
    create_policy,
    departing_story,
    ingest,
    person_email,
    single_reads,
    subject_of,
    wait_for_alert,
)


async def _batch(api: Api, http: httpx.AsyncClient, token: str | None, ids: list[str]
                 ) -> httpx.Response:
    headers = api.auth(token) if token else {}
    return await http.get(f"{api.cases}/cases/batch", headers=headers, params={"ids": ids})


async def test_a_batch_shows_each_case_as_the_single_read_does(
        api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    tag = uuid.uuid4().hex[:6]
    emails = {"inside": person_email(), "outside": person_email()}
    imported = await http.post(f"{api.identity}/people/import", headers=admin, json=[
        {"email": emails["inside"], "department": f"Treasury-{tag}"},
        {"email": emails["outside"], "department": f"Sales-{tag}"}])
    assert imported.status_code == 200, imported.text
    subjects = {k: subject_of(api, e)["subject_id"] for k, e in emails.items()}
    policy = create_policy(api, scope={"kind": "people", "people": list(subjects.values())})
    ingest(api, [e for email in emails.values() for e in departing_story(email)])
    lead = api.token("Investigator")
    case = {}
    for key, subject in subjects.items():
        alert = await wait_for_alert(api, policy["id"], subject)
        confirmed = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm",
                                    headers=api.auth(lead), json={"title": f"Batch {key}"})
        assert confirmed.status_code == 200, confirmed.text
        case[key] = confirmed.json()["case_id"]
    await http.post(f"{api.cases}/cases/{case['inside']}/notes", headers=api.auth(lead),
                    json={"body": "a note changes nothing a batch shows differently"})

    scoped_id, scoped = api.new_account("Analyst")
    put = await http.put(f"{api.identity}/accounts/{scoped_id}/scope", headers=admin,
                         json={"departments": [f"Treasury-{tag}"]})
    assert put.status_code == 200, put.text
    viewer_id, viewer = api.new_account("CaseViewer")
    shared = await http.post(f"{api.cases}/cases/{case['outside']}/viewers",
                             headers=api.auth(lead),
                             json={"account_id": viewer_id, "reason": "HR partner"})
    assert shared.status_code == 201, shared.text

    unknown = str(uuid.uuid4())
    asked = [case["outside"], unknown, case["inside"], case["outside"]]  # a repeat counts once
    expected = {lead: [case["outside"], case["inside"]], scoped: [case["inside"]],
                viewer: [case["outside"]]}
    for token, visible in expected.items():
        resp = await _batch(api, http, token, asked)
        assert resp.status_code == 200, resp.text
        batch = resp.json()
        found, missing = await single_reads(http, token, f"{api.cases}/cases", asked[:3])
        assert batch["items"] == found
        assert [c["id"] for c in batch["items"]] == visible
        assert batch["missing"] == missing
        assert set(missing) == set(asked) - set(visible)
    [inside] = (await _batch(api, http, lead, [case["inside"]])).json()["items"]
    assert (inside["title"], inside["subject_id"], inside["alert_count"]) == (
        "Batch inside", subjects["inside"], 1)


async def test_batch_roles_and_cap(api: Api, http: httpx.AsyncClient) -> None:
    some = [str(uuid.uuid4())]
    assert (await _batch(api, http, None, some)).status_code == 401
    for token in (api.admin_token(), api.token("Auditor")):
        refused = await _batch(api, http, token, some)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    viewer = await _batch(api, http, api.token("CaseViewer"), some)
    assert viewer.status_code == 200 and viewer.json() == {"items": [], "missing": some}
    analyst = api.token("Analyst")
    full = await _batch(api, http, analyst, [str(uuid.uuid4()) for _ in range(MAX_BATCH_IDS)])
    assert full.status_code == 200 and len(full.json()["missing"]) == MAX_BATCH_IDS
    over = await _batch(api, http, analyst,
                        [str(uuid.uuid4()) for _ in range(MAX_BATCH_IDS + 1)])
    assert over.status_code == 422
    assert over.json()["invalid_params"][0]["field"] == "ids"
    assert f"at most {MAX_BATCH_IDS}" in over.json()["detail"]
    bad = await _batch(api, http, analyst, ["nope"])
    assert bad.status_code == 422 and bad.json()["invalid_params"][0]["index"] == 0
