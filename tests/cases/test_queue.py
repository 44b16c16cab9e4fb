"""The alert queue through real HTTP: fields, filters, sorts and keyset pages, counts, open
alerts over time, history, related alerts, send for review, the triage SLA and dashboards."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import Api
from tests.factories import (
    audit_rows,
    create_policy,
    db_fetch,
    departing_story,
    ingest,
    person_email,
    subject_of,
    wait_for_alert,
)

SORTS = ("detected", "severity", "score", "priority", "sla_due")
SLA_HOURS = {"high": 24, "medium": 72, "low": 168}


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _alerts_for(api: Api, stories: list[dict]) -> tuple[dict, list[dict]]:
    """A policy scoped to new people, each with a departing story of their own size."""
    emails = [person_email() for _ in stories]
    subjects = [subject_of(api, e)["subject_id"] for e in emails]
    policy = create_policy(api, scope={"kind": "people", "people": subjects})
    for email, story in zip(emails, stories, strict=True):
        ingest(api, departing_story(email, **story))
    alerts = [await wait_for_alert(api, policy["id"], s) for s in subjects]
    return policy, alerts


async def _walk(http: httpx.AsyncClient, api: Api, headers: dict, params: dict,
                limit: int = 1) -> list[dict]:
    items, cursor = [], None
    for _ in range(100):
        page = await http.get(f"{api.cases}/alerts", headers=headers,
                              params={**params, "limit": limit}
                              | ({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items
    raise AssertionError("the walk did not end")


@pytest.fixture(scope="module")
def queue(api: Api) -> tuple[dict, list[dict]]:
    """Three open alerts of different sizes under a policy of their own (built in a loop of
    its own: a module-scoped async fixture would need a module-scoped event loop)."""
    return asyncio.run(_alerts_for(api, [{"usb": 12, "cloud": 3}, {},
                                         {"usb": 40, "cloud": 40}]))


async def test_alert_fields_assistant_and_history(api: Api, http: httpx.AsyncClient) -> None:
    policy, (alert,) = await _alerts_for(api, [{"usb": 12, "cloud": 3}])
    analyst = api.auth(api.token("Analyst"))
    got = (await http.get(f"{api.cases}/alerts/{alert['id']}", headers=analyst)).json()
    sla = (await http.get(f"{api.cases}/triage-settings", headers=analyst)).json()["sla_hours"]
    assert _at(got["sla_due_at"]) - _at(got["created_at"]) == timedelta(
        hours=sla[got["severity"]])
    assert got["sla_breached"] is False and got["case_status"] is None
    assert got["risk_factors"] == sorted(got["explanation"]["risk_factors"])
    assert got["summary"].startswith(f"{got['severity'].capitalize()}-severity alert (score "
                                     f"{got['score']}) under “{policy['name']}”.")
    assert "usb copy" in got["summary"] and "hr.resignation" in got["summary"]
    assert got["priority"] == sum(c["points"] for c in got["priority_components"])
    assert {c["name"] for c in got["priority_components"]} >= {
        "severity", "score", "related_alerts", "sla"}
    history = (await http.get(f"{api.cases}/alerts/{alert['id']}/history",
                              headers=analyst)).json()
    assert history[0]["operation"] == "created" and history[0]["status"] == "needs_review"
    assert history[0]["score"] == alert["score"]


async def test_new_activity_updates_the_alert_and_its_history(api: Api,
                                                              http: httpx.AsyncClient) -> None:
    email = person_email()
    subject = subject_of(api, email)["subject_id"]
    policy = create_policy(api, scope={"kind": "people", "people": [subject]})
    ingest(api, departing_story(email, usb=12, cloud=3))
    first = await wait_for_alert(api, policy["id"], subject)
    ingest(api, departing_story(email, usb=30, cloud=30))
    later = await wait_for_alert(api, policy["id"], subject,
                                 predicate=lambda a: a["score"] > first["score"])
    assert later["id"] == first["id"]
    analyst = api.auth(api.token("Analyst"))
    history = (await http.get(f"{api.cases}/alerts/{first['id']}/history",
                              headers=analyst)).json()
    assert [h["operation"] for h in history][:1] == ["created"] and len(history) >= 2
    assert history[0]["score"] == first["score"] and history[-1]["score"] == later["score"]
    assert history[-1]["severity"] == later["severity"]
    assert [h["change_id"] for h in history] == sorted(h["change_id"] for h in history)
    # The due time follows the current severity.
    assert _at(later["sla_due_at"]) - _at(later["created_at"]) == timedelta(
        hours=SLA_HOURS[later["severity"]])


async def test_filters_sorts_and_keyset_pages(api: Api, http: httpx.AsyncClient,
                                              queue: tuple[dict, list[dict]]) -> None:
    policy, alerts = queue
    analyst = api.auth(api.token("Analyst"))
    mine = {"policy_id": policy["id"]}
    ids = {a["id"] for a in alerts}
    for sort in SORTS:
        for order in ("asc", "desc"):
            walked = await _walk(http, api, analyst, {**mine, "sort": sort, "order": order})
            assert [a["id"] for a in walked if a["id"] in ids] == [
                a["id"] for a in walked], "the policy filter"
            assert sorted(a["id"] for a in walked) == sorted(ids), (sort, order)
            key = {"detected": lambda a: (a["created_at"],),
                   "severity": lambda a: (["low", "medium", "high"].index(a["severity"]),),
                   "score": lambda a: (a["score"],), "priority": lambda a: (a["priority"],),
                   "sla_due": lambda a: (_at(a["sla_due_at"]),)}[sort]
            values = [key(a) for a in walked]
            assert values == sorted(values, reverse=order == "desc"), (sort, order, values)
    # Severity and score filters; risk factors must all match.
    for severity in {a["severity"] for a in alerts}:
        got = (await http.get(f"{api.cases}/alerts", headers=analyst,
                              params={**mine, "severity": severity})).json()["items"]
        assert {a["id"] for a in got} == {a["id"] for a in alerts if a["severity"] == severity}
    for alert in alerts:
        for factor in alert["risk_factors"]:
            got = (await http.get(f"{api.cases}/alerts", headers=analyst, params={
                **mine, "risk_factor": [factor]})).json()["items"]
            assert alert["id"] in {a["id"] for a in got}
            assert all(factor in a["risk_factors"] for a in got)
    both = (await http.get(f"{api.cases}/alerts", headers=analyst, params={
        **mine, "risk_factor": ["sequence", "previous_violation"]})).json()["items"]
    assert all({"sequence", "previous_violation"} <= set(a["risk_factors"]) for a in both)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert (await http.get(f"{api.cases}/alerts", headers=analyst, params={
        **mine, "detected_from": future})).json()["items"] == []
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert len((await http.get(f"{api.cases}/alerts", headers=analyst, params={
        **mine, "detected_from": past, "status": "needs_review"})).json()["items"]) == 3
    counts = (await http.get(f"{api.cases}/alerts/counts", headers=analyst,
                             params=mine)).json()
    assert counts["total"] == 3 and counts["by_status"]["needs_review"] == 3
    assert sum(counts["by_severity"].values()) == 3
    for severity in ("low", "medium", "high"):
        assert counts["by_severity"][severity] == sum(a["severity"] == severity for a in alerts)


async def test_bad_queue_input_is_422_with_the_field(api: Api, http: httpx.AsyncClient) -> None:
    analyst = api.auth(api.token("Analyst"))
    url = f"{api.cases}/alerts"
    first = (await http.get(url, headers=analyst, params={"limit": 1, "sort": "score"})).json()
    cases = [({"cursor": "not-a-cursor"}, "cursor"), ({"risk_factor": "pizza"}, "risk_factor"),
             ({"sort": "alias"}, "sort"), ({"reviewer": "someone"}, "reviewer"),
             ({"detected_from": "2026-01-01T00:00:00"}, "detected_from"),
             ({"detected_from": "2026-02-01T00:00:00Z", "detected_to": "2026-01-01T00:00:00Z"},
              "detected_to"), ({"severity": "urgent"}, "severity")]
    if first["next_cursor"]:  # a cursor of another sort
        cases.append(({"cursor": first["next_cursor"], "sort": "priority"}, "cursor"))
    for params, field in cases:
        resp = await http.get(url, headers=analyst, params=params)
        assert resp.status_code == 422, (params, resp.text)
        assert field in {p["field"] for p in resp.json().get("invalid_params", [])} \
            or resp.json()["code"] == "invalid_cursor", (params, resp.text)
    bad = await http.get(f"{api.cases}/alerts/open-over-time", headers=analyst, params={
        "from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"})
    assert bad.status_code == 422
    many = await http.get(f"{api.cases}/alerts/open-over-time", headers=analyst, params={
        "from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"})
    assert many.status_code == 422 and many.json()["invalid_params"][0]["field"] == "from"


async def test_send_for_review(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    tag = uuid.uuid4().hex[:6]
    email, other = person_email(), person_email()
    imported = await http.post(f"{api.identity}/people/import", headers=admin, json=[
        {"email": email, "department": f"Audit-{tag}"},
        {"email": other, "department": f"Ops-{tag}"}])
    assert imported.status_code == 200, imported.text
    subject = subject_of(api, email)["subject_id"]
    policy = create_policy(api, scope={"kind": "people", "people": [subject]})
    ingest(api, departing_story(email))
    alert = await wait_for_alert(api, policy["id"], subject)
    url = f"{api.cases}/alerts/{alert['id']}/review"
    analyst = api.auth(api.token("Analyst"))
    reviewer_id, reviewer_token = api.new_account("Investigator")
    auditor_id, _ = api.new_account("Auditor")
    blind_id, blind_token = api.new_account("Analyst")
    put = await http.put(f"{api.identity}/accounts/{blind_id}/scope", headers=admin,
                         json={"departments": [f"Ops-{tag}"]})
    assert put.status_code == 200
    for reviewer in (str(uuid.uuid4()), auditor_id, blind_id):
        refused = await http.post(url, headers=analyst, json={"reviewer": reviewer})
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "invalid_reviewer"
        assert refused.json()["invalid_params"][0]["field"] == "reviewer"
    assert (await http.post(url, headers=analyst, json={})).status_code == 422

    sent = await http.post(url, headers=analyst, json={"reviewer": reviewer_id,
                                                       "comment": "Second opinion please"})
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["status"] == "needs_review" and body["reviewer_id"] == reviewer_id
    assert body["review_comment"] == "Second opinion please" and body["review_requested_at"]
    mine = (await http.get(f"{api.cases}/alerts", headers=api.auth(reviewer_token),
                           params={"reviewer": "me"})).json()["items"]
    assert alert["id"] in [a["id"] for a in mine]
    assert all(a["reviewer_id"] == reviewer_id for a in mine)
    by_id = (await http.get(f"{api.cases}/alerts", headers=analyst,
                            params={"reviewer": reviewer_id})).json()["items"]
    assert [a["id"] for a in by_id] == [a["id"] for a in mine]
    history = (await http.get(f"{api.cases}/alerts/{alert['id']}/history",
                              headers=analyst)).json()
    assert history[-1]["reviewer_id"] == reviewer_id and history[-1]["status"] == "needs_review"
    rows = await audit_rows(api, "alert.review.request", f"alert:{alert['id']}")
    assert len(rows) == 1 and rows[0]["detail"]["after"]["reviewer_id"] == reviewer_id
    assert rows[0]["detail"]["before"] == {"reviewer_id": None}

    # Out of the caller's scope: the alert does not exist for them.
    for path in ("", "/history", "/related"):
        hidden = await http.get(f"{api.cases}/alerts/{alert['id']}{path}",
                                headers=api.auth(blind_token))
        assert hidden.status_code == 404, path
    hidden = await http.post(url, headers=api.auth(blind_token), json={"reviewer": reviewer_id})
    assert hidden.status_code == 404
    assert (await http.post(f"{api.cases}/alerts/{uuid.uuid4()}/review", headers=analyst,
                            json={"reviewer": reviewer_id})).status_code == 404

    dismissed = await http.post(f"{api.cases}/alerts/{alert['id']}/dismiss", headers=analyst,
                                json={"reason": "false_positive"})
    assert dismissed.status_code == 200
    assert dismissed.json()["triaged_at"] is not None
    late = await http.post(url, headers=analyst, json={"reviewer": reviewer_id})
    assert late.status_code == 409 and late.json()["current_status"] == "dismissed"


async def test_related_alerts_across_policies(api: Api, http: httpx.AsyncClient) -> None:
    email = person_email()
    subject = subject_of(api, email)["subject_id"]
    first = create_policy(api, scope={"kind": "people", "people": [subject]})
    second = create_policy(api, scope={"kind": "people", "people": [subject]})
    ingest(api, departing_story(email))
    a = await wait_for_alert(api, first["id"], subject)
    b = await wait_for_alert(api, second["id"], subject)
    analyst = api.auth(api.token("Analyst"))
    related = (await http.get(f"{api.cases}/alerts/{a['id']}/related", headers=analyst)).json()
    assert related["subject_id"] == subject and related["alias"] == a["alias"]
    assert related["total"] == 1
    assert [(g["policy_id"], g["status"], [x["id"] for x in g["alerts"]])
            for g in related["groups"]] == [(second["id"], "needs_review", [b["id"]])]
    for alert_id in (a["id"], b["id"]):
        got = (await http.get(f"{api.cases}/alerts/{alert_id}", headers=analyst)).json()
        assert got["related_count"] == 1
        parts = {c["name"]: c["points"] for c in got["priority_components"]}
        assert parts["related_alerts"] == 3


async def test_sla_settings_breaches_and_open_over_time(api: Api, http: httpx.AsyncClient,
                                                        queue: tuple[dict, list[dict]]
                                                        ) -> None:
    policy, alerts = queue
    admin, analyst = api.auth(api.admin_token()), api.auth(api.token("Analyst"))
    settings_url = f"{api.cases}/triage-settings"
    before = (await http.get(settings_url, headers=analyst)).json()["sla_hours"]
    for body, field in (({"sla_hours": {**before, "high": 0}}, "sla_hours.high"),
                        ({"sla_hours": {"high": 1}}, "sla_hours.medium"),
                        ({"sla_hours": {**before, "urgent": 3}}, "sla_hours.urgent")):
        bad = await http.put(settings_url, headers=admin, json=body)
        assert bad.status_code == 422 and field in {p["field"] for p in
                                                    bad.json()["invalid_params"]}
    target = alerts[1]
    # Detected nine days ago: past any default SLA.
    await db_fetch(api, "UPDATE cases.alert SET created_at = now() - interval '9 days' "
                   "WHERE id = $1", uuid.UUID(target["id"]))
    try:
        changed = {"high": 2, "medium": 3, "low": 500}
        put = await http.put(settings_url, headers=admin, json={"sla_hours": changed})
        assert put.status_code == 200 and put.json()["sla_hours"] == changed
        rows = await audit_rows(api, "triage_settings.update", "triage_settings")
        # Other tests on this stack change the settings too (and more than a page of rows
        # may precede this one): find this change's row rather than the page's last.
        assert {"before": before, "after": changed} in [
            {k: r["detail"][k]["sla_hours"] for k in ("before", "after")} for r in rows]
        mine = {"policy_id": policy["id"]}
        for a in (await http.get(f"{api.cases}/alerts", headers=analyst,
                                 params=mine)).json()["items"]:
            assert _at(a["sla_due_at"]) - _at(a["created_at"]) == timedelta(
                hours=changed[a["severity"]])
            assert a["sla_breached"] == (a["id"] == target["id"] and a["severity"] != "low")
        breached = (await http.get(f"{api.cases}/alerts", headers=analyst, params={
            **mine, "sla_breached": True})).json()["items"]
        assert [a["id"] for a in breached] == ([target["id"]] if target["severity"] != "low"
                                               else [])
    finally:
        restored = await http.put(settings_url, headers=admin, json={"sla_hours": before})
        assert restored.status_code == 200
    got = (await http.get(f"{api.cases}/alerts/{target['id']}", headers=analyst)).json()
    assert got["sla_breached"] is True  # nine days is past every default SLA

    # Open alerts at the end of each day: the moved one counts from nine days ago.
    start = datetime.now(UTC) - timedelta(days=12)
    series = (await http.get(f"{api.cases}/alerts/open-over-time", headers=analyst, params={
        "policy_id": policy["id"], "from": start.isoformat()})).json()
    points = series["points"]
    assert series["bucket"] == "day" and len(points) in (13, 14)
    assert points[0]["open"] == 0 and points[-1]["open"] == 3
    assert points[-3]["open"] == 1  # only the one detected nine days ago, two days back
    dismissed = await http.post(f"{api.cases}/alerts/{target['id']}/dismiss", headers=analyst,
                                json={"reason": "expected_activity"})
    assert dismissed.status_code == 200
    after = (await http.get(f"{api.cases}/alerts/open-over-time", headers=analyst, params={
        "policy_id": policy["id"], "from": start.isoformat()})).json()["points"]
    assert after[-1]["open"] == 2 and after[-3]["open"] == 1
    weekly = (await http.get(f"{api.cases}/alerts/open-over-time", headers=analyst, params={
        "policy_id": policy["id"], "bucket": "week"})).json()["points"]
    assert weekly[-1]["open"] == 2
    assert all(_at(p["start"]).weekday() == 0 for p in weekly)


async def test_dashboard_is_scoped_and_counts_triage(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    tag = uuid.uuid4().hex[:6]
    email = person_email()
    imported = await http.post(f"{api.identity}/people/import", headers=admin,
                               json=[{"email": email, "department": f"Dash-{tag}"}])
    assert imported.status_code == 200
    _, (first, second) = await _alerts_for(api, [{}, {}])
    subject = subject_of(api, email)["subject_id"]
    own = create_policy(api, scope={"kind": "people", "people": [subject]})
    ingest(api, departing_story(email))
    alert = await wait_for_alert(api, own["id"], subject)
    scoped_id, scoped_token = api.new_account("Analyst")
    assert (await http.put(f"{api.identity}/accounts/{scoped_id}/scope", headers=admin,
                           json={"departments": [f"Dash-{tag}"]})).status_code == 200
    scoped = api.auth(scoped_token)
    await db_fetch(api, "UPDATE cases.alert SET created_at = now() - interval '30 hours' "
                   "WHERE id = $1", uuid.UUID(alert["id"]))
    confirmed = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=scoped,
                                json={})
    assert confirmed.status_code == 200
    case_id = confirmed.json()["case_id"]
    assert confirmed.json()["case_status"] == "active"
    await asyncio.sleep(0.01)
    closed = await http.post(f"{api.cases}/cases/{case_id}/close", headers=scoped,
                             json={"classification": "benign", "resolution": "explained"})
    assert closed.status_code == 200
    start = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    board = (await http.get(f"{api.cases}/dashboards/triage", headers=scoped,
                            params={"from": start})).json()
    assert board["alerts"]["total"] == 1 and board["alerts"]["by_status"]["resolved"] == 1
    assert board["time_to_triage"]["count"] == 1
    assert board["time_to_triage"]["mean_s"] >= 30 * 3600
    assert board["time_to_resolve"]["count"] == 1
    assert board["time_to_resolve"]["mean_s"] >= board["time_to_triage"]["mean_s"]
    sla = board["sla"]
    late = alert["severity"] == "high"  # 30 hours is past only the high SLA (24 h)
    assert (sla["breached_before_triage"], sla["triaged_within_sla"]) == (
        (1, 0) if late else (0, 1))
    assert sla["breached_now"] == 0
    assert [p["open"] for p in board["open_cases_over_time"]][-1] == 0
    assert [p["open"] for p in board["open_alerts_over_time"]][-1] == 0
    assert board["open_alerts_over_time"][-2]["open"] == 1  # yesterday, before triage
    everyone = (await http.get(f"{api.cases}/dashboards/triage", headers=api.auth(
        api.token("Investigator")), params={"from": start})).json()
    assert everyone["alerts"]["total"] >= 3
    assert everyone["open_alerts_over_time"][-1]["open"] >= 2
    for bad in ({"bucket": "month"}, {"from": "2026-01-01"}):
        resp = await http.get(f"{api.cases}/dashboards/triage", headers=scoped, params=bad)
        assert resp.status_code == 422
    assert first["id"] != second["id"]
