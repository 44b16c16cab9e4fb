"""Triage: confirm into a case, dismiss with a reason, notes, closing; conflicts and access."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.conftest import Api
from tests.factories import fresh_alert


async def test_confirm_into_a_case_note_and_close(api: Api, policy: dict,
                                                  http: httpx.AsyncClient) -> None:
    alert = await fresh_alert(api, policy)
    analyst = api.auth(api.token("Analyst"))
    confirmed = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=analyst,
                                json={"title": "Possible data theft"})
    assert confirmed.status_code == 200
    case_id = confirmed.json()["case_id"]
    assert confirmed.json()["status"] == "confirmed"
    case = (await http.get(f"{api.cases}/cases/{case_id}", headers=analyst)).json()
    assert case["status"] == "active" and case["subject_id"] == alert["subject_id"]
    assert case["alias"] == alert["alias"] and case["title"] == "Possible data theft"
    note = await http.post(f"{api.cases}/cases/{case_id}/notes", headers=analyst,
                           json={"body": "Checked with the manager."})
    assert note.status_code == 201
    notes = (await http.get(f"{api.cases}/cases/{case_id}/notes", headers=analyst)).json()
    assert [n["body"] for n in notes] == ["Checked with the manager."]
    closed = await http.post(f"{api.cases}/cases/{case_id}/close", headers=analyst,
                             json={"classification": "confirmed_violation",
                                   "resolution": "HR informed; access revoked"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["classification"] == "confirmed_violation"
    after = (await http.get(f"{api.cases}/alerts/{alert['id']}", headers=analyst)).json()
    assert after["status"] == "resolved"
    again = await http.post(f"{api.cases}/cases/{case_id}/close", headers=analyst,
                            json={"classification": "benign", "resolution": "x"})
    assert again.status_code == 409 and again.json()["code"] == "case_closed"
    late = await http.post(f"{api.cases}/cases/{case_id}/notes", headers=analyst,
                           json={"body": "too late"})
    assert late.status_code == 409
    closed_cases = (await http.get(f"{api.cases}/cases", headers=analyst,
                                   params={"status": "closed", "limit": 200})).json()
    assert case_id in [c["id"] for c in closed_cases["items"]]


async def test_dismiss_with_reason_and_illegal_transitions(api: Api, policy: dict,
                                                           http: httpx.AsyncClient) -> None:
    alert = await fresh_alert(api, policy)
    inv = api.auth(api.token("Investigator"))
    missing_reason = await http.post(f"{api.cases}/alerts/{alert['id']}/dismiss", headers=inv,
                                     json={})
    assert missing_reason.status_code == 422
    resp = await http.post(f"{api.cases}/alerts/{alert['id']}/dismiss", headers=inv,
                           json={"reason": "expected_activity", "comment": "Approved move"})
    assert resp.status_code == 200
    assert resp.json()["status"] == "dismissed"
    assert resp.json()["dismiss_reason"] == "expected_activity"
    confirm = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=inv, json={})
    assert confirm.status_code == 409 and confirm.json()["code"] == "alert_not_open"
    dismissed = (await http.get(f"{api.cases}/alerts", headers=inv,
                                params={"status": "dismissed", "limit": 200})).json()
    assert alert["id"] in [a["id"] for a in dismissed["items"]]
    assert all(a["status"] == "dismissed" for a in dismissed["items"])


async def test_two_reviewers_at_once_one_wins(api: Api, policy: dict) -> None:
    alert = await fresh_alert(api, policy)
    url = f"{api.cases}/alerts/{alert['id']}"
    async with httpx.AsyncClient(timeout=30) as client:
        results = await asyncio.gather(
            client.post(f"{url}/confirm", headers=api.auth(api.token("Analyst")), json={}),
            client.post(f"{url}/dismiss", headers=api.auth(api.token("Investigator")),
                        json={"reason": "false_positive"}))
    assert sorted(r.status_code for r in results) == [200, 409]


async def test_confirm_into_an_existing_case_of_the_same_person(api: Api, policy: dict,
                                                               http: httpx.AsyncClient) -> None:
    alert = await fresh_alert(api, policy)
    other = await fresh_alert(api, policy)
    analyst = api.auth(api.token("Analyst"))
    case_id = (await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=analyst,
                               json={})).json()["case_id"]
    wrong = await http.post(f"{api.cases}/alerts/{other['id']}/confirm", headers=analyst,
                            json={"case_id": case_id})
    assert wrong.status_code == 409 and wrong.json()["code"] == "case_subject_mismatch"
    unknown = await http.post(f"{api.cases}/alerts/{other['id']}/confirm", headers=analyst,
                              json={"case_id": str(uuid.uuid4())})
    assert unknown.status_code == 404


async def test_queue_filters_and_pages(api: Api, policy: dict, http: httpx.AsyncClient) -> None:
    await fresh_alert(api, policy)
    await fresh_alert(api, policy)
    analyst = api.auth(api.token("Analyst"))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, "status": "needs_review"} | ({"cursor": cursor} if cursor else {})
        page = (await http.get(f"{api.cases}/alerts", headers=analyst, params=params)).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor or len(seen) > 3:
            break
    assert len(seen) == len(set(seen)) >= 2
    low = (await http.get(f"{api.cases}/alerts", headers=analyst,
                          params={"severity": "high", "limit": 200})).json()
    assert all(a["severity"] == "high" for a in low["items"])
    bad = await http.get(f"{api.cases}/alerts", headers=analyst, params={"severity": "urgent"})
    assert bad.status_code == 422


async def test_only_reviewers_triage(api: Api, policy: dict, http: httpx.AsyncClient) -> None:
    alert = await fresh_alert(api, policy)
    for token in (api.admin_token(), api.token("Auditor")):
        headers = api.auth(token)
        assert (await http.get(f"{api.cases}/alerts", headers=headers)).status_code == 403
        resp = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=headers,
                               json={})
        assert resp.status_code == 403
    missing = await http.get(f"{api.cases}/alerts/{uuid.uuid4()}",
                             headers=api.auth(api.token("Analyst")))
    assert missing.status_code == 404 and missing.json()["code"] == "alert_not_found"


async def test_a_confirmed_violation_feeds_scoring_once(api: Api, http: httpx.AsyncClient
                                                        ) -> None:
    """Closing a case as a confirmed violation tells scoring (the previous-violation
    booster), once; a benign close does not."""
    import asyncio

    from tests.factories import create_policy, fresh_alert, person_email, subject_of

    policy = create_policy(api, scope={"kind": "people",
                                       "people": [subject_of(api, person_email())["subject_id"]]})
    analyst = api.auth(api.token("Analyst"))
    service = api.auth(api.service_token())

    async def violations(subject: str) -> int:
        resp = await http.get(f"{api.scoring}/subjects/{subject}", headers=service)
        return resp.json()["violations"]

    closed = {}
    for classification in ("confirmed_violation", "benign"):
        alert = await fresh_alert(api, policy)
        case_id = (await http.post(f"{api.cases}/alerts/{alert['id']}/confirm",
                                   headers=analyst, json={})).json()["case_id"]
        resp = await http.post(f"{api.cases}/cases/{case_id}/close", headers=analyst,
                               json={"classification": classification,
                                     "resolution": "HR informed"})
        assert resp.status_code == 200, resp.text
        closed[classification] = (alert["subject_id"], case_id)
    subject, case_id = closed["confirmed_violation"]
    for _ in range(100):
        if await violations(subject) == 1:
            break
        await asyncio.sleep(0.1)
    assert await violations(subject) == 1
    assert await violations(closed["benign"][0]) == 0
    from tests.factories import db_fetch

    [row] = await db_fetch(api, "SELECT violation_reported_at FROM cases.case WHERE id = $1",
                           uuid.UUID(case_id))
    assert row["violation_reported_at"] is not None


async def test_two_reviewers_on_one_alert_one_wins(api: Api, http: httpx.AsyncClient) -> None:
    """Confirm and dismiss sent at the same instant: exactly one succeeds, the other gets 409
    with the state it lost to."""
    import asyncio

    from tests.factories import fresh_alert, people_policy

    alert = await fresh_alert(api, people_policy(api))
    first, second = api.auth(api.token("Analyst")), api.auth(api.token("Investigator"))
    confirm, dismiss = await asyncio.gather(
        http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=first, json={}),
        http.post(f"{api.cases}/alerts/{alert['id']}/dismiss", headers=second,
                  json={"reason": "false_positive"}))
    assert sorted([confirm.status_code, dismiss.status_code]) == [200, 409]
    loser = confirm if confirm.status_code == 409 else dismiss
    winner_state = "dismissed" if loser is confirm else "confirmed"
    assert loser.json()["code"] == "alert_not_open"
    assert loser.json()["current_status"] == winner_state


async def test_bulk_dismiss_goes_alert_by_alert(api: Api, http: httpx.AsyncClient) -> None:
    from tests.factories import audit_rows, create_policy, person_email, subject_of

    policy = create_policy(api, scope={"kind": "people",
                                       "people": [subject_of(api, person_email())["subject_id"]]})
    alerts = [await fresh_alert(api, policy) for _ in range(4)]
    analyst = api.auth(api.token("Analyst"))
    confirmed = alerts.pop()
    await http.post(f"{api.cases}/alerts/{confirmed['id']}/confirm", headers=analyst, json={})
    missing = str(uuid.uuid4())
    resp = await http.post(f"{api.cases}/alerts/dismiss", headers=analyst, json={
        "alert_ids": [a["id"] for a in alerts] + [confirmed["id"], missing, alerts[0]["id"]],
        "reason": "expected_activity", "comment": "quarter-end exports"})
    assert resp.status_code == 200, resp.text
    result = resp.json()
    assert sorted(result["dismissed"]) == sorted(a["id"] for a in alerts)
    assert sorted(result["refused"], key=lambda r: r["code"]) == [
        {"alert_id": missing, "code": "alert_not_found", "current_status": None},
        {"alert_id": confirmed["id"], "code": "alert_not_open", "current_status": "confirmed"}]
    for alert in alerts:
        got = (await http.get(f"{api.cases}/alerts/{alert['id']}", headers=analyst)).json()
        assert (got["status"], got["dismiss_reason"]) == ("dismissed", "expected_activity")
        assert len(await audit_rows(api, "alert.dismiss", f"alert:{alert['id']}")) == 1
    too_many = await http.post(f"{api.cases}/alerts/dismiss", headers=analyst, json={
        "alert_ids": [str(uuid.uuid4()) for _ in range(401)], "reason": "other"})
    assert too_many.status_code == 422
    empty = await http.post(f"{api.cases}/alerts/dismiss", headers=analyst,
                            json={"alert_ids": [], "reason": "other"})
    assert empty.status_code == 422
