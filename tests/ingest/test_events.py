"""Ingesting canonical activity events: pseudonymised, idempotent, refused whole when bad."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from tests.conftest import Api
from tests.factories import db_fetch, event, person_email


async def _stored(api: Api, ids: list[str]) -> list:
    return await db_fetch(api, "SELECT * FROM ingest.activity_event WHERE id = ANY($1::text[])",
                          ids)


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


async def test_an_event_id_that_names_a_route_is_refused(api: Api,
                                                          http: httpx.AsyncClient) -> None:
    """`/activity/summary` and `/people/{id}/activity/chart` would hide such an event."""
    actor = person_email()
    for reserved in ("summary", "Chart"):
        resp = await http.post(f"{api.ingest}/events", headers=api.auth(api.admin_token()),
                               json={"events": [{**event(actor, "file.downloaded"),
                                                 "id": reserved}]})
        assert resp.status_code == 422, resp.text
        problem = resp.json()["invalid_params"][0]
        assert problem["field"] == "events.id" and "reserved" in problem["reason"]
    fine = event(actor, "file.downloaded") | {"id": "summary-2026"}
    resp = await http.post(f"{api.ingest}/events", headers=api.auth(api.admin_token()),
                           json={"events": [fine]})
    assert resp.status_code == 202, resp.text


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
    # Rows appear once every older transaction has finished (a scoring pass or a rebuild of
    # an earlier test may still be open), so the new ones may take a moment.
    deadline = time.monotonic() + 15
    while True:
        page = (await http.get(f"{api.ingest}/events/feed", headers=svc,
                               params={"cursor": cursor})).json()
        got = [e["id"] for e in page["items"] if e["id"] in ids]
        if got or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    # In commit order; within one batch, in id order (ingest inserts sorted by id).
    assert got == sorted(ids)


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


async def _chunked(body: bytes, size: int):
    for i in range(0, len(body), size):
        yield body[i:i + size]


async def test_ndjson_stream_is_parsed_as_it_arrives(api: Api, http: httpx.AsyncClient) -> None:
    import json

    actor = person_email()
    events = [event(actor, "file.downloaded", file_name=f"{i}.pdf") for i in range(12_000)]
    body = b"".join(json.dumps(e).encode() + b"\n" for e in events)
    headers = {**api.auth(api.admin_token()), "content-type": "application/x-ndjson"}
    resp = await http.post(f"{api.ingest}/events", headers=headers,
                           content=_chunked(body, 65_536))
    assert resp.status_code == 202, resp.text
    assert (resp.json()["accepted"], resp.json()["duplicates"]) == (12_000, 0)
    again = await http.post(f"{api.ingest}/events", headers=headers,
                            content=_chunked(body[:len(body) // 2], 4096))
    # Half the body: the last line is cut, so it is an invalid record and nothing is stored.
    assert again.status_code in (202, 422)

    bad = [event(actor, "file.downloaded"), {"id": "x"}, event(actor, "file.downloaded")]
    lines = b"\n\n".join(json.dumps(e).encode() for e in bad) + b"\n{oops\n"
    refused = await http.post(f"{api.ingest}/events", headers=headers, content=lines)
    assert refused.status_code == 422
    assert [(p["index"], p["field"]) for p in refused.json()["invalid_params"]] == [
        (1, "type"), (3, "(record)")]
    assert await _stored(api, [bad[0]["id"]]) == []
    skipped = await http.post(f"{api.ingest}/events", headers=headers, content=lines,
                              params={"on_error": "skip_invalid"})
    assert skipped.status_code == 202
    assert (skipped.json()["accepted"], skipped.json()["rejected"]) == (2, 2)


async def test_limits_and_media_types(api: Api, http: httpx.AsyncClient) -> None:
    headers = api.auth(api.admin_token())
    actor = person_email()
    url = f"{api.ingest}/events"
    text = await http.post(url, headers={**headers, "content-type": "text/plain"},
                           content=b"hello")
    assert text.status_code == 415 and text.json()["code"] == "unsupported_media_type"
    # A declared size over the streamed-upload limit is refused before any byte is read.
    host, port = httpx.URL(url).host, httpx.URL(url).port
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"POST /events HTTP/1.1\r\nHost: {host}\r\n"
                 f"Authorization: {headers['Authorization']}\r\n"
                 "Content-Type: application/x-ndjson\r\n"
                 f"Content-Length: {3 * 1024**3}\r\n\r\n{{}}".encode())
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    assert b" 413 " in status_line
    too_many = await http.post(url, headers=headers, json={"events": [
        event(actor, "file.downloaded") for _ in range(5001)]})
    assert too_many.status_code == 422 and "NDJSON" in too_many.json()["detail"]
    big = await http.post(url, headers=headers, json={"events": [
        event(actor, "file.downloaded", note="x" * 20_000)]})
    assert big.status_code == 422
    assert big.json()["invalid_params"][0]["field"] == "events.attributes"
    nul = await http.post(url, headers={**headers, "content-type": "application/x-ndjson"},
                          content=_chunked(b'{"id": "a\\u0' + b'000"}\n', 11))
    assert nul.status_code == 422
    mixed = await http.post(url, headers=headers, params={"on_error": "skip_invalid"},
                            json={"events": [event(actor, "file.downloaded"),
                                             event(actor, "dlp.rule_match", severity="dire")]})
    assert mixed.status_code == 202
    assert mixed.json()["rejected"] == 1
    assert mixed.json()["errors"][0]["field"] == "events.attributes"
    types = (await http.get(f"{api.ingest}/events/types", headers=headers)).json()
    categories = {t["category"] for t in types}
    assert categories == {"access", "collection", "deletion", "exfiltration", "infiltration",
                          "obfuscation", "security", "hr"}
    names = {t["type"] for t in types}
    assert {"file.label_downgraded", "email.forwarding_rule_created", "chat.external_message",
            "device.remote_desktop_copy", "browsing.risky_site_visited",
            "ai.prompt_with_sensitive_info", "security.antivirus_disabled",
            "physical.badge_failed", "endpoint_security.alert",
            "hr.performance_improvement_plan"} <= names


async def test_refused_upload_leaves_nothing_even_past_the_first_chunk(
        api: Api, http: httpx.AsyncClient) -> None:
    """Uploads are stored in chunks inside one transaction: a bad record after the first
    chunk still refuses all of it, and the good events can be sent again afterwards."""
    import json

    actor = person_email()
    events = [event(actor, "file.downloaded") for _ in range(2500)]
    bad = {**events[2400], "attributes": {"n": 1}, "type": "nope"}
    headers = api.auth(api.admin_token())
    whole = await http.post(f"{api.ingest}/events", headers=headers,
                            json={"events": [*events[:2400], bad]})
    assert whole.status_code == 422
    lines = b"\n".join(json.dumps(e).encode() for e in [*events[:2400], bad])
    streamed = await http.post(f"{api.ingest}/events", content=lines, headers={
        **headers, "content-type": "application/x-ndjson"})
    assert streamed.status_code == 422
    nan = await http.post(f"{api.ingest}/events", headers={**headers,
                          "content-type": "application/json"},
                          content=json.dumps({"events": events[:2400]})[:-2].encode()
                          + b', {"id": "nan-1", "type": "file.downloaded", "occurred_at": '
                          + json.dumps(events[0]["occurred_at"]).encode()
                          + b', "actor": "a@b.example", "attributes": {"n": NaN}}]}')
    assert nan.status_code == 422
    assert nan.json()["invalid_params"][0]["field"] == "events.attributes"
    assert await _stored(api, [e["id"] for e in events]) == []
    keys = await db_fetch(api, "SELECT count(*) AS n FROM ingest.event_key "
                          "WHERE id = ANY($1::text[])", [e["id"] for e in events])
    assert keys[0]["n"] == 0
    again = await http.post(f"{api.ingest}/events", headers=headers, json={"events": events})
    assert again.status_code == 202 and again.json()["accepted"] == 2500


async def test_content_type_games(api: Api, http: httpx.AsyncClient) -> None:
    headers = api.auth(api.admin_token())
    two = await http.post(f"{api.ingest}/events", content=b"{}", headers=[
        *headers.items(), ("content-type", "application/json"), ("content-type", "text/csv")])
    assert two.status_code == 400
    # Only the upload endpoints stream: elsewhere text/csv gets the ordinary body limit.
    for url in (f"{api.identity}/auth/token", f"{api.ingest}/events/types"):
        host, port = httpx.URL(url).host, httpx.URL(url).port
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"POST {httpx.URL(url).path} HTTP/1.1\r\nHost: {host}\r\n"
                     "Content-Type: text/csv\r\n"
                     f"Content-Length: {64 * 1024**2}\r\n\r\nx".encode())
        await writer.drain()
        status_line = await reader.readline()
        writer.close()
        assert b" 413 " in status_line, (url, status_line)
