"""Risk levels (adaptive protection): each person's level follows their alerts and cases by
the Admin's rules, in the transaction of each change; lapses after the expiry (swept); is read
by subject, by level, and as a commit-ordered change feed (paged or NDJSON), scoped like the
queue, pseudonymous; a change is told as the `risk_level.changed` webhook event."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.cases.receiver import Receiver, eventually
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

NDJSON = {"Accept": "application/x-ndjson"}
LEVEL_OF = {"low": "minor", "medium": "moderate", "high": "elevated"}


async def feed_head(api: Api, http: httpx.AsyncClient, headers: dict) -> str | None:
    resp = await http.get(f"{api.cases}/risk-levels/feed", headers={**headers, **NDJSON})
    assert resp.status_code == 200, resp.text
    return resp.headers.get("x-next-cursor")


async def read_feed(api: Api, http: httpx.AsyncClient, headers: dict, cursor: str | None
                    ) -> list[dict]:
    items: list[dict] = []
    while True:
        params = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
        resp = await http.get(f"{api.cases}/risk-levels/feed", headers=headers, params=params)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        items += page["items"]
        if not page["items"]:
            return items
        cursor = page["next_cursor"]


def steps(items: list[dict], subject_id: str) -> list[tuple[str, str]]:
    return [(i["previous_level"], i["level"]) for i in items if i["subject_id"] == subject_id]


async def level_of(api: Api, http: httpx.AsyncClient, headers: dict, subject_id: str
                   ) -> httpx.Response:
    return await http.get(f"{api.cases}/risk-levels/{subject_id}", headers=headers)


async def test_levels_follow_alerts_and_cases_and_feed_in_commit_order(
        api: Api, http: httpx.AsyncClient) -> None:
    analyst = api.auth(api.token("Analyst"))
    start = await feed_head(api, http, analyst)
    low, medium = person_email(), person_email()
    low_id, medium_id = subject_of(api, low)["subject_id"], subject_of(api, medium)["subject_id"]
    policy = create_policy(api, scope={"kind": "people", "people": [low_id, medium_id]})
    ingest(api, departing_story(low, usb=12, cloud=3))
    ingest(api, departing_story(medium, usb=12, cloud=12))
    low_alert = await wait_for_alert(api, policy["id"], low_id)
    medium_alert = await wait_for_alert(api, policy["id"], medium_id)
    assert LEVEL_OF[low_alert["severity"]] != LEVEL_OF[medium_alert["severity"]]

    # Set in the transaction that raised the alert: there as soon as the alert is.
    for alert in (low_alert, medium_alert):
        got = await level_of(api, http, analyst, alert["subject_id"])
        assert got.status_code == 200, got.text
        level = got.json()
        assert level["level"] == LEVEL_OF[alert["severity"]]
        assert level["rule"] == f"alert.{alert['severity']}"
        assert (level["source_type"], level["source_id"]) == ("alert", alert["id"])
        assert level["policy_ids"] == [policy["id"]]
        expires = datetime.fromisoformat(level["expires_at"])
        assert expires - datetime.fromisoformat(alert["updated_at"]) == timedelta(days=7)
        assert level["alias"] == alert["alias"]
    listed = await http.get(f"{api.cases}/risk-levels", headers=analyst,
                            params={"level": LEVEL_OF[low_alert["severity"]],
                                    "subject_id": low_id})
    assert [i["subject_id"] for i in listed.json()["items"]] == [low_id]
    other = await http.get(f"{api.cases}/risk-levels", headers=analyst,
                           params={"level": "elevated", "subject_id": low_id})
    assert other.json()["items"] == []

    # Dismissed: the alert no longer counts, the level drops at once.
    dismissed = await http.post(f"{api.cases}/alerts/{low_alert['id']}/dismiss",
                                headers=analyst, json={"reason": "false_positive"})
    assert dismissed.status_code == 200
    got = (await level_of(api, http, analyst, low_id)).json()
    assert (got["level"], got["rule"], got["expires_at"]) == ("none", None, None)
    # Confirmed into a case: still counts; closed as a confirmed violation: elevated.
    confirmed = await http.post(f"{api.cases}/alerts/{medium_alert['id']}/confirm",
                                headers=analyst, json={})
    case_id = confirmed.json()["case_id"]
    assert (await level_of(api, http, analyst, medium_id)).json()["level"] == \
        LEVEL_OF[medium_alert["severity"]]
    closed = await http.post(f"{api.cases}/cases/{case_id}/close", headers=analyst,
                             json={"classification": "confirmed_violation",
                                   "resolution": "access revoked"})
    assert closed.status_code == 200, closed.text
    got = (await level_of(api, http, analyst, medium_id)).json()
    assert (got["level"], got["rule"], got["source_type"], got["source_id"]) == (
        "elevated", "case.confirmed_violation", "case", case_id)

    # The change feed: every change once, in commit order, resumable; NDJSON the same.
    items = await read_feed(api, http, analyst, start)
    assert steps(items, low_id) == [("none", LEVEL_OF[low_alert["severity"]]),
                                    (LEVEL_OF[low_alert["severity"]], "none")]
    assert steps(items, medium_id) == [("none", LEVEL_OF[medium_alert["severity"]]),
                                       (LEVEL_OF[medium_alert["severity"]], "elevated")]
    ids = [i["change_id"] for i in items]
    assert len(set(ids)) == len(ids)
    streamed = await http.get(f"{api.cases}/risk-levels/feed", headers={**analyst, **NDJSON},
                              params={"cursor": start} if start else {})
    assert streamed.status_code == 200
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert lines[:len(items)] == items[:len(lines)] and steps(lines, low_id)
    resumed = await http.get(f"{api.cases}/risk-levels/feed", headers=analyst,
                             params={"cursor": streamed.headers["x-next-cursor"]})
    assert not [i for i in resumed.json()["items"] if i["subject_id"] in (low_id, medium_id)]
    for text in (json.dumps(items), streamed.text, json.dumps(got)):
        assert low not in text and medium not in text

    # Unknown people and bad cursors.
    assert (await level_of(api, http, analyst, str(uuid.uuid4()))).status_code == 404
    bad = await http.get(f"{api.cases}/risk-levels/feed", headers=analyst,
                         params={"cursor": "nope"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"
    assert (await http.get(f"{api.cases}/risk-levels", headers=analyst,
                           params={"level": "severe"})).status_code == 422


async def test_a_scoped_reviewer_sees_only_their_people(api: Api,
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
    start = await feed_head(api, http, admin)
    ids = {k: subject_of(api, e)["subject_id"] for k, e in (("in", inside), ("out", outside))}
    policy = create_policy(api, scope={"kind": "people", "people": list(ids.values())})
    for email in (inside, outside):
        ingest(api, departing_story(email, usb=12, cloud=3))
    for subject_id in ids.values():
        await wait_for_alert(api, policy["id"], subject_id)
    assert (await level_of(api, http, scoped, ids["in"])).status_code == 200
    hidden = await level_of(api, http, scoped, ids["out"])
    assert hidden.status_code == 404 and hidden.json()["code"] == "risk_level_not_found"
    listed = (await http.get(f"{api.cases}/risk-levels", headers=scoped,
                             params={"limit": 500})).json()["items"]
    assert {i["subject_id"] for i in listed} == {ids["in"]}
    seen = await read_feed(api, http, scoped, start)
    assert {i["subject_id"] for i in seen} == {ids["in"]}


async def test_expiry_settings_and_the_webhook_event(api: Api, http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    url = f"{api.cases}/risk-levels/settings"
    before = (await http.get(url, headers=admin)).json()
    assert before["expiry_days"] == 7 and before["elevated_severities"] == ["high"]
    clash = await http.put(url, headers=admin, json={**before, "minor_severities": ["high"]})
    assert clash.status_code == 422
    assert clash.json()["invalid_params"][0]["field"] == "minor_severities"
    assert (await http.put(url, headers=admin, json={**before, "expiry_days": 0})
            ).status_code == 422
    assert (await http.put(url, headers=api.auth(api.token("Analyst")), json=before)
            ).status_code == 403

    email = person_email()
    subject_id = subject_of(api, email)["subject_id"]
    policy = create_policy(api, scope={"kind": "people", "people": [subject_id]})
    receiver = Receiver()
    hook = (await http.post(f"{api.cases}/webhooks", headers=admin, json={
        "url": receiver.url, "event_types": ["risk_level.changed"],
        "policy_ids": [policy["id"]]})).json()
    start = await feed_head(api, http, admin)
    try:
        # Levels lapse 4 s after the alert that set them last changed.
        put = await http.put(url, headers=admin, json={**before, "expiry_days": 4 / 86400})
        assert put.status_code == 200, put.text
        (row,) = [r for r in await audit_rows(api, "risk_levels.settings.update",
                                              "risk_levels:settings")
                  if r["detail"]["after"]["expiry_days"] == 4 / 86400][-1:]
        assert row["detail"]["before"]["expiry_days"] == before["expiry_days"]
        ingest(api, departing_story(email, usb=12, cloud=3))
        alert = await wait_for_alert(api, policy["id"], subject_id)
        level = LEVEL_OF[alert["severity"]]

        async def lapsed() -> list:
            return steps(await read_feed(api, http, admin, start), subject_id)

        for _ in range(100):
            if len(await lapsed()) >= 2:
                break
            await asyncio.sleep(0.3)
        assert await lapsed() == [("none", level), (level, "none")]
        assert (await level_of(api, http, admin, subject_id)).json()["level"] == "none"
        # Both changes were told to the subscriber, signed.
        got = await eventually(lambda: len(receiver.events("risk_level.changed")) >= 2 and
                               receiver.events("risk_level.changed"), what="webhooks")
        assert [(e["data"]["previous_level"], e["data"]["level"]) for e in got] == \
            [("none", level), (level, "none")]
        assert all(r.verifies(hook["secret"]) for r in receiver.received)
        assert all(e["data"]["subject_id"] == subject_id for e in got)
    finally:
        restored = await http.put(url, headers=admin, json=before)
        assert restored.status_code == 200
        receiver.stop()


async def test_the_change_log_and_the_event_outbox_are_append_only(api: Api) -> None:
    """Enforced in the database (a trigger), for every role: rows go in, never change."""
    subject = str(uuid.uuid4())
    await db_fetch(api, "INSERT INTO cases.risk_level_change (subject_id, alias, level, "
                   "previous_level) VALUES ($1, 'AnonymousUser-PROBE', 'minor', 'none')", subject)
    await db_fetch(api, "INSERT INTO cases.webhook_event (id, type, payload) "
                   "VALUES (gen_random_uuid(), 'probe.append_only', '{}')")
    for table, column in (("risk_level_change", "level"), ("webhook_event", "type")):
        for sql in (f"UPDATE cases.{table} SET {column} = 'none'", f"DELETE FROM cases.{table}",
                    f"TRUNCATE cases.{table} CASCADE"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await db_fetch(api, sql)
