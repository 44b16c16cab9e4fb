"""Activity scoring stops counting, through the real pipeline: a suppression rule lowers a
departing person's score and keeps new activity of its type from counting, with hits and the
excluded events listed; its expiry sends it to review (the worker's sweep, run with a later
clock); renew and end; benign marks and unmarking; scope, roles and bad input; audit rows."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Api
from tests.factories import (
    audit_rows,
    create_policy,
    departing_story,
    event,
    ingest,
    person_email,
    subject_of,
    sweep_suppressions,
    wait_for_alert,
    wait_for_score,
)

USB = "device.file_copied_to_usb"


def _count(score: dict, indicator: str) -> int:
    return sum(c.get("count", 0) for c in score["contributions"]
               if c.get("kind") == "indicator" and c.get("indicator") == indicator)


async def _departing(api: Api) -> tuple[str, list[dict], dict, dict]:
    """A person who resigned and copied 12 files to USB and uploaded 12 to the cloud, under a
    policy scoped to them alone; returns (subject, events, policy, first score)."""
    actor = person_email()
    story = departing_story(actor)
    ingest(api, story)
    subject = subject_of(api, actor)["subject_id"]
    policy = create_policy(api, scope={"kind": "people", "people": [subject]})
    score = await wait_for_score(api, policy["id"], subject,
                                 lambda s: _count(s, "usb_copy") == 12
                                 and _count(s, "cloud_upload") == 12, within=30)
    return subject, story, policy, score


async def _until(what, within: float = 20, every: float = 0.2) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if got := await what():
            return got
        await asyncio.sleep(every)
    raise AssertionError(f"never happened: {what}")


async def _excluded(api: Api, http: httpx.AsyncClient, subject: str, token: str,
                    **params: Any) -> list[dict]:
    items, cursor = [], None
    while True:
        resp = await http.get(f"{api.scoring}/subjects/{subject}/excluded-events",
                              headers=api.auth(token),
                              params=params | ({"cursor": cursor} if cursor else {}))
        assert resp.status_code == 200, resp.text
        items += resp.json()["items"]
        cursor = resp.json()["next_cursor"]
        if not cursor:
            return items


async def test_suppression_lowers_the_score_counts_hits_and_is_reviewed_at_expiry(
        api: Api, http: httpx.AsyncClient) -> None:
    subject, story, policy, before = await _departing(api)
    alert = await wait_for_alert(api, policy["id"], subject)
    analyst = api.auth(api.token("Analyst"))
    now = datetime.now(UTC)
    until = now + timedelta(minutes=2)
    created = await http.post(f"{api.scoring}/suppressions", headers=analyst, json={
        "subject_id": subject, "activity_types": [USB, USB], "reason": "Approved laptop swap",
        "since": (now - timedelta(days=3)).isoformat(), "until": until.isoformat(),
        "alert_id": alert["id"]})
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["state"] == "active" and rule["activity_types"] == [USB]
    assert rule["alias"] == alert["alias"] and rule["alert_id"] == alert["id"]
    url = f"{api.scoring}/suppressions/{rule['id']}"

    # The person is re-counted: USB copies no longer count; the cloud uploads still do.
    after = await wait_for_score(api, policy["id"], subject,
                                 lambda s: _count(s, "usb_copy") == 0)
    assert _count(after, "cloud_upload") == 12 and after["score"] < before["score"]
    got = await _until(lambda: _hits(http, url, analyst, 12))
    assert got["last_hit_at"] is not None
    usb_ids = sorted(e["id"] for e in story if e["type"] == USB)
    excluded = await _excluded(api, http, subject, api.token("Analyst"), limit=5)
    assert sorted(e["event_id"] for e in excluded) == usb_ids
    assert {(e["kind"], e["suppression_id"], e["benign_mark_id"], e["type"])
            for e in excluded} == {("suppression", rule["id"], None, USB)}
    as_service = await _excluded(api, http, subject, api.service_token("cases"))
    assert as_service == excluded
    window = await _excluded(api, http, subject, api.token("Investigator"),
                             **{"from": (now - timedelta(days=1)).isoformat(),
                                "to": (now - timedelta(days=1, seconds=-1)).isoformat()})
    assert window == []

    # New activity of the type: recorded as a hit by the live feed, still not counted.
    ingest(api, [event(story[0]["actor"], USB, file_name=f"late-{i}.docx") for i in range(5)]
           + [event(story[0]["actor"], "device.file_uploaded_to_cloud", file_name="x.csv")])
    await wait_for_score(api, policy["id"], subject, lambda s: _count(s, "cloud_upload") == 13)
    assert _count((await http.get(f"{api.scoring}/subjects/{subject}/scores",
                                  headers=analyst)).json()[0], "usb_copy") == 0
    await _until(lambda: _hits(http, url, analyst, 17))
    assert len(await audit_rows(api, "suppression.create", f"suppression:{rule['id']}")) == 1

    # Not expired yet: nothing to review.
    early = await http.post(f"{url}/review", headers=analyst,
                            json={"decision": "end", "comment": "too early"})
    assert early.status_code == 409 and early.json()["current_status"] == "active"

    # The sweep, with a clock past `until`, sends the rule to review (audited).
    await sweep_suppressions(api, until - timedelta(seconds=1))
    assert (await http.get(url, headers=analyst)).json()["state"] == "active"
    assert await sweep_suppressions(api, until + timedelta(seconds=1)) >= 1
    waiting = (await http.get(url, headers=analyst)).json()
    assert waiting["state"] == "review_required"
    todo = (await http.get(f"{api.scoring}/suppressions", headers=analyst,
                           params={"state": "review_required", "subject_id": subject})).json()
    assert [r["id"] for r in todo["items"]] == [rule["id"]]
    assert len(await audit_rows(api, "suppression.expire", f"suppression:{rule['id']}")) == 1
    assert await sweep_suppressions(api, until + timedelta(seconds=1)) == 0  # once only

    # Renew needs a new end; renewing starts a new period.
    missing = await http.post(f"{url}/review", headers=analyst,
                              json={"decision": "renew", "comment": "still moving"})
    assert missing.status_code == 422
    renewed = await http.post(f"{url}/review", headers=analyst, json={
        "decision": "renew", "comment": "still moving",
        "until": (datetime.now(UTC) + timedelta(days=1)).isoformat()})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["state"] == "active" and len(renewed.json()["periods"]) == 2
    assert renewed.json()["review_decision"] == "renew"
    assert renewed.json()["reviewed_by"] is not None

    # Ending stops suppressing from now on; what it suppressed stays suppressed.
    ended = await http.post(f"{url}/end", headers=api.auth(api.token("Investigator")),
                            json={"comment": "move finished"})
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    again = await http.post(f"{url}/end", headers=analyst, json={})
    assert again.status_code == 409 and again.json()["current_status"] == "ended"
    review = await http.post(f"{url}/review", headers=analyst,
                             json={"decision": "end", "comment": "x"})
    assert review.status_code == 409 and review.json()["current_status"] == "ended"
    await asyncio.sleep(0.01)
    ingest(api, [event(story[0]["actor"], USB, file_name=f"after-{i}.docx") for i in range(2)])
    await wait_for_score(api, policy["id"], subject, lambda s: _count(s, "usb_copy") == 2)
    assert (await http.get(url, headers=analyst)).json()["hit_count"] == 17
    for action in ("suppression.review", "suppression.end"):
        rows = await audit_rows(api, action, f"suppression:{rule['id']}")
        assert len(rows) == 1


async def _hits(http: httpx.AsyncClient, url: str, headers: dict, n: int) -> dict | None:
    got = (await http.get(url, headers=headers)).json()
    return got if got["hit_count"] == n else None


async def test_benign_marks_lower_the_score_and_unmarking_restores_it(
        api: Api, http: httpx.AsyncClient) -> None:
    subject, story, policy, before = await _departing(api)
    other = person_email()
    stranger = event(other, USB, file_name="not-theirs.docx")
    ingest(api, [stranger])
    inv = api.auth(api.token("Investigator"))
    url = f"{api.scoring}/subjects/{subject}/benign-activities"
    usb_ids = sorted(e["id"] for e in story if e["type"] == USB)

    # All or nothing: unknown ids and another person's event are named, nothing is marked.
    bad = await http.post(url, headers=inv, json={
        "event_ids": [usb_ids[0], "no-such-event", stranger["id"]], "reason": "IT asset swap"})
    assert bad.status_code == 422, bad.text
    assert [(p["field"], p["index"]) for p in bad.json()["invalid_params"]] == [
        ("event_ids", 1), ("event_ids", 2)]
    assert (await http.get(url, headers=inv)).json()["items"] == []

    report = str(uuid.uuid4())
    marked = await http.post(url, headers=inv, json={
        "event_ids": usb_ids, "reason": "IT asset swap", "report_id": report})
    assert marked.status_code == 201, marked.text
    assert sorted(m["event_id"] for m in marked.json()["marked"]) == usb_ids
    assert {m["report_id"] for m in marked.json()["marked"]} == {report}
    after = await wait_for_score(api, policy["id"], subject,
                                 lambda s: _count(s, "usb_copy") == 0)
    assert after["score"] < before["score"] and _count(after, "cloud_upload") == 12
    twice = await http.post(url, headers=inv, json={"event_ids": usb_ids[:2], "reason": "x"})
    assert twice.status_code == 201 and twice.json() == {"marked": [],
                                                         "already_marked": usb_ids[:2]}
    marks = {m["event_id"]: m["id"] for m in marked.json()["marked"]}
    excluded = await _until(lambda: _some(api, http, subject, 12))
    assert {(e["event_id"], e["kind"], e["benign_mark_id"], e["suppression_id"])
            for e in excluded} == {(i, "benign", marks[i], None) for i in usb_ids}
    listed = (await http.get(url, headers=inv, params={"limit": 200})).json()["items"]
    assert sorted(m["event_id"] for m in listed) == usb_ids

    # Unmarking one: it counts again.
    gone = await http.delete(f"{url}/{usb_ids[0]}", headers=inv)
    assert gone.status_code == 204
    await wait_for_score(api, policy["id"], subject, lambda s: _count(s, "usb_copy") == 1)
    missing = await http.delete(f"{url}/{usb_ids[0]}", headers=inv)
    assert missing.status_code == 404 and missing.json()["code"] == "benign_mark_not_found"
    assert len(await _excluded(api, http, subject, api.token("Analyst"))) == 11

    # Investigators only; every change audited.
    analyst = api.auth(api.token("Analyst"))
    for method, path, body in (("POST", url, {"event_ids": usb_ids[:1], "reason": "x"}),
                               ("GET", url, None), ("DELETE", f"{url}/{usb_ids[1]}", None)):
        resp = await http.request(method, path, headers=analyst, json=body)
        assert resp.status_code == 403, (method, path)
    target = f"subject:{subject}"
    rows = await audit_rows(api, "benign.mark", target)
    assert len(rows) == 1 and sorted(rows[0]["detail"]["event_ids"]) == usb_ids
    assert len(await audit_rows(api, "benign.unmark", target)) == 1


async def _some(api: Api, http: httpx.AsyncClient, subject: str, n: int) -> list[dict] | None:
    items = await _excluded(api, http, subject, api.token("Investigator"))
    return items if len(items) == n else None


async def test_scope_roles_and_bad_input(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    tag = uuid.uuid4().hex[:6]
    inside, outside = person_email(), person_email()
    imported = await http.post(f"{api.identity}/people/import", headers=admin, json=[
        {"email": inside, "department": f"Treasury-{tag}"},
        {"email": outside, "department": f"Sales-{tag}"}])
    assert imported.status_code == 200, imported.text
    ingest(api, [event(inside, USB, file_name="a.docx"), event(outside, USB, file_name="b.docx")])
    people = {k: subject_of(api, e)["subject_id"] for k, e in (("in", inside),
                                                                ("out", outside))}
    analyst_id, token = api.new_account("Analyst")
    scoped = api.auth(token)
    put = await http.put(f"{api.identity}/accounts/{analyst_id}/scope", headers=admin,
                         json={"departments": [f"Treasury-{tag}"]})
    assert put.status_code == 200
    until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    body = {"activity_types": [USB], "until": until, "reason": "expected"}

    async def create(headers: dict, subject: str) -> httpx.Response:
        async def known() -> httpx.Response | None:
            resp = await http.post(f"{api.scoring}/suppressions", headers=headers,
                                   json={**body, "subject_id": subject})
            return resp if resp.status_code != 404 else None
        return await _until(known)  # scoring learns of the person from the feed

    inv = api.auth(api.token("Investigator"))
    out_rule = (await create(inv, people["out"])).json()
    in_rule = await create(scoped, people["in"])
    assert in_rule.status_code == 201
    refused = await http.post(f"{api.scoring}/suppressions", headers=scoped,
                              json={**body, "subject_id": people["out"]})
    assert refused.status_code == 404 and refused.json()["code"] == "subject_not_found"
    seen = (await http.get(f"{api.scoring}/suppressions", headers=scoped,
                           params={"limit": 200})).json()["items"]
    assert {r["subject_id"] for r in seen} == {people["in"]}
    for path in (f"/suppressions/{out_rule['id']}",
                 f"/subjects/{people['out']}/excluded-events"):
        resp = await http.get(f"{api.scoring}{path}", headers=scoped)
        assert resp.status_code == 404, path
    ended = await http.post(f"{api.scoring}/suppressions/{out_rule['id']}/end", headers=scoped,
                            json={})
    assert ended.status_code == 404
    everyone = (await http.get(f"{api.scoring}/suppressions", headers=admin,
                               params={"subject_id": people["out"]})).json()["items"]
    assert [r["id"] for r in everyone] == [out_rule["id"]]

    # Roles: Admin reads only; Auditor and no token nothing.
    assert (await http.post(f"{api.scoring}/suppressions", headers=admin,
                            json={**body, "subject_id": people["in"]})).status_code == 403
    assert (await http.get(f"{api.scoring}/suppressions",
                           headers=api.auth(api.token("Auditor")))).status_code == 403
    assert (await http.get(f"{api.scoring}/suppressions")).status_code == 401
    unknown = await http.get(f"{api.scoring}/suppressions/{uuid.uuid4()}", headers=inv)
    assert unknown.status_code == 404 and unknown.json()["code"] == "suppression_not_found"

    # Bad input: 422 naming the field.
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    far = (datetime.now(UTC) + timedelta(days=91)).isoformat()
    for change, field in (({"activity_types": []}, "activity_types"),
                          ({"activity_types": ["file.teleported"]}, "activity_types"),
                          ({"activity_types": [USB] * 21}, "activity_types"),
                          ({"until": past}, "until"), ({"until": far}, "until"),
                          ({"until": "2030-01-01T00:00:00"}, "until"),
                          ({"reason": ""}, "reason"),
                          ({"since": (datetime.now(UTC) - timedelta(days=91)).isoformat()},
                           "since")):
        resp = await http.post(f"{api.scoring}/suppressions", headers=inv,
                               json={**body, "subject_id": people["in"], **change})
        assert resp.status_code == 422, (change, resp.text)
        assert field in {p["field"] for p in resp.json()["invalid_params"]}, resp.text
    too_many = await http.post(f"{api.scoring}/subjects/{people['in']}/benign-activities",
                               headers=inv, json={"event_ids": [f"e{i}" for i in range(501)],
                                                  "reason": "x"})
    assert too_many.status_code == 422
    cursor = await http.get(f"{api.scoring}/subjects/{people['in']}/excluded-events",
                            headers=inv, params={"cursor": "bm90LWpzb24"})
    assert cursor.status_code == 422 and cursor.json()["code"] == "invalid_cursor"
