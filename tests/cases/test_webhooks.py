"""Signed webhooks, delivered to a real receiver in the test process that verifies every
Standard Webhooks signature: each event type, the policy and event-type filters (applied
when deliveries are made), retries with backoff, disable after repeated failure, re-enable,
replay, secret rotation and who may manage subscriptions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.cases.webhooks.exceptions import WebhookUrlRefused
from services.cases.webhooks.service import check_url_shape, check_url_target
from tests.cases.receiver import Receiver, eventually
from tests.conftest import Api
from tests.factories import (
    audit_rows,
    create_policy,
    departing_story,
    ingest,
    person_email,
    subject_of,
    wait_for_alert,
)

ALL_TYPES = ["alert.raised", "alert.updated", "alert.triaged", "case.opened", "case.closed",
             "risk_level.changed"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def people(api: Api, n: int) -> list[tuple[str, str]]:
    """Fresh people: (email, subject id)."""
    out = []
    for _ in range(n):
        email = person_email()
        out.append((email, subject_of(api, email)["subject_id"]))
    return out


async def subscribe(api: Api, http: httpx.AsyncClient, url: str, policy_ids: list[str],
                    types: list[str] | None = None, **extra) -> dict:
    resp = await http.post(f"{api.cases}/webhooks", headers=api.auth(api.admin_token()),
                           json={"url": url, "event_types": types or ALL_TYPES,
                                 "policy_ids": policy_ids, **extra})
    assert resp.status_code == 201, resp.text
    assert resp.headers["cache-control"] == "no-store"
    return resp.json()


async def deliveries(api: Api, http: httpx.AsyncClient, hook: dict, **params) -> list[dict]:
    resp = await http.get(f"{api.cases}/webhooks/{hook['id']}/deliveries",
                          headers=api.auth(api.admin_token()), params={"limit": 200, **params})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_every_event_type_is_delivered_signed_and_pseudonymous(
        api: Api, http: httpx.AsyncClient, receiver: Receiver) -> None:
    (kept, kept_id), (dropped, dropped_id) = people(api, 2)
    policy = create_policy(api, scope={"kind": "people", "people": [kept_id, dropped_id]})
    hook = await subscribe(api, http, receiver.url, [policy["id"]])
    assert hook["secret"].startswith("whsec_") and "secret" not in (
        await http.get(f"{api.cases}/webhooks/{hook['id']}",
                       headers=api.auth(api.admin_token()))).json()
    # Another policy's subscription, and one for case.opened only: filters apply.
    other = await subscribe(api, http, receiver.url, [str(uuid.uuid4())])
    opened_only = await subscribe(api, http, receiver.url, [policy["id"]], ["case.opened"])

    ingest(api, departing_story(kept, usb=12, cloud=3))
    ingest(api, departing_story(dropped, usb=12, cloud=3))
    alert = await wait_for_alert(api, policy["id"], kept_id)
    other_alert = await wait_for_alert(api, policy["id"], dropped_id)
    ingest(api, departing_story(kept, usb=0, cloud=12)[1:])  # more activity: a higher score
    await wait_for_alert(api, policy["id"], kept_id,
                         predicate=lambda a: a["score"] > alert["score"])
    analyst = api.auth(api.token("Analyst"))
    confirmed = await http.post(f"{api.cases}/alerts/{alert['id']}/confirm", headers=analyst,
                                json={})
    assert confirmed.status_code == 200, confirmed.text
    case_id = confirmed.json()["case_id"]
    closed = await http.post(f"{api.cases}/cases/{case_id}/close", headers=analyst,
                             json={"classification": "benign", "resolution": "HR explained"})
    assert closed.status_code == 200, closed.text
    reviewer_id, _ = api.new_account("Investigator")
    reviewed = await http.post(f"{api.cases}/alerts/{other_alert['id']}/review",
                               headers=analyst, json={"reviewer": reviewer_id,
                                                      "comment": "please have a look"})
    assert reviewed.status_code == 200, reviewed.text
    dismissed = await http.post(f"{api.cases}/alerts/{other_alert['id']}/dismiss",
                                headers=analyst, json={"reason": "false_positive"})
    assert dismissed.status_code == 200, dismissed.text

    def mine() -> list[dict]:
        return [r.payload for r in receiver.received if r.answered < 300
                and r.verifies(hook["secret"])]

    def types_seen() -> set[str]:
        return {p["type"] for p in mine()}

    expected_triage = {(alert["id"], "needs_review", "confirmed"),
                       (alert["id"], "confirmed", "resolved"),
                       (other_alert["id"], "needs_review", "needs_review"),  # for review
                       (other_alert["id"], "needs_review", "dismissed")}

    def triaged() -> set[tuple[str, str, str]]:
        return {(p["data"]["alert_id"], p["data"]["previous"]["status"], p["data"]["status"])
                for p in mine() if p["type"] == "alert.triaged"}

    # Deliveries are unordered: wait for the last ones of each kind.
    def levels() -> set[tuple[str, str]]:
        return {(p["data"]["subject_id"], p["data"]["level"]) for p in mine()
                if p["type"] == "risk_level.changed"}

    await eventually(lambda: types_seen() >= set(ALL_TYPES) and triaged() >= expected_triage
                     and (kept_id, "none") in levels(), what="every event type and triage")
    by_type = {t: [p for p in mine() if p["type"] == t] for t in ALL_TYPES}
    raised = {p["data"]["alert_id"] for p in by_type["alert.raised"]}
    assert raised == {alert["id"], other_alert["id"]}
    updated = [p for p in by_type["alert.updated"] if p["data"]["alert_id"] == alert["id"]]
    assert updated and updated[-1]["data"]["score"] > updated[-1]["data"]["previous"]["score"]
    assert [p["data"]["case_id"] for p in by_type["case.opened"]] == [case_id]
    (closed_event,) = by_type["case.closed"]
    assert closed_event["data"]["classification"] == "benign"
    assert closed_event["data"]["policy_ids"] == [policy["id"]]
    assert (kept_id, "minor") in levels()
    (review,) = [p for p in by_type["alert.triaged"] if p["data"]["status"] == "needs_review"]
    assert review["data"]["reviewer_id"] == reviewer_id
    for payload in mine():  # the documented shape, and pseudonymous
        assert set(payload) == {"type", "timestamp", "data"}
        assert kept not in str(payload) and dropped not in str(payload)
        assert kept.split("@")[0] not in str(payload)
    # Each request carries the three headers; a wrong secret does not verify.
    first = receiver.received[0]
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(first.headers)
    assert not first.verifies("whsec_" + "QUJD" * 8)

    # The delivery log: one delivery per event, each with its successful attempt (logged
    # once the batch it went out in is settled).
    for _ in range(50):
        log = await deliveries(api, http, hook)
        if all(d["status"] == "succeeded" for d in log):
            break
        await asyncio.sleep(0.2)
    assert {d["event_type"] for d in log} == set(ALL_TYPES)
    assert all(d["status"] == "succeeded" and d["attempt_log"][-1]["status_code"] == 204
               for d in log)
    # Filters are applied when deliveries are made: none for the other policy; only
    # case.opened for the narrow subscription.
    assert await deliveries(api, http, other) == []
    assert [d["event_type"] for d in await deliveries(api, http, opened_only)] == ["case.opened"]


async def test_retry_after_failure_then_disable_reenable_and_replay(
        api: Api, http: httpx.AsyncClient, receiver: Receiver) -> None:
    admin = api.auth(api.admin_token())
    (first, first_id), (second, second_id) = people(api, 2)
    policy = create_policy(api, scope={"kind": "people", "people": [first_id, second_id]})
    receiver.fail_next = 1
    hook = await subscribe(api, http, receiver.url, [policy["id"]], ["alert.raised"],
                           disable_after_failures=2)
    ingest(api, departing_story(first, usb=12, cloud=3))
    await wait_for_alert(api, policy["id"], first_id)

    async def delivered() -> list[dict]:
        return [d for d in await deliveries(api, http, hook) if d["status"] == "succeeded"]

    log = None
    for _ in range(150):
        log = await delivered()
        if log:
            break
        await asyncio.sleep(0.2)
    assert log, "the retry did not succeed"
    (d,) = log
    assert [a["status_code"] for a in d["attempt_log"]] == [500, 204]
    assert d["attempts"] == 2 and d["attempt_log"][0]["error"]
    assert (datetime.fromisoformat(d["attempt_log"][1]["attempted_at"])
            - datetime.fromisoformat(d["attempt_log"][0]["attempted_at"])) >= timedelta(seconds=5)
    # The same webhook-id both times (receivers deduplicate by it).
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {d["event_id"]}

    # A receiver that keeps failing: disabled after 2 failed attempts in a row, audited.
    receiver.always_fail = True
    replayed = await http.post(f"{api.cases}/webhooks/{hook['id']}/replay", headers=admin,
                               json={"delivery_id": d["id"]})
    assert replayed.status_code == 202 and replayed.json() == {"deliveries": 1}
    ingest(api, departing_story(second, usb=12, cloud=3))
    await wait_for_alert(api, policy["id"], second_id)

    async def state() -> dict:
        return (await http.get(f"{api.cases}/webhooks/{hook['id']}", headers=admin)).json()

    for _ in range(200):
        if not (await state())["enabled"]:
            break
        await asyncio.sleep(0.2)
    now = await state()
    assert not now["enabled"] and now["consecutive_failures"] == 2
    assert "2 failed attempts" in now["disabled_reason"]
    (row,) = await audit_rows(api, "webhook.disable", f"webhook:{hook['id']}")
    assert row["actor"] == "system:webhooks"
    pending = await deliveries(api, http, hook, status="pending")
    assert len(pending) == 2
    tried = len(receiver.received)
    await asyncio.sleep(6)  # disabled: nothing is sent
    assert len(receiver.received) == tried

    # Re-enabled: the pending deliveries go out at once.
    receiver.always_fail = False
    enabled = await http.post(f"{api.cases}/webhooks/{hook['id']}/enable", headers=admin)
    assert enabled.status_code == 200 and enabled.json()["enabled"]
    again = await http.post(f"{api.cases}/webhooks/{hook['id']}/enable", headers=admin)
    assert again.status_code == 409 and again.json()["current_status"] == "enabled"
    await eventually(lambda: len([r for r in receiver.received if r.answered == 204]) >= 3,
                     within=15, what="pending deliveries after re-enable")
    assert [r["actor"] for r in await audit_rows(api, "webhook.enable",
                                                 f"webhook:{hook['id']}")]
    # Replay of everything since before the test: both alerts again.
    before = len(receiver.received)
    since = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    resp = await http.post(f"{api.cases}/webhooks/{hook['id']}/replay", headers=admin,
                           json={"since": since})
    assert resp.status_code == 202 and resp.json()["deliveries"] == 2
    await eventually(lambda: len(receiver.received) >= before + 2, within=15, what="replay")
    for _ in range(50):  # logged once the batch they went out in is settled
        replays = [d for d in await deliveries(api, http, hook) if d["replay"]]
        if all(d["status"] == "succeeded" for d in replays):
            break
        await asyncio.sleep(0.2)
    assert len(replays) == 3 and all(d["status"] == "succeeded" for d in replays)


async def test_rotation_signs_with_both_secrets_for_a_day(
        api: Api, http: httpx.AsyncClient, receiver: Receiver) -> None:
    admin = api.auth(api.admin_token())
    ((email, subject_id),) = people(api, 1)
    policy = create_policy(api, scope={"kind": "people", "people": [subject_id]})
    hook = await subscribe(api, http, receiver.url, [policy["id"]], ["alert.raised"])
    ingest(api, departing_story(email, usb=12, cloud=3))
    await wait_for_alert(api, policy["id"], subject_id)
    await eventually(lambda: receiver.received, what="first delivery")
    assert receiver.received[0].verifies(hook["secret"])
    assert len(receiver.received[0].headers["webhook-signature"].split(" ")) == 1

    rotated = await http.post(f"{api.cases}/webhooks/{hook['id']}/rotate-secret",
                              headers=admin)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != hook["secret"] and rotated.json()["previous_secret_expires_at"]
    (d,) = await deliveries(api, http, hook)
    await http.post(f"{api.cases}/webhooks/{hook['id']}/replay", headers=admin,
                    json={"delivery_id": d["id"]})
    await eventually(lambda: len(receiver.received) >= 2, what="delivery after rotation")
    after = receiver.received[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 2
    assert after.verifies(new) and after.verifies(hook["secret"])
    (row,) = await audit_rows(api, "webhook.rotate_secret", f"webhook:{hook['id']}")
    assert new not in str(row) and hook["secret"] not in str(row)


async def test_management_validation_and_roles(api: Api, http: httpx.AsyncClient,
                                               receiver: Receiver) -> None:
    admin = api.auth(api.admin_token())
    url = f"{api.cases}/webhooks"
    for bad, field in (({"url": "ftp://example.com/x", "event_types": ["alert.raised"]}, "url"),
                       ({"url": receiver.url, "event_types": ["alert.sneezed"]}, "event_types"),
                       ({"url": receiver.url, "event_types": []}, "event_types")):
        resp = await http.post(url, headers=admin, json=bad)
        assert resp.status_code == 422, resp.text
        assert resp.json()["invalid_params"][0]["field"].startswith(field)
    hook = await subscribe(api, http, receiver.url, [str(uuid.uuid4())], ["case.closed"])
    target = f"{url}/{hook['id']}"
    changed = await http.patch(target, headers=admin, json={
        "event_types": ["case.opened", "case.closed"], "policy_ids": [],
        "description": "to the SOAR"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["policy_ids"] is None and changed.json()["description"] == "to the SOAR"
    assert (await http.patch(target, headers=admin, json={})).status_code == 422
    both = await http.post(f"{target}/replay", headers=admin,
                           json={"delivery_id": str(uuid.uuid4()),
                                 "since": datetime.now(UTC).isoformat()})
    assert both.status_code == 422
    missing = await http.post(f"{target}/replay", headers=admin,
                              json={"delivery_id": str(uuid.uuid4())})
    assert missing.status_code == 404
    assert missing.json()["code"] == "webhook_delivery_not_found"
    assert (await http.get(f"{url}/{uuid.uuid4()}", headers=admin)).status_code == 404
    listed = (await http.get(url, headers=admin, params={"limit": 200})).json()["items"]
    assert hook["id"] in {h["id"] for h in listed}
    assert all("secret" not in h for h in listed)
    (created,) = await audit_rows(api, "webhook.create", f"webhook:{hook['id']}")
    assert hook["secret"] not in str(created)
    # Reviewers may not manage webhooks; an Integrator client may.
    assert (await http.get(url, headers=api.auth(api.token("Analyst")))).status_code == 403
    client = await http.post(f"{api.identity}/clients", headers=admin, json={
        "name": f"soar-{uuid.uuid4().hex[:8]}", "roles": ["Integrator"]})
    assert client.status_code == 201, client.text
    token = (await http.post(f"{api.identity}/auth/client-token", data={
        "grant_type": "client_credentials", "client_id": client.json()["id"],
        "client_secret": client.json()["client_secret"]})).json()["access_token"]
    integrator = api.auth(token)
    assert (await http.get(target, headers=integrator)).status_code == 200
    assert (await http.get(f"{api.cases}/risk-levels", headers=integrator)).status_code == 200
    assert (await http.get(f"{api.cases}/alerts", headers=integrator)).status_code == 403
    assert (await http.delete(target, headers=integrator)).status_code == 204
    assert (await http.get(target, headers=admin)).status_code == 404
    assert await audit_rows(api, "webhook.delete", f"webhook:{hook['id']}")


async def test_url_guard_refuses_non_public_targets_when_told() -> None:
    check_url_shape("http://127.0.0.1:9/x", allow_private=True)
    for url in ("http://127.0.0.1/x", "http://localhost/x", "http://10.1.2.3/x",
                "http://[::1]/x", "http://169.254.169.254/latest", "file:///etc/passwd",
                "http://user:pw@example.com/"):
        with pytest.raises(WebhookUrlRefused):
            check_url_shape(url, allow_private=False)
    check_url_shape("https://hooks.example.com/x", allow_private=False)
    with pytest.raises(WebhookUrlRefused):  # checked again before each delivery
        await check_url_target("http://localhost.:8080/x", allow_private=False)

    async def loopback(*args, **kwargs):
        return [(2, 1, 6, "", ("127.0.0.1", 80))]

    loop = asyncio.get_running_loop()
    original, loop.getaddrinfo = loop.getaddrinfo, loopback
    try:  # a public-looking name that resolves to loopback (DNS pointing inwards)
        with pytest.raises(WebhookUrlRefused):
            await check_url_target("http://hooks.example.com/x", allow_private=False)
    finally:
        loop.getaddrinfo = original
