"""GET /people/batch: many people in one call, each exactly as GET /people/{subject_id} shows
them to the same caller (alias, reveal, erasure), reveals audited alike, scope applied alike."""

from __future__ import annotations

import uuid

import httpx

from services.kit.batch import MAX_BATCH_IDS
from tests.conftest import Api
from tests.factories import (
    audit_rows,
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
    return await http.get(f"{api.identity}/people/batch", headers=headers,
                          params={"ids": ids})


async def test_a_batch_shows_each_person_as_the_single_read_does(
        api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    emails = {"revealed": person_email(), "plain": person_email(), "erased": person_email()}
    for key, email in emails.items():
        made = await http.post(f"{api.identity}/people", headers=admin,
                               json={"email": email, "display_name": f"Batch {key}"})
        assert made.status_code == 200, made.text
    subjects = {key: subject_of(api, e)["subject_id"] for key, e in emails.items()}
    # A case about one of them, and a reveal grant for one Investigator.
    policy = create_policy(api, scope={"kind": "people", "people": [subjects["revealed"]]})
    ingest(api, departing_story(emails["revealed"]))
    alert = await wait_for_alert(api, policy["id"], subjects["revealed"])
    _, holder = api.new_account("Investigator")
    case_id = (await http.post(f"{api.cases}/alerts/{alert['id']}/confirm",
                               headers=api.auth(holder), json={})).json()["case_id"]
    granted = await http.post(f"{api.identity}/people/{subjects['revealed']}/reveal",
                              headers=api.auth(holder),
                              json={"case_id": case_id, "justification": "HR interview"})
    assert granted.status_code == 201 and granted.json()["status"] == "granted"
    erased = await http.request("DELETE", f"{api.identity}/people/{subjects['erased']}",
                                headers=admin, json={"reason": "DSR-2026-0099"})
    assert erased.status_code == 200, erased.text

    unknown = str(uuid.uuid4())
    asked = [subjects["plain"], unknown, subjects["revealed"], subjects["erased"],
             subjects["plain"].upper()]  # a repeat, spelt differently, counts once
    target = f"subject:{subjects['revealed']}"
    for token in (holder, api.token("Investigator"), api.token("Analyst"), api.admin_token()):
        uses_before = len(await audit_rows(api, "person.reveal.use", target))
        resp = await _batch(api, http, token, asked)
        assert resp.status_code == 200, resp.text
        batch = resp.json()
        uses_by_batch = len(await audit_rows(api, "person.reveal.use", target)) - uses_before
        found, missing = await single_reads(http, token, f"{api.identity}/people", asked[:4])
        assert batch["items"] == found
        assert batch["missing"] == missing == [unknown]
        # Only the grant holder sees the identity, and each such batch read is one audited use.
        by_id = {p["subject_id"]: p for p in batch["items"]}
        revealed = by_id[subjects["revealed"]]
        if token == holder:
            assert revealed["revealed"] is True and revealed["revealed_for_cases"] == [case_id]
            assert revealed["identity"]["display_name"] == "Batch revealed"
            assert uses_by_batch == 1
        else:
            assert revealed["revealed"] is False and revealed["identity"] is None
            assert uses_by_batch == 0
        assert by_id[subjects["plain"]]["identity"] is None
        assert by_id[subjects["erased"]]["erased"] is True
        assert by_id[subjects["erased"]]["identity"] is None


async def test_a_batch_is_limited_to_the_callers_scope(api: Api, http: httpx.AsyncClient
                                                       ) -> None:
    admin = api.auth(api.admin_token())
    tag = uuid.uuid4().hex[:6]
    inside, outside = person_email(), person_email()
    imported = await http.post(f"{api.identity}/people/import", headers=admin, json=[
        {"email": inside, "department": f"Treasury-{tag}"},
        {"email": outside, "department": f"Sales-{tag}"}])
    assert imported.status_code == 200, imported.text
    ids = [subject_of(api, inside)["subject_id"], subject_of(api, outside)["subject_id"]]
    analyst_id, token = api.new_account("Analyst")
    put = await http.put(f"{api.identity}/accounts/{analyst_id}/scope", headers=admin,
                         json={"departments": [f"Treasury-{tag}"]})
    assert put.status_code == 200, put.text

    batch = (await _batch(api, http, token, ids)).json()
    assert [p["subject_id"] for p in batch["items"]] == [ids[0]]
    assert batch["missing"] == [ids[1]]  # as absent as an unknown id: the single read's 404
    assert (await single_reads(http, token, f"{api.identity}/people", ids))[1] == [ids[1]]
    unscoped = (await _batch(api, http, api.token("Analyst"), ids)).json()
    assert [p["subject_id"] for p in unscoped["items"]] == ids and unscoped["missing"] == []


async def test_batch_roles_cap_and_bad_ids(api: Api, http: httpx.AsyncClient) -> None:
    some = [str(uuid.uuid4())]
    assert (await _batch(api, http, None, some)).status_code == 401
    for role in ("Auditor", "CaseViewer"):
        refused = await _batch(api, http, api.token(role), some)
        assert refused.status_code == 403, role
    analyst = api.token("Analyst")
    full = await _batch(api, http, analyst, [str(uuid.uuid4()) for _ in range(MAX_BATCH_IDS)])
    assert full.status_code == 200, full.text
    assert len(full.json()["missing"]) == MAX_BATCH_IDS
    over = await _batch(api, http, analyst,
                        [str(uuid.uuid4()) for _ in range(MAX_BATCH_IDS + 1)])
    assert over.status_code == 422
    assert over.json()["invalid_params"][0]["field"] == "ids"
    assert f"at most {MAX_BATCH_IDS}" in over.json()["detail"]
    none = await http.get(f"{api.identity}/people/batch", headers=api.auth(analyst))
    assert none.status_code == 422 and none.json()["invalid_params"][0]["field"] == "ids"
    bad = await _batch(api, http, analyst, [*some, "not-an-id"])
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0] | {"reason": ""} == {"field": "ids", "index": 1,
                                                                 "reason": ""}
