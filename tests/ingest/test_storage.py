"""Events are partitioned by month: partitions exist ahead of need and on demand, events past
the retention window are refused, and retention drops whole partitions, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import Api
from tests.factories import db_fetch, event, person_email


def _name(moment: datetime) -> str:
    return f"activity_event_y{moment.year:04d}m{moment.month:02d}"


async def test_partitions_cover_the_accepted_window(api: Api, http: httpx.AsyncClient) -> None:
    """Every month an event may fall in (retention cutoff to a year ahead) has its partition
    before any upload needs it, so uploads never wait for DDL."""
    headers = api.auth(api.admin_token())
    names = {p["name"] for p in (await http.get(f"{api.ingest}/storage/partitions",
                                                headers=headers)).json()}
    now = datetime.now(UTC)
    for days in (-360, -180, 0, 180, 366):
        assert _name(now + timedelta(days=days)) in names, days
    later = now + timedelta(days=300)
    resp = await http.post(f"{api.ingest}/events", headers=headers, json={"events": [
        event(person_email(), "hr.job_level_change", at=later,
              effective_date=later.date().isoformat())]})
    assert resp.status_code == 202 and resp.json()["accepted"] == 1
    for role in ("Analyst", "Investigator", "Auditor"):
        denied = await http.get(f"{api.ingest}/storage/partitions",
                                headers=api.auth(api.token(role)))
        assert denied.status_code == 403


async def test_events_outside_the_window_are_refused(api: Api, http: httpx.AsyncClient) -> None:
    actor = person_email()
    old = event(actor, "file.downloaded", at=datetime.now(UTC) - timedelta(days=400))
    future = event(actor, "file.downloaded", at=datetime.now(UTC) + timedelta(days=400))
    resp = await http.post(f"{api.ingest}/events", headers=api.auth(api.admin_token()),
                           json={"events": [event(actor, "file.downloaded"), old, future]})
    assert resp.status_code == 422
    params = resp.json()["invalid_params"]
    assert [(p["index"], p["field"]) for p in params] == [(1, "occurred_at"), (2, "occurred_at")]
    assert "retention" in params[0]["reason"]


async def test_retention_drops_expired_partitions_audited(api: Api, http: httpx.AsyncClient
                                                          ) -> None:
    # An old month as a deployment that has run for years would have it: made by ingest's
    # own database role (which must own a partition to drop it).
    import asyncpg

    from openirm.migrate import service_url
    from services.kit.db import async_url

    url = service_url(api.stack.database_url, "ingest", api.stack.config.db_role_password)
    conn = await asyncpg.connect(async_url(url).replace("+asyncpg", "", 1))
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS ingest.activity_event_y2019m03 "
                           "PARTITION OF ingest.activity_event "
                           "FOR VALUES FROM ('2019-03-01 00:00+00') TO ('2019-04-01 00:00+00')")
    finally:
        await conn.close()
    await db_fetch(api, """
        INSERT INTO ingest.activity_event (id, subject_id, alias, type, category, occurred_at,
                                           source, attributes)
        VALUES ('old-1', gen_random_uuid(), 'AnonymousUser-OLD001', 'file.downloaded',
                'collection', '2019-03-15 10:00+00', 'test', '{}')""")
    await db_fetch(api, "INSERT INTO ingest.event_key VALUES ('old-1', '2019-03-15 10:00+00') "
                   "ON CONFLICT DO NOTHING")
    denied = await http.post(f"{api.ingest}/storage/retention",
                             headers=api.auth(api.token("Analyst")))
    assert denied.status_code == 403
    resp = await http.post(f"{api.ingest}/storage/retention",
                           headers=api.auth(api.admin_token()))
    assert resp.status_code == 200
    result = resp.json()
    assert "activity_event_y2019m03" in result["dropped_partitions"]
    assert result["dropped_events"] >= 1 and result["dropped_keys"] >= 1
    gone = await db_fetch(api, "SELECT to_regclass('ingest.activity_event_y2019m03') AS t")
    assert gone[0]["t"] is None
    audit = (await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                            params={"action": "events.retention"})).json()
    assert "activity_event_y2019m03" in audit["items"][0]["detail"]["partitions"]
