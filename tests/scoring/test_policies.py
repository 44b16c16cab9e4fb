"""Policies through the real scoring service: templates, the whole life cycle, validation with
clear errors, health, and people added by hand."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from tests.conftest import Api
from tests.factories import (
    audit_rows,
    create_policy,
    enable_indicators,
    event,
    ingest,
    person_email,
    subject_of,
    wait_for_alert,
)


async def test_every_template_of_the_reference_product(api: Api, http: httpx.AsyncClient
                                                       ) -> None:
    resp = await http.get(f"{api.scoring}/templates", headers=api.auth(api.token("Analyst")))
    templates = {t["key"]: t for t in resp.json()}
    assert set(templates) == {
        "data_theft_departing_users", "data_leaks", "data_leaks_priority_users",
        "data_leaks_risky_users", "patient_data_misuse", "risky_ai_usage",
        "risky_browser_usage", "security_policy_violations",
        "security_violations_departing_users", "security_violations_risky_users",
        "security_violations_priority_users"}
    assert templates["data_leaks"]["triggering_events"] == ["dlp.high", "manual"]
    assert templates["data_leaks"]["prerequisites"] == ["dlp"]
    assert templates["data_leaks_priority_users"]["scope"] == "priority_groups"
    assert templates["data_theft_departing_users"]["sequences"] is True


async def test_life_cycle_is_audited_and_the_name_never_changes(
        api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    enable_indicators(api)
    created = await http.post(f"{api.scoring}/policies", headers=admin, json={
        "name": f"Leaks {uuid.uuid4().hex[:6]}", "template": "data_leaks"})
    assert created.status_code == 201, created.text
    policy = created.json()
    assert policy["scope"]["kind"] == "all" and policy["active"] is True
    assert "collect_exfiltrate" in policy["sequences"] and policy["cumulative"] == []
    assert {"booster_above_baseline", "booster_previous_violation"} <= set(policy["boosters"])
    assert policy["activation_days"] == 30 and policy["past_days"] == 90
    usb = next(i for i in policy["indicators"] if i["key"] == "usb_copy")
    assert usb == {"key": "usb_copy", "mode": "default", "thresholds": [1, 10, 30],
                   "byte_thresholds": [100_000_000, 1_000_000_000, 5_000_000_000]}
    url = f"{api.scoring}/policies/{policy['id']}"
    changed = await http.patch(url, headers=admin, json={
        "indicators": [{"key": "usb_copy", "mode": "baseline"},
                       {"key": "print", "thresholds": [2, 4, 6]}],
        "cumulative": ["cumulative_exfiltration_org"], "alert_threshold": 45})
    assert changed.status_code == 200, changed.text
    assert changed.json()["indicators"][0] == {"key": "usb_copy", "mode": "baseline",
                                               "thresholds": None, "byte_thresholds": [
                                                   100_000_000, 1_000_000_000, 5_000_000_000]}
    assert (await http.patch(url, headers=admin, json={"name": "other"})).status_code == 422
    same_name = await http.patch(url, headers=admin, json={"name": policy["name"]})
    assert same_name.status_code == 200
    assert (await http.patch(url, headers=admin,
                             json={"template": "data_theft_departing_users"})).status_code == 422
    off = await http.post(f"{url}/deactivate", headers=admin)
    assert off.json()["active"] is False
    assert (await http.post(f"{url}/activate", headers=admin)).json()["active"] is True
    assert (await http.delete(url, headers=admin)).status_code == 204
    assert (await http.get(url, headers=admin)).status_code == 404
    target = f"policy:{policy['id']}"
    for action in ("policy.create", "policy.update", "policy.deactivate", "policy.activate",
                   "policy.delete"):
        assert await audit_rows(api, action, target), action
    update = (await audit_rows(api, "policy.update", target))[-1]["detail"]
    assert update["before"]["alert_threshold"] == 30 and update["after"]["alert_threshold"] == 45


async def test_validation_names_the_offending_field(api: Api, http: httpx.AsyncClient) -> None:
    enable_indicators(api)
    admin = api.auth(api.admin_token())

    async def refused(body: dict) -> dict:
        resp = await http.post(f"{api.scoring}/policies", headers=admin,
                               json={"name": f"p-{uuid.uuid4().hex[:6]}", **body})
        assert resp.status_code == 422, (body, resp.text)
        return resp.json()["invalid_params"][0]

    assert (await refused({"template": "data_leaks_priority_users"}))["field"] == "scope"
    assert (await refused({"template": "data_leaks_priority_users", "scope": {
        "kind": "priority_groups", "priority_groups": [str(uuid.uuid4())]}}))["field"] == \
        "scope.priority_groups"
    assert (await refused({"template": "data_leaks", "sequences": ["nope"]}))["field"] == \
        "sequences"
    assert (await refused({"template": "risky_ai_usage", "cumulative": [
        "cumulative_exfiltration_org"]}))["field"] == "cumulative"
    booster = await refused({"template": "data_leaks",
                             "indicators": [{"key": "booster_high_impact"}]})
    assert booster["field"] == "indicators.key" and "boosters" in booster["reason"]
    assert (await refused({"template": "data_leaks", "boosters": ["usb_copy"]}))["field"] == \
        "boosters"
    assert "ascending" in (await refused({"template": "data_leaks", "indicators": [
        {"key": "usb_copy", "thresholds": [5, 5, 9]}]}))["reason"]
    assert "no thresholds" in (await refused({"template": "data_leaks", "indicators": [
        {"key": "usb_copy", "mode": "baseline", "thresholds": [1, 2, 3]}]}))["reason"]
    assert (await refused({"template": "data_leaks", "scope": {"kind": "people"}}))["field"] \
        == "scope"


async def test_health_explains_itself(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    enable_indicators(api)
    someone = person_email()
    ingest(api, [event(someone, "hr.resignation"), event(someone, "device.file_copied_to_usb")])
    group = (await http.post(f"{api.scoring}/priority-groups", headers=admin, json={
        "name": f"Empty {uuid.uuid4().hex[:6]}"})).json()
    priority = (await http.post(f"{api.scoring}/policies", headers=admin, json={
        "name": f"VIP {uuid.uuid4().hex[:6]}", "template": "security_violations_priority_users",
        "active": False,
        "scope": {"kind": "priority_groups", "priority_groups": [group["id"]]}})).json()
    health = (await http.get(f"{api.scoring}/policies/{priority['id']}/health",
                             headers=admin)).json()
    codes = {r["code"]: r["level"] for r in health["reasons"]}
    assert health["status"] == "warnings"
    assert codes["priority_groups_empty"] == "warning" and codes["inactive"] == "recommendation"
    departing = create_policy(api)
    deadline = time.monotonic() + 15
    while True:  # until scoring has read the events just sent
        health = (await http.get(f"{api.scoring}/policies/{departing['id']}/health",
                                 headers=admin)).json()
        codes = {r["code"] for r in health["reasons"]}
        if not codes & {"no_hr_data", "no_indicator_data"} or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert not codes & {"no_hr_data", "stale_hr_data", "no_indicator_data"}, codes
    assert health["status"] in ("healthy", "recommendations")
    # The group cannot go while a policy is scoped to it.
    gone = await http.delete(f"{api.scoring}/priority-groups/{group['id']}", headers=admin)
    assert gone.status_code == 409


async def test_a_person_added_by_hand_is_scored_for_a_limited_time(
        api: Api, http: httpx.AsyncClient) -> None:
    policy = create_policy(api, template="data_leaks", alert_threshold=20)
    actor = person_email()
    ingest(api, [event(actor, "device.file_copied_to_usb", file_name=f"f{i}.docx")
                 for i in range(12)])  # no DLP match: nothing triggers
    subject = subject_of(api, actor)["subject_id"]
    admin = api.auth(api.admin_token())
    short = await http.post(f"{api.scoring}/policies/{policy['id']}/members", headers=admin,
                            json={"subject_id": subject, "reason": "no"})
    assert short.status_code == 422
    added = await http.post(f"{api.scoring}/policies/{policy['id']}/members", headers=admin,
                            json={"subject_id": subject, "days": 5,
                                  "reason": "Manager reported unusual copying"})
    assert added.status_code == 201, added.text
    member = added.json()
    assert member["active"] and (
        __import__("datetime").date.fromisoformat(member["until"])
        - __import__("datetime").date.fromisoformat(member["starts_on"])).days == 5
    alert = await wait_for_alert(api, policy["id"], subject)
    assert alert["explanation"]["trigger"]["kind"] == "manual"
    rows = await audit_rows(api, "policy.member_add", f"policy:{policy['id']}")
    assert rows[0]["detail"]["reason"] == "Manager reported unusual copying"
    removed = await http.delete(
        f"{api.scoring}/policies/{policy['id']}/members/{member['id']}", headers=admin)
    assert removed.json()["active"] is False
    listed = (await http.get(f"{api.scoring}/policies/{policy['id']}/members",
                             headers=admin)).json()
    assert [m["active"] for m in listed] == [False]
