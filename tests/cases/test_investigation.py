"""Investigating a person through the real stack: their activity by risk level, the chart,
drill-down, their alerts, a case's activity and content explorer, and user activity reports
with sharing and a time-limited policy membership."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import Api
from tests.factories import (
    audit_rows,
    create_policy,
    departing_story,
    event,
    ingest,
    person_email,
    subject_of,
    wait_for_alert,
    wait_for_score,
)


async def _story(api: Api, *, extra=None) -> tuple[str, dict, dict]:
    """A departing person with a policy of their own; returns (subject, policy, alert).
    `extra(email)` adds more of their events."""
    email = person_email()
    subject = subject_of(api, email)["subject_id"]
    policy = create_policy(api, scope={"kind": "people", "people": [subject]})
    ingest(api, departing_story(email) + (extra(email) if extra else []))
    alert = await wait_for_alert(api, policy["id"], subject)
    return subject, policy, alert


def _types_of(api: Api) -> dict[str, set[str]]:
    rows = httpx.get(f"{api.scoring}/indicators", headers=api.auth(api.admin_token())).json()
    return {r["key"]: set(r["activity_types"]) for r in rows}


def _expected_level(alert: dict, types: dict[str, set[str]], activity: dict) -> str:
    order = ["none", "low", "medium", "high"]
    level = "none"
    day = activity["occurred_at"][:10]
    for row in alert["explanation"]["contributions"]:
        if row["kind"] == "indicator" and row["day"] == day \
                and activity["type"] in types[row["indicator"]]:
            level = max(level, row["level"], key=order.index)
    return level


async def test_person_activity_by_risk_level_chart_drill_down_and_alerts(
        api: Api, http: httpx.AsyncClient) -> None:
    subject, policy, alert = await _story(api)
    analyst = api.auth(api.token("Analyst"))
    inv = api.auth(api.token("Investigator"))
    url = f"{api.cases}/people/{subject}/activity"

    page = (await http.get(url, headers=analyst, params={"limit": 200})).json()
    items = page["items"]
    assert len(items) == 25 and page["next_cursor"] is None
    types = _types_of(api)
    assert any(r["kind"] == "indicator" for r in alert["explanation"]["contributions"])
    for item in items:
        # Sequences and cumulative rows may raise a level; never lower it.
        expected = _expected_level(alert, types, item)
        order = ["none", "low", "medium", "high"]
        assert order.index(item["risk_level"]) >= order.index(expected), item
        assert item["content_visible"] is False and "file_name" not in item["attributes"]
    resignation = next(i for i in items if i["type"] == "hr.resignation")
    assert resignation["risk_level"] == "none" and resignation["policies"] == []
    usb = next(i for i in items if i["type"] == "device.file_copied_to_usb")
    assert usb["risk_level"] != "none" and policy["id"] in usb["policies"]

    # Filters by level, category and type; paging keeps going.
    only_none = (await http.get(url, headers=analyst, params={"risk_level": "none"})).json()
    assert [i["id"] for i in only_none["items"]] == [resignation["id"]]
    risky = (await http.get(url, headers=analyst, params={
        "risk_level": ["low", "medium", "high"], "limit": 10})).json()
    assert len(risky["items"]) == 10 and risky["next_cursor"]
    rest = (await http.get(url, headers=analyst, params={
        "risk_level": ["low", "medium", "high"], "limit": 50,
        "cursor": risky["next_cursor"]})).json()
    assert len(rest["items"]) == 14 and rest["next_cursor"] is None
    assert not {i["id"] for i in risky["items"]} & {i["id"] for i in rest["items"]}
    hr = (await http.get(url, headers=analyst, params={"category": "hr"})).json()
    assert [i["type"] for i in hr["items"]] == ["hr.resignation"]
    uploads = (await http.get(url, headers=analyst,
                              params={"type": "device.file_uploaded_to_cloud"})).json()
    assert len(uploads["items"]) == 12
    # Investigators see content.
    seen = (await http.get(url, headers=inv, params={"type": "device.file_copied_to_usb"})
            ).json()["items"]
    assert seen[0]["content_visible"] and seen[0]["attributes"]["file_name"].startswith("secret-")

    # The chart: every day of the window, today's activities at their levels, the day's points.
    chart = (await http.get(f"{url}/chart", headers=analyst, params={
        "from": (datetime.now(UTC) - timedelta(days=7)).isoformat(),
        "to": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})).json()
    assert len(chart["days"]) in (8, 9) and chart["total"] == 25
    today = next(d for d in chart["days"] if d["day"] == usb["occurred_at"][:10])
    assert today["counts"]["none"] == 0 and today["total"] == 24
    indicator_points = sum(r["points"] for r in alert["explanation"]["contributions"]
                           if r["kind"] == "indicator" and r["day"] == today["day"])
    assert {s["policy_id"]: s["points"] for s in today["scores"]}[policy["id"]] \
        == indicator_points
    resigned = next(d for d in chart["days"] if d["day"] == resignation["occurred_at"][:10])
    assert resigned["counts"]["none"] == 1
    listed = {p["policy_id"]: p for p in chart["policies"]}
    assert listed[policy["id"]]["score"] == alert["score"]

    # Drill-down: the rows that counted it and the alert it fed.
    one = await http.get(f"{url}/{usb['id']}", headers=analyst)
    assert one.status_code == 200, one.text
    detail = one.json()
    assert detail["risk_level"] == usb["risk_level"]
    rows = [c for c in detail["contributions"] if c["policy_id"] == policy["id"]]
    assert any(c["kind"] == "indicator" and c["day"] == today["day"]
               and alert["id"] in c["alert_ids"] for c in rows)
    # Policies of other tests on this stack may cover everyone: theirs may be fed too.
    assert alert["id"] in [a["id"] for a in detail["alerts"]]
    assert {a["subject_id"] for a in detail["alerts"]} == {subject}
    missing = await http.get(f"{url}/t-{uuid.uuid4().hex}", headers=analyst)
    assert missing.status_code == 404 and missing.json()["code"] == "activity_not_found"
    # Someone else's event id is not this person's.
    other_subject, _, _ = await _story(api)
    other = (await http.get(f"{api.cases}/people/{other_subject}/activity", headers=analyst,
                            params={"limit": 1})).json()["items"][0]
    assert (await http.get(f"{url}/{other['id']}", headers=analyst)).status_code == 404

    # Related alerts from every policy.
    second = create_policy(api, scope={"kind": "people", "people": [subject]})
    alert2 = await wait_for_alert(api, second["id"], subject, within=30)
    alerts = (await http.get(f"{api.cases}/people/{subject}/alerts", headers=analyst)).json()
    assert {alert["id"], alert2["id"]} <= {a["id"] for a in alerts["items"]}
    assert {a["subject_id"] for a in alerts["items"]} == {subject}

    # Bad windows name their field.
    bad = await http.get(url, headers=analyst, params={
        "from": datetime.now(UTC).isoformat(),
        "to": (datetime.now(UTC) - timedelta(days=1)).isoformat()})
    assert bad.status_code == 422 and bad.json()["invalid_params"][0]["field"] == "to"
    wide = await http.get(f"{url}/chart", headers=analyst, params={
        "from": (datetime.now(UTC) - timedelta(days=120)).isoformat()})
    assert wide.status_code == 422 and wide.json()["invalid_params"][0]["field"] == "to"


async def test_people_out_of_scope_are_not_found(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    tag = uuid.uuid4().hex[:6]
    inside, outside = person_email(), person_email()
    imported = await http.post(f"{api.identity}/people/import", headers=admin, json=[
        {"email": inside, "department": f"Treasury-{tag}"},
        {"email": outside, "department": f"Sales-{tag}"}])
    assert imported.status_code == 200, imported.text
    analyst_id, token = api.new_account("Analyst")
    put = await http.put(f"{api.identity}/accounts/{analyst_id}/scope", headers=admin,
                         json={"departments": [f"Treasury-{tag}"]})
    assert put.status_code == 200
    scoped = api.auth(token)
    ingest(api, departing_story(inside, usb=2, cloud=0) + departing_story(outside, usb=2,
                                                                          cloud=0))
    mine, theirs = subject_of(api, inside)["subject_id"], subject_of(api, outside)["subject_id"]
    ok = await http.get(f"{api.cases}/people/{mine}/activity", headers=scoped)
    assert ok.status_code == 200 and len(ok.json()["items"]) == 3
    event_id = ok.json()["items"][0]["id"]
    for path in ("activity", "activity/chart", f"activity/{event_id}", "alerts"):
        resp = await http.get(f"{api.cases}/people/{theirs}/{path}", headers=scoped)
        assert resp.status_code == 404, (path, resp.text)
        assert resp.json()["code"] in ("subject_not_found", "activity_not_found")


def _mail_and_files(email: str) -> list[dict]:
    now = datetime.now(UTC)
    return [
        event(email, "email.sent_external_with_attachment", at=now - timedelta(minutes=5),
              recipient_domain="gmail.com", subject="Q3 numbers",
              sensitivity_label="Confidential", workload="Exchange"),
        event(email, "email.sent_external_with_attachment", at=now - timedelta(minutes=4),
              recipient_domain="gmail.com", subject="RE: Q3 numbers",
              sensitivity_label="Confidential", workload="Exchange"),
        event(email, "file.downloaded", at=now - timedelta(minutes=3), workload="SharePoint",
              file_name="Budget.xlsx", path="/sites/finance/Budget.xlsx",
              file_extension="xlsx", sensitivity_label="Highly Confidential"),
        event(email, "file.downloaded", at=now - timedelta(minutes=2), workload="SharePoint",
              file_name="Budget.xlsx", path="/sites/finance/Budget.xlsx",
              file_extension="xlsx", sensitivity_label="Highly Confidential"),
    ]


async def test_case_activity_and_the_content_explorer(api: Api,
                                                      http: httpx.AsyncClient) -> None:
    subject, _, alert = await _story(api, extra=_mail_and_files)
    analyst, inv = api.auth(api.token("Analyst")), api.auth(api.token("Investigator"))
    confirmed = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=analyst,
                                json={})
    case_id = confirmed.json()["case_id"]
    activity = await http.get(f"{api.cases}/cases/{case_id}/activity", headers=analyst,
                              params={"limit": 200})
    assert activity.status_code == 200, activity.text
    body = activity.json()
    assert body["subject_id"] == subject and len(body["items"]) == 29
    window = alert["explanation"]["window"]
    assert body["since"][:10] == window["start"]

    # Analysts get 403 (audited); case viewers get neither activity nor content.
    refused = await http.get(f"{api.cases}/cases/{case_id}/content", headers=analyst)
    assert refused.status_code == 403
    viewer_id, viewer_token = api.new_account("CaseViewer")
    shared = await http.post(f"{api.cases}/cases/{case_id}/viewers", headers=inv,
                             json={"account_id": viewer_id, "reason": "HR contact"})
    assert shared.status_code == 201, shared.text
    viewer = api.auth(viewer_token)
    assert (await http.get(f"{api.cases}/cases/{case_id}", headers=viewer)).status_code == 200
    for path in ("activity", "content"):
        resp = await http.get(f"{api.cases}/cases/{case_id}/{path}", headers=viewer)
        assert resp.status_code == 403, path

    content = await http.get(f"{api.cases}/cases/{case_id}/content", headers=inv,
                             params={"limit": 200})
    assert content.status_code == 200, content.text
    items = content.json()["items"]
    files = [i for i in items if i["kind"] == "file"]
    emails = [i for i in items if i["kind"] == "email"]
    assert len(files) == 25 and len(emails) == 2  # 12 + 12 device files, one SharePoint file
    budget = next(f for f in files if f["name"] == "Budget.xlsx")
    assert budget["count"] == 2 and budget["sources"] == ["SharePoint"]
    assert budget["labels"] == ["Highly Confidential"] and budget["file_type"] == "xlsx"
    assert budget["first_seen"] < budget["last_seen"]
    assert {e["conversation"] for e in emails} == {"thread:q3 numbers"}

    async def only(**params: str) -> list[dict]:
        resp = await http.get(f"{api.cases}/cases/{case_id}/content", headers=inv,
                              params={"limit": 200, **params})
        assert resp.status_code == 200, resp.text
        return resp.json()["items"]

    assert [i["name"] for i in await only(source="sharepoint")] == ["Budget.xlsx"]
    assert len(await only(file_type="docx")) == 12
    assert len(await only(source="Endpoint")) == 24
    assert {i["name"] for i in await only(label="Confidential")} == {"Q3 numbers",
                                                                     "RE: Q3 numbers"}
    assert len(await only(conversation="thread:q3 numbers")) == 2
    paged = await only(limit="5")
    assert len(paged) == 5
    first = (await http.get(f"{api.cases}/cases/{case_id}/content", headers=inv,
                            params={"limit": 20})).json()
    second = (await http.get(f"{api.cases}/cases/{case_id}/content", headers=inv,
                             params={"limit": 20, "cursor": first["next_cursor"]})).json()
    assert len(first["items"]) + len(second["items"]) == 27 and second["next_cursor"] is None
    rows = await audit_rows(api, "content.read", f"/cases/{case_id}/content")
    assert any(r["outcome"] == "denied" for r in rows)


async def _wait_ready(api: Api, http: httpx.AsyncClient, headers: dict, report_id: str,
                      within: float = 30) -> dict:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        body = (await http.get(f"{api.cases}/activity-reports/{report_id}",
                               headers=headers)).json()
        assert body["state"] != "failed", body
        if body["state"] == "ready":
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"report {report_id} not ready within {within} s")


async def test_user_activity_report_share_and_policy_membership(
        api: Api, http: httpx.AsyncClient) -> None:
    subject, _, alert = await _story(api)
    owner_id, owner_token = api.new_account("Investigator")
    colleague_id, colleague_token = api.new_account("Investigator")
    owner, colleague = api.auth(owner_token), api.auth(colleague_token)
    now = datetime.now(UTC)
    body = {"subject_id": subject, "from": (now - timedelta(days=10)).isoformat(),
            "to": now.isoformat()}
    created = await http.post(f"{api.cases}/activity-reports", headers=owner, json=body)
    assert created.status_code == 202, created.text
    report = created.json()
    assert report["state"] in ("queued", "running", "ready") and report["alias"] == alert["alias"]
    ready = await _wait_ready(api, http, owner, report["id"])
    assert ready["progress"] == 100 and ready["total"] == 25
    assert sum(ready["by_risk_level"].values()) == 25 and ready["by_risk_level"]["none"] == 1
    assert ready["by_category"]["hr"] == 1 and ready["by_type"]["device.file_copied_to_usb"] == 12
    assert sum(d["count"] for d in ready["by_day"]) == 25
    page = (await http.get(f"{api.cases}/activity-reports/{report['id']}/activities",
                           headers=owner, params={"limit": 20})).json()
    more = (await http.get(f"{api.cases}/activity-reports/{report['id']}/activities",
                           headers=owner, params={"cursor": page["next_cursor"]})).json()
    assert len(page["items"]) == 20 and len(more["items"]) == 5 and more["next_cursor"] is None
    assert all("file_name" not in i["attributes"] for i in page["items"] + more["items"])
    none = (await http.get(f"{api.cases}/activity-reports/{report['id']}/activities",
                           headers=owner, params={"risk_level": "none"})).json()["items"]
    assert [i["type"] for i in none] == ["hr.resignation"]

    # Only the creator and those it is shared with see it.
    url = f"{api.cases}/activity-reports/{report['id']}"
    assert (await http.get(url, headers=colleague)).status_code == 404
    assert report["id"] not in [r["id"] for r in (await http.get(
        f"{api.cases}/activity-reports", headers=colleague)).json()["items"]]
    analyst_id, _ = api.new_account("Analyst")
    not_inv = await http.post(f"{url}/shares", headers=owner, json={"account_id": analyst_id})
    assert not_inv.status_code == 422 and not_inv.json()["code"] == "not_an_investigator"
    assert not_inv.json()["invalid_params"][0]["field"] == "account_id"
    narrow_id, _ = api.new_account("Investigator")
    await http.put(f"{api.identity}/accounts/{narrow_id}/scope",
                   headers=api.auth(api.admin_token()),
                   json={"departments": [f"Nowhere-{uuid.uuid4().hex[:6]}"]})
    outside = await http.post(f"{url}/shares", headers=owner, json={"account_id": narrow_id})
    assert outside.status_code == 422 and outside.json()["code"] == "outside_scope"
    shared = await http.post(f"{url}/shares", headers=owner, json={"account_id": colleague_id})
    assert shared.status_code == 200 and shared.json()["shared_with"] == [f"user:{colleague_id}"]
    assert (await http.get(url, headers=colleague)).json()["total"] == 25
    assert report["id"] in [r["id"] for r in (await http.get(
        f"{api.cases}/activity-reports", headers=colleague)).json()["items"]]
    reshare = await http.post(f"{url}/shares", headers=colleague,
                              json={"account_id": owner_id})
    assert reshare.status_code == 403 and reshare.json()["code"] == "not_report_owner"
    share_rows = await audit_rows(api, "activity_report.share", f"activity_report:{report['id']}")
    assert share_rows and share_rows[0]["actor"] == f"user:{owner_id}"
    unshared = await http.delete(f"{url}/shares/{colleague_id}", headers=owner)
    assert unshared.status_code == 200 and unshared.json()["shared_with"] == []
    assert (await http.get(url, headers=colleague)).status_code == 404
    again = await http.delete(f"{url}/shares/{colleague_id}", headers=owner)
    assert again.status_code == 404

    # A limited-time membership of a policy, through scoring.
    other = create_policy(api, scope={"kind": "people", "people": [subject]})
    member = await http.post(f"{url}/policy-membership", headers=owner, json={
        "policy_id": other["id"], "days": 7, "reason": "investigating a report"})
    assert member.status_code == 201, member.text
    added = member.json()
    assert added["subject_id"] == subject and added["active"]
    days = (datetime.fromisoformat(added["until"]) - datetime.fromisoformat(
        added["starts_on"])).days
    assert days == 7
    members = (await http.get(f"{api.scoring}/policies/{other['id']}/members",
                              headers=api.auth(api.admin_token()))).json()
    assert added["id"] in [m["id"] for m in members]
    rows = await audit_rows(api, "activity_report.policy_membership",
                            f"activity_report:{report['id']}")
    assert rows and rows[0]["detail"]["member_id"] == added["id"]
    too_long = await http.post(f"{url}/policy-membership", headers=owner, json={
        "policy_id": other["id"], "days": 31, "reason": "investigating a report"})
    assert too_long.status_code == 422
    assert too_long.json()["invalid_params"][0]["field"] == "days"
    unknown = await http.post(f"{url}/policy-membership", headers=owner, json={
        "policy_id": str(uuid.uuid4()), "days": 3, "reason": "investigating a report"})
    assert unknown.status_code == 404
    stranger = await http.post(f"{url}/policy-membership", headers=colleague, json={
        "policy_id": other["id"], "days": 3, "reason": "investigating a report"})
    assert stranger.status_code == 404
    created_rows = await audit_rows(api, "activity_report.create",
                                    f"activity_report:{report['id']}")
    assert created_rows[0]["actor"] == f"user:{owner_id}"


@pytest.mark.parametrize(("change", "field"), [
    ({"to": "future"}, "to"),
    ({"from": "long_ago"}, "to"),
    ({"from": "after_to"}, "to"),
    ({"subject_id": None}, "subject_id"),
])
async def test_report_windows_are_checked(api: Api, http: httpx.AsyncClient, change: dict,
                                          field: str) -> None:
    now = datetime.now(UTC)
    values = {"future": (now + timedelta(days=1)).isoformat(),
              "long_ago": (now - timedelta(days=91)).isoformat(),
              "after_to": (now + timedelta(minutes=30)).isoformat()}
    body: dict = {"subject_id": str(uuid.uuid4()),
                  "from": (now - timedelta(days=5)).isoformat(),
                  "to": (now - timedelta(hours=1)).isoformat()}
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = values[value]
    resp = await http.post(f"{api.cases}/activity-reports",
                           headers=api.auth(api.token("Investigator")), json=body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["invalid_params"][0]["field"] == field


async def test_marking_report_activities_benign_and_exclusions_on_the_timeline(
        api: Api, http: httpx.AsyncClient) -> None:
    """From the report, the USB copies are marked benign: scoring stops counting them (the
    score falls), the report and the person's timeline keep them, marked, at level none;
    a suppression rule's activity is marked on the timeline the same way."""
    subject, policy, alert = await _story(api)
    _, token = api.new_account("Investigator")
    inv = api.auth(token)
    now = datetime.now(UTC)
    created = await http.post(f"{api.cases}/activity-reports", headers=inv, json={
        "subject_id": subject, "from": (now - timedelta(days=5)).isoformat(),
        "to": now.isoformat()})
    report = created.json()
    await _wait_ready(api, http, inv, report["id"])
    url = f"{api.cases}/activity-reports/{report['id']}"
    items = (await http.get(f"{url}/activities", headers=inv, params={"limit": 100})
             ).json()["items"]
    usb = [i["id"] for i in items if i["type"] == "device.file_copied_to_usb"]
    assert len(usb) == 12 and all(i["excluded"] == [] for i in items)

    refused = await http.post(f"{url}/benign", headers=inv, json={
        "event_ids": [usb[0], "not-in-this-report"], "reason": "approved backup"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["invalid_params"] == [
        {"field": "event_ids.1", "reason": "not-in-this-report is not in the report"}]
    analyst = api.auth(api.token("Analyst"))
    assert (await http.post(f"{url}/benign", headers=analyst, json={
        "event_ids": usb, "reason": "approved backup"})).status_code == 403

    marked = await http.post(f"{url}/benign", headers=inv,
                             json={"event_ids": usb, "reason": "approved backup"})
    assert marked.status_code == 200, marked.text
    assert sorted(marked.json()["marked"]) == sorted(usb)
    again = (await http.post(f"{url}/benign", headers=inv,
                             json={"event_ids": usb[:2], "reason": "approved backup"})).json()
    assert again["marked"] == [] and sorted(again["already_marked"]) == sorted(usb[:2])

    deadline = time.monotonic() + 20  # scoring lists them once its re-count job has run
    while True:
        after = {i["id"]: i for i in (await http.get(f"{url}/activities", headers=inv,
                                                     params={"limit": 100})).json()["items"]}
        if all(after[e]["excluded"] for e in usb) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.3)
    for event_id in usb:
        assert after[event_id]["risk_level"] == "none"
        assert [e["kind"] for e in after[event_id]["excluded"]] == ["benign"]
    rows = await audit_rows(api, "activity_report.benign", f"activity_report:{report['id']}")
    assert sorted(len(r["detail"]["marked"]) for r in rows) == [0, 12]
    # Scoring stopped counting them: the score falls below what it was with them.
    await wait_for_score(api, policy["id"], subject, lambda s: s["score"] < alert["score"])

    rule = await http.post(f"{api.scoring}/suppressions", headers=inv, json={
        "subject_id": subject, "activity_types": ["device.file_uploaded_to_cloud"],
        "reason": "sanctioned migration", "since": (now - timedelta(days=1)).isoformat(),
        "until": (now + timedelta(days=7)).isoformat()})
    assert rule.status_code == 201, rule.text
    deadline = time.monotonic() + 20  # scoring re-counts the person in a job after commit
    while True:
        timeline = (await http.get(f"{api.cases}/people/{subject}/activity", headers=inv,
                                   params={"limit": 100})).json()["items"]
        kinds = {i["type"]: {e["kind"] for e in i["excluded"]} for i in timeline}
        if kinds["device.file_uploaded_to_cloud"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.3)
    assert kinds["device.file_copied_to_usb"] == {"benign"}
    assert kinds["device.file_uploaded_to_cloud"] == {"suppression"}
    assert kinds["hr.resignation"] == set()
    suppressed = [i for i in timeline if i["type"] == "device.file_uploaded_to_cloud"]
    assert len(suppressed) == 12 and all(i["risk_level"] == "none" for i in suppressed)
    assert all(e["suppression_id"] == rule.json()["id"]
               for i in suppressed for e in i["excluded"])
