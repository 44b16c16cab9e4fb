"""From events to an alert with its explanation, and triage of that alert."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import Api
from tests.factories import (
    create_policy,
    departing_story,
    ingest,
    people_policy,
    person_email,
    subject_of,
    wait_for_alert,
)


async def test_departing_user_exfiltration_raises_an_explained_alert(
        api: Api, http: httpx.AsyncClient) -> None:
    policy = people_policy(api)
    actor = person_email()
    ingest(api, departing_story(actor, usb=12, cloud=3))
    subject = subject_of(api, actor)
    alert = await wait_for_alert(api, policy["id"], subject["subject_id"])
    assert alert["status"] == "needs_review" and alert["alias"] == subject["alias"]
    contributions = alert["explanation"]["contributions"]
    assert {(c["indicator"], c["count"], c["level"], c["points"]) for c in contributions} == {
        ("usb_copy", 12, "medium", 20), ("cloud_upload", 3, "low", 10)}
    assert alert["score"] == 30 == sum(c["points"] for c in contributions)
    assert alert["severity"] == "low"
    assert alert["explanation"]["trigger"]["kind"] == "hr.resignation"
    # More activity updates the same open alert and raises its severity.
    ingest(api, departing_story(actor, usb=0, cloud=0, email=30)[1:])
    updated = await wait_for_alert(api, policy["id"], subject["subject_id"],
                                   predicate=lambda a: a["score"] > 30)
    assert updated["id"] == alert["id"] and updated["score"] == 65
    assert updated["severity"] == "medium"


async def test_no_trigger_no_alert(api: Api, http: httpx.AsyncClient) -> None:
    actor, flagged = person_email(), person_email()
    quiet = subject_of(api, actor)["subject_id"]
    policy = create_policy(api, scope={"kind": "people", "people": [
        quiet, subject_of(api, flagged)["subject_id"]]})
    ingest(api, departing_story(actor, usb=40)[1:])  # everything but the resignation
    ingest(api, departing_story(flagged))
    await wait_for_alert(api, policy["id"], subject_of(api, flagged)["subject_id"])
    page = (await http.get(f"{api.cases}/alerts", headers=api.auth(api.token("Analyst")),
                           params={"limit": 200})).json()
    assert not [a for a in page["items"] if a["subject_id"] == quiet]


async def test_policy_created_after_the_events_still_scores_them(api: Api) -> None:
    actor = person_email()
    ingest(api, departing_story(actor))
    await asyncio.sleep(0.5)
    policy = people_policy(api)  # the person is added after their events, too
    await wait_for_alert(api, policy["id"], subject_of(api, actor)["subject_id"])


async def test_policies_validate_indicators_and_names(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    policy = create_policy(api)
    dup = await http.post(f"{api.scoring}/policies", headers=admin,
                          json={"name": policy["name"], "template": policy["template"]})
    assert dup.status_code == 409
    unknown = await http.post(f"{api.scoring}/policies", headers=admin,
                              json={"name": "x", "template": "no_such_template"})
    assert unknown.status_code == 422
    assert unknown.json()["invalid_params"][0]["field"] == "template"
    await http.put(f"{api.scoring}/indicators/rename", headers=admin, json={"enabled": False})
    off = await http.post(f"{api.scoring}/policies", headers=admin, json={
        "name": "y", "template": "data_theft_departing_users",
        "indicators": [{"key": "usb_copy"}, {"key": "rename"}]})
    assert off.status_code == 422
    reason = "indicator 'rename' is not enabled globally"
    assert off.json()["invalid_params"][0] == {"field": "indicators.key", "index": 1,
                                               "reason": reason}
    thresholds = await http.post(f"{api.scoring}/policies", headers=admin, json={
        "name": "z", "template": "data_theft_departing_users",
        "indicators": [{"key": "usb_copy", "thresholds": [5, 3, 10]}]})
    assert thresholds.status_code == 422
    for role in ("Analyst", "Investigator", "Auditor"):
        resp = await http.post(f"{api.scoring}/policies", headers=api.auth(api.token(role)),
                               json={"name": "w", "template": "data_theft_departing_users"})
        assert resp.status_code == 403, role
    renamed = await http.patch(f"{api.scoring}/policies/{policy['id']}", headers=admin,
                               json={"name": "new name"})
    assert renamed.status_code == 422  # the name is immutable


async def test_lowering_a_threshold_raises_the_alerts_it_now_implies(
        api: Api, http: httpx.AsyncClient) -> None:
    policy = create_policy(api, alert_threshold=90)
    actor = person_email()
    ingest(api, departing_story(actor, usb=12, cloud=12))  # score 40
    subject = subject_of(api, actor)["subject_id"]
    await asyncio.sleep(1.0)
    analyst = api.auth(api.token("Analyst"))
    page = (await http.get(f"{api.cases}/alerts", headers=analyst, params={"limit": 200})).json()
    assert not [a for a in page["items"] if a["policy_id"] == policy["id"]
                and a["subject_id"] == subject]
    resp = await http.patch(f"{api.scoring}/policies/{policy['id']}",
                            headers=api.auth(api.admin_token()), json={"alert_threshold": 30})
    assert resp.status_code == 200 and resp.json()["alert_threshold"] == 30
    alert = await wait_for_alert(api, policy["id"], subject)
    assert alert["score"] == 40
