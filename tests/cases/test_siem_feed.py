"""The SIEM export feed: one record per alert change in commit order, resumable by cursor, in
OpenIRM's schema and as Office 365 Security and Compliance Alerts records, pseudonymous,
streamed as NDJSON, scoped like the queue."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx

from services.cases.settings import DEFAULT_ORGANIZATION_ID
from tests.conftest import Api
from tests.factories import (
    departing_story,
    ingest,
    people_policy,
    person_email,
    subject_of,
    wait_for_alert,
)

NDJSON = {"Accept": "application/x-ndjson"}


async def head_cursor(api: Api, http: httpx.AsyncClient, headers: dict) -> str | None:
    """Where the feed ends now (changes made after this are read from here)."""
    async with http.stream("GET", f"{api.cases}/alerts/feed",
                           headers={**headers, **NDJSON}) as resp:
        assert resp.status_code == 200
        return resp.headers.get("x-next-cursor")


async def read_all(api: Api, http: httpx.AsyncClient, headers: dict, cursor: str | None, *,
                   fmt: str = "openirm", limit: int = 1000) -> tuple[list[dict], str | None]:
    items: list[dict] = []
    while True:
        params = {"limit": limit, "format": fmt} | ({"cursor": cursor} if cursor else {})
        resp = await http.get(f"{api.cases}/alerts/feed", headers=headers, params=params)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        items += page["items"]
        if not page["items"]:
            return items, cursor
        cursor = page["next_cursor"]


async def wait_for_changes(api: Api, http: httpx.AsyncClient, headers: dict,
                           cursor: str | None, done, *, within: float = 20) -> list[dict]:
    deadline = time.monotonic() + within
    while True:
        items, _ = await read_all(api, http, headers, cursor)
        if done(items) or time.monotonic() > deadline:
            return items
        await asyncio.sleep(0.2)


def of(items: list[dict], alert_id: str, key: str = "alert_id") -> list[dict]:
    return [i for i in items if str(i[key]) == alert_id]


async def test_every_change_once_in_commit_order_resumable_and_pseudonymous(
        api: Api, http: httpx.AsyncClient) -> None:
    analyst = api.auth(api.token("Analyst"))
    start = await head_cursor(api, http, analyst)
    policy = people_policy(api)
    # A person the directory knows by name: neither name nor email may leave in the feed.
    email = person_email()
    created = await http.post(f"{api.identity}/people", headers=api.auth(api.admin_token()),
                              json={"email": email, "display_name": "Quinn Feedwatch",
                                    "department": "Treasury"})
    assert created.status_code == 200, created.text
    ingest(api, departing_story(email, usb=12, cloud=3))
    subject = subject_of(api, email)
    raised = await wait_for_alert(api, policy["id"], subject["subject_id"])
    ingest(api, departing_story(email, usb=0, cloud=0, email=30)[1:])
    await wait_for_alert(api, policy["id"], subject["subject_id"],
                         predicate=lambda a: a["score"] > 30)
    # Another person's alert dismissed, a third one's confirmed into a case that is closed.
    others = {}
    for key in ("dismissed", "resolved"):
        actor = person_email()
        ingest(api, departing_story(actor))
        others[key] = await wait_for_alert(api, policy["id"],
                                           subject_of(api, actor)["subject_id"])
    resp = await http.post(f"{api.cases}/alerts/{others['dismissed']['id']}/dismiss",
                           headers=analyst, json={"reason": "false_positive"})
    assert resp.status_code == 200
    resp = await http.post(f"{api.cases}/alerts/{others['resolved']['id']}/confirm",
                           headers=analyst, json={})
    case_id = resp.json()["case_id"]
    resp = await http.post(f"{api.cases}/cases/{case_id}/close", headers=analyst,
                           json={"classification": "benign", "resolution": "Explained"})
    assert resp.status_code == 200

    ids = {"raised": raised["id"], **{k: a["id"] for k, a in others.items()}}
    items = await wait_for_changes(api, http, analyst, start, lambda items: len(
        of(items, ids["resolved"])) == 3 and len(of(items, ids["dismissed"])) == 2)

    # One record per change, each change once, every alert's changes in the order made.
    assert len({i["change_id"] for i in items}) == len(items)
    mine = of(items, ids["raised"])
    assert [i["operation"] for i in mine] == ["created"] + ["updated"] * (len(mine) - 1)
    assert len(mine) >= 2 and mine[0]["score"] == 30 and mine[0]["severity"] == "low"
    assert mine[-1]["score"] == 65 and mine[-1]["severity"] == "medium"
    assert {i["status"] for i in mine} == {"needs_review"}
    assert mine[0]["subject_id"] == subject["subject_id"] and mine[0]["alias"] == subject["alias"]
    assert mine[0]["policy_id"] == policy["id"] and mine[0]["policy_name"] == policy["name"]
    assert mine[0]["risk_factors"] == mine[0]["explanation"]["risk_factors"]
    assert [(i["operation"], i["status"]) for i in of(items, ids["dismissed"])] == [
        ("created", "needs_review"), ("updated", "dismissed")]
    closed = of(items, ids["resolved"])
    assert [(i["operation"], i["status"], i["case_id"]) for i in closed] == [
        ("created", "needs_review", None), ("updated", "confirmed", case_id),
        ("updated", "resolved", case_id)]

    # Resumable: the same cursor gives the same page; small pages add up to the whole.
    first = await http.get(f"{api.cases}/alerts/feed", headers=analyst,
                           params={"limit": 3} | ({"cursor": start} if start else {}))
    again = await http.get(f"{api.cases}/alerts/feed", headers=analyst,
                           params={"limit": 3} | ({"cursor": start} if start else {}))
    assert first.json() == again.json() and len(first.json()["items"]) == 3
    paged, end = await read_all(api, http, analyst, start, limit=2)
    assert paged[:len(items)] == items
    assert (await http.get(f"{api.cases}/alerts/feed", headers=analyst,
                           params={"cursor": end})).json() == {"items": [],
                                                                "next_cursor": end}

    # The Office 365 shape: one record per change with the same AlertId.
    o365, _ = await read_all(api, http, analyst, start, fmt="o365")
    assert len(o365) == len(paged) and len({r["Id"] for r in o365}) == len(o365)
    for record in o365:
        assert record["RecordType"] == 40 and record["Category"] == "InsiderRiskManagement"
        assert record["OrganizationId"] == str(DEFAULT_ORGANIZATION_ID)
        assert record["Workload"] == "SecurityComplianceCenter"
        uuid.UUID(record["Id"])
        time.strptime(record["CreationTime"], "%Y-%m-%dT%H:%M:%S")
        data = json.loads(record["Data"])
        assert data["alert_id"] == record["AlertId"]
    rows = of(o365, ids["raised"], "AlertId")
    assert [(r["Operation"], r["Comments"], r["Status"]) for r in rows[:2]] == [
        ("AlertTriggered", "New alert", "Active"), ("AlertUpdated", "Alert updated", "Active")]
    assert rows[0]["Name"] == policy["name"] and rows[0]["PolicyId"] == policy["id"]
    assert rows[0]["UserId"] == subject["alias"] and rows[0]["UserKey"] == subject["subject_id"]
    assert rows[0]["Severity"] == "Low" and rows[-1]["Severity"] == "Medium"
    assert [r["Status"] for r in of(o365, ids["dismissed"], "AlertId")] == ["Active",
                                                                            "Dismissed"]
    assert [r["Status"] for r in of(o365, ids["resolved"], "AlertId")] == [
        "Active", "Investigating", "Resolved"]
    # Same cursor, same records (a SIEM deduplicates a re-read by Id).
    assert (await read_all(api, http, analyst, start, fmt="o365"))[0][:len(o365)] == o365

    # The NDJSON stream holds the same records as the pages, and says where to resume.
    for fmt, expected in (("openirm", paged), ("o365", o365)):
        resp = await http.get(f"{api.cases}/alerts/feed", headers={**analyst, **NDJSON},
                              params={"format": fmt} | ({"cursor": start} if start else {}))
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("application/x-ndjson")
        streamed = [json.loads(line) for line in resp.text.splitlines()]
        assert streamed == expected[:len(streamed)] and len(streamed) >= len(items)
        later, _ = await read_all(api, http, analyst, resp.headers["x-next-cursor"], fmt=fmt)
        assert streamed + later == (await read_all(api, http, analyst, start, fmt=fmt))[0][
            :len(streamed) + len(later)]

        # Pseudonymous everywhere: no email, name or email domain.
        for text in (resp.text, json.dumps(expected)):
            for secret in (email, "Quinn", "Feedwatch", "contoso.example"):
                assert secret not in text


async def test_a_scoped_reviewer_reads_only_their_people(api: Api,
                                                         http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    tag = uuid.uuid4().hex[:6]
    inside, outside = person_email(), person_email()
    imported = await http.post(f"{api.identity}/people/import", headers=admin, json=[
        {"email": inside, "department": f"Treasury-{tag}"},
        {"email": outside, "department": f"Sales-{tag}"}])
    assert imported.status_code == 200, imported.text
    analyst_id, token = api.new_account("Analyst")
    scoped = api.auth(token)
    put = await http.put(f"{api.identity}/accounts/{analyst_id}/scope", headers=admin,
                         json={"departments": [f"Treasury-{tag}"]})
    assert put.status_code == 200
    everyone = api.auth(api.token("Investigator"))
    start = await head_cursor(api, http, everyone)
    policy = people_policy(api)
    alerts = {}
    for key, email in (("inside", inside), ("outside", outside)):
        ingest(api, departing_story(email))
        alerts[key] = await wait_for_alert(api, policy["id"], subject_of(api, email)["subject_id"])
    all_items = await wait_for_changes(api, http, everyone, start, lambda items: all(
        of(items, a["id"]) for a in alerts.values()))
    assert all(of(all_items, a["id"]) for a in alerts.values())
    seen, _ = await read_all(api, http, scoped, start)
    assert of(seen, alerts["inside"]["id"]) and not of(seen, alerts["outside"]["id"])
    assert {i["subject_id"] for i in seen} == {alerts["inside"]["subject_id"]}
    streamed = await http.get(f"{api.cases}/alerts/feed", headers={**scoped, **NDJSON},
                              params={"cursor": start} if start else {})
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert lines == seen[:len(lines)] and of(lines, alerts["inside"]["id"])


async def test_bad_input_and_access(api: Api, http: httpx.AsyncClient) -> None:
    url = f"{api.cases}/alerts/feed"
    analyst = api.auth(api.token("Analyst"))
    for params, field in (({"cursor": "not-a-cursor"}, None), ({"format": "cef"}, "format"),
                          ({"limit": 0}, "limit"), ({"limit": 1001}, "limit")):
        resp = await http.get(url, headers=analyst, params=params)
        assert resp.status_code == 422, params
        assert field is None or field in resp.text
    bad = await http.get(url, headers={**analyst, **NDJSON}, params={"cursor": "eyJ4Ijox"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"
    assert (await http.get(url)).status_code == 401
    for role in ("Auditor", "Admin"):
        token = api.admin_token() if role == "Admin" else api.token(role)
        denied = await http.get(url, headers=api.auth(token))
        assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    inv = await http.get(url, headers=api.auth(api.token("Investigator")), params={"limit": 1})
    assert inv.status_code == 200 and set(inv.json()) == {"items", "next_cursor"}
