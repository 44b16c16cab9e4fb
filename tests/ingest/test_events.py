"""Ingesting canonical activity events: pseudonymised, idempotent, refused whole when bad."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from services.kit.db import async_url
from tests.conftest import Api
from tests.factories import event, person_email


async def _stored(api: Api, ids: list[str]) -> list[asyncpg.Record]:
    url = async_url(api.stack.database_url).replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch("SELECT * FROM ingest.activity_event WHERE id = ANY($1::text[])",
                                ids)
    finally:
        await conn.close()


async def test_batch_is_stored_pseudonymised_and_idempotent(api: Api, http: httpx.AsyncClient
                                                            ) -> None:
    actor = person_email()
    events = [event(actor, "device.file_copied_to_usb", file_name=f"f{i}.docx")
              for i in range(3)]
    headers = api.auth(api.admin_token())
    first = await http.post(f"{api.ingest}/events", headers=headers, json={"events": events})
    assert first.status_code == 202
    assert first.json()["accepted"] == 3 and first.json()["duplicates"] == 0
    again = await http.post(f"{api.ingest}/events", headers=headers,
                            json={"events": events + events[:1]})
    assert again.json()["accepted"] == 0 and again.json()["duplicates"] == 4
    audit = await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                           params={"action": "events.ingest",
                                   "target": f"receipt:{first.json()['receipt_id']}"})
    assert audit.json()["items"][0]["detail"] == {"accepted": 3, "duplicates": 0}
    rows = await _stored(api, [e["id"] for e in events])
    assert len(rows) == 3
    assert {r["category"] for r in rows} == {"exfiltration"}
    # No real identity in ingest's tables: only the subject id and alias.
    assert all(actor not in str(dict(r)) for r in rows)
    assert len({r["subject_id"] for r in rows}) == 1
    assert rows[0]["alias"].startswith("AnonymousUser-")


async def test_invalid_event_refuses_the_whole_batch(api: Api, http: httpx.AsyncClient) -> None:
    actor = person_email()
    good = event(actor, "file.downloaded")
    bad = event(actor, "device.teleported")
    resp = await http.post(f"{api.ingest}/events", headers=api.auth(api.admin_token()),
                           json={"events": [good, bad]})
    assert resp.status_code == 422
    problem = resp.json()
    assert problem["invalid_params"][0]["index"] == 1
    assert problem["invalid_params"][0]["field"] == "events.type"
    assert "item 1" in problem["detail"]
    assert await _stored(api, [good["id"]]) == []


async def test_bad_input_gets_clear_errors(api: Api, http: httpx.AsyncClient) -> None:
    headers = api.auth(api.admin_token())
    actor = person_email()
    naive = event(actor, "file.downloaded")
    naive["occurred_at"] = "2026-11-01T10:00:00"
    cases = {
        "empty": {"events": []},
        "naive time": {"events": [naive]},
        "bad actor": {"events": [event("not-an-email", "file.downloaded")]},
        "bad hr date": {"events": [event(actor, "hr.resignation", resignation_date="soon")]},
        "unknown field": {"events": [{**event(actor, "file.downloaded"), "extra": 1}]},
    }
    for name, body in cases.items():
        resp = await http.post(f"{api.ingest}/events", headers=headers, json=body)
        assert resp.status_code == 422, name
        assert resp.json()["code"] == "invalid_input", name
    raw = await http.post(f"{api.ingest}/events", headers={**headers,
                          "content-type": "application/json"}, content=b"{not json")
    assert raw.status_code == 422


async def test_ingest_needs_an_ingest_role(api: Api, http: httpx.AsyncClient) -> None:
    body = {"events": [event(person_email(), "file.downloaded")]}
    assert (await http.post(f"{api.ingest}/events", json=body)).status_code == 401
    for role in ("Analyst", "Investigator", "Auditor"):
        resp = await http.post(f"{api.ingest}/events", headers=api.auth(api.token(role)),
                               json=body)
        assert resp.status_code == 403, role
    service = await http.post(f"{api.ingest}/events", headers=api.auth(api.service_token()),
                              json=body)
    assert service.status_code == 202


async def test_event_feed_is_for_services_and_resumes_from_a_cursor(
        api: Api, http: httpx.AsyncClient) -> None:
    assert (await http.get(f"{api.ingest}/events/feed",
                           headers=api.auth(api.admin_token()))).status_code == 403
    svc = api.auth(api.service_token())
    actor = person_email()
    ids = [e["id"] for e in [event(actor, "file.downloaded") for _ in range(3)]]
    head = (await http.get(f"{api.ingest}/events/feed", headers=svc,
                           params={"limit": 5000})).json()
    cursor = head["next_cursor"]
    while True:  # drain to the end
        page = (await http.get(f"{api.ingest}/events/feed", headers=svc,
                               params={"cursor": cursor, "limit": 5000})).json()
        if not page["items"]:
            break
        cursor = page["next_cursor"]
    events = [event(actor, "file.downloaded") for _ in range(3)]
    ids = [e["id"] for e in events]
    await http.post(f"{api.ingest}/events", headers=api.auth(api.admin_token()),
                    json={"events": events})
    page = (await http.get(f"{api.ingest}/events/feed", headers=svc,
                           params={"cursor": cursor})).json()
    # In commit order; within one batch, in id order (ingest inserts sorted by id).
    assert [e["id"] for e in page["items"] if e["id"] in ids] == sorted(ids)


async def test_request_id_travels_to_identity(api: Api, http: httpx.AsyncClient) -> None:
    """One action can be followed through every service: ingest forwards the caller's
    X-Request-ID to identity, whose audit row for the new directory entry carries it."""
    rid = f"trace-{uuid.uuid4().hex}"
    resp = await http.post(f"{api.ingest}/events", json={"events": [
        event(person_email(), "file.downloaded")]},
        headers={**api.auth(api.admin_token()), "X-Request-ID": rid})
    assert resp.status_code == 202 and resp.headers["x-request-id"] == rid
    audit = (await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                            params={"limit": 50})).json()
    services = {e["service"] for e in audit["items"] if e["request_id"] == rid}
    assert services == {"identity", "ingest"}


async def test_dates_scoring_reads_are_validated(api: Api, http: httpx.AsyncClient) -> None:
    headers = api.auth(api.admin_token())
    actor = person_email()
    bad = {
        "termination date": event(actor, "hr.termination", termination_date="not-a-date"),
        "far future": event(actor, "hr.resignation", resignation_date="9999-12-31"),
        "far past": event(actor, "hr.resignation", resignation_date="0001-01-05"),
    }
    ancient = event(actor, "file.downloaded")
    ancient["occurred_at"] = "0001-01-01T00:00:00+01:00"
    bad["ancient time"] = ancient
    for name, ev in bad.items():
        resp = await http.post(f"{api.ingest}/events", headers=headers, json={"events": [ev]})
        assert resp.status_code == 422, name
