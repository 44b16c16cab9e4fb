"""What-if replays through the real scoring service and worker: a draft policy over stored
history returns the alerts it would have raised, with explanations, and creates none."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import Api
from tests.factories import (
    audit_rows,
    create_policy,
    enable_indicators,
    event,
    ingest,
    person_email,
    scores_of,
    subject_of,
    wait_for_score,
)


async def _finished(http: httpx.AsyncClient, api: Api, replay_id: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        replay = (await http.get(f"{api.scoring}/replays/{replay_id}",
                                 headers=api.auth(api.admin_token()))).json()
        if replay["status"] not in ("queued", "running"):
            return replay
        await asyncio.sleep(0.2)
    raise AssertionError("the replay did not finish")


async def test_a_draft_policy_replayed_over_history(api: Api, http: httpx.AsyncClient) -> None:
    enable_indicators(api)
    actor = person_email()
    now = datetime.now(UTC)
    past = (now - timedelta(days=20)).replace(hour=9, minute=0)
    ingest(api, [event(actor, "hr.resignation", at=past,
                       resignation_date=past.date().isoformat())]
           + [event(actor, "device.file_copied_to_usb", at=past + timedelta(minutes=i),
                    file_name=f"{i}.docx") for i in range(12)])
    subject = subject_of(api, actor)["subject_id"]
    # Wait until scoring has the signals (a live policy sees them: its score exists).
    live = create_policy(api, alert_threshold=100)
    await wait_for_score(api, live["id"], subject, lambda s: s["score"] == 20)
    admin = api.auth(api.admin_token())
    draft = {"name": "Tighter USB", "template": "data_theft_departing_users",
             "indicators": [{"key": "usb_copy", "thresholds": [1, 5, 10]}],
             "boosters": [], "alert_threshold": 30}
    resp = await http.post(f"{api.scoring}/replays", headers=admin, json={
        "policy": draft, "start": (now - timedelta(days=30)).date().isoformat(),
        "end": now.date().isoformat()})
    assert resp.status_code == 202, resp.text
    replay = await _finished(http, api, resp.json()["id"])
    assert replay["status"] == "succeeded" and replay["progress"] == 1.0
    result = replay["result"]
    mine = [a for a in result["alerts"] if a["subject_id"] == subject]
    assert len(mine) == 1 and mine[0]["score"] == 35 and mine[0]["severity"] == "low"
    rows = mine[0]["explanation"]["contributions"]
    assert [(r["indicator"], r["count"], r["level"]) for r in rows] == [
        ("usb_copy", 12, "high")]
    assert result["events_read"] >= 13 and result["alert_count"] == len(result["alerts"])
    assert sum(result["by_severity"].values()) == result["alert_count"]
    # It created nothing: no policy, so no score under it.
    names = {s["policy_name"] for s in await scores_of(api, subject)}
    assert live["name"] in names and "Tighter USB" not in names
    assert await audit_rows(api, "replay.create", f"replay:{replay['id']}")
    # A range that ends before the resignation finds nothing for this person.
    early = await http.post(f"{api.scoring}/replays", headers=admin, json={
        "policy_id": live["id"], "start": (now - timedelta(days=60)).date().isoformat(),
        "end": (now - timedelta(days=40)).date().isoformat()})
    done = await _finished(http, api, early.json()["id"])
    assert not [a for a in done["result"]["alerts"] if a["subject_id"] == subject]


async def test_replays_are_validated_and_can_be_cancelled(api: Api,
                                                          http: httpx.AsyncClient) -> None:
    admin = api.auth(api.admin_token())
    today = datetime.now(UTC).date()
    bad = [
        {"start": today.isoformat(), "end": today.isoformat()},  # no policy
        {"policy_id": str(uuid.uuid4()), "policy": {"template": "data_leaks"},
         "start": today.isoformat(), "end": today.isoformat()},
        {"policy": {"template": "data_leaks"}, "start": today.isoformat(),
         "end": (today - timedelta(days=1)).isoformat()},
        {"policy": {"template": "data_leaks"}, "start": "2020-01-01", "end": "2022-01-01"},
    ]
    for body in bad:
        assert (await http.post(f"{api.scoring}/replays", headers=admin,
                                json=body)).status_code == 422, body
    missing = await http.post(f"{api.scoring}/replays", headers=admin, json={
        "policy_id": str(uuid.uuid4()), "start": today.isoformat(), "end": today.isoformat()})
    assert missing.status_code == 404
    policy = create_policy(api)
    created = (await http.post(f"{api.scoring}/replays", headers=admin, json={
        "policy_id": policy["id"], "start": (today - timedelta(days=90)).isoformat(),
        "end": today.isoformat()})).json()
    cancel = await http.post(f"{api.scoring}/replays/{created['id']}/cancel", headers=admin)
    if cancel.status_code == 409:  # it had already finished: nothing left to cancel
        assert cancel.json()["code"] == "replay_finished"
        return
    assert cancel.status_code == 200
    finished = await _finished(http, api, created["id"])
    assert finished["status"] == "cancelled" and finished["result"] is None
    again = await http.post(f"{api.scoring}/replays/{created['id']}/cancel", headers=admin)
    assert again.status_code == 409
    listed = (await http.get(f"{api.scoring}/replays", headers=admin)).json()
    assert created["id"] in {r["id"] for r in listed}


async def test_retention_forgets_old_signals_and_counts(api: Api) -> None:
    """The hourly maintenance's retention step, against the stack's database."""
    from types import SimpleNamespace

    from services.kit.db import Database
    from services.scoring.pipeline.service import prune
    from services.scoring.settings import ScoringSettings
    from tests.factories import db_fetch

    subject = uuid.uuid4()
    await db_fetch(api, """
        INSERT INTO scoring.signal (subject_id, occurred_at, event_id, type, attrs) VALUES
          ($1, now() - interval '400 days', $2, 'file.downloaded', '{}'),
          ($1, now() - interval '10 days', $3, 'file.downloaded', '{}')""",
                   subject, f"old-{subject}", f"new-{subject}")
    await db_fetch(api, """
        INSERT INTO scoring.daily_activity (subject_id, indicator, day, flags, count) VALUES
          ($1, 'download', current_date - 400, 0, 1), ($1, 'download', current_date - 10, 0, 1)
        """, subject)
    db = Database(api.stack.database_url)
    try:
        rt = SimpleNamespace(settings=ScoringSettings(event_retention_days=365), db=db)
        signals, counts = await prune(rt)  # type: ignore[arg-type]
    finally:
        await db.dispose()
    assert signals >= 1 and counts >= 1
    left = await db_fetch(api, "SELECT event_id FROM scoring.signal WHERE subject_id = $1",
                          subject)
    assert [r["event_id"] for r in left] == [f"new-{subject}"]
    days = await db_fetch(api, "SELECT count(*) AS n FROM scoring.daily_activity "
                          "WHERE subject_id = $1", subject)
    assert days[0]["n"] == 1


async def test_a_cancel_racing_the_end_of_a_run_is_a_conflict(api: Api,
                                                              http: httpx.AsyncClient) -> None:
    """A run that finishes while a cancel is being answered: the cancel waits for the run's
    last transaction and answers 409 with the state it ended in, never a 200 for a replay
    that has in fact succeeded."""
    import asyncpg

    from services.kit.db import async_url
    from tests.factories import db_fetch

    admin = api.auth(api.admin_token())
    today = datetime.now(UTC).date().isoformat()
    created = (await http.post(f"{api.scoring}/replays", headers=admin, json={
        "policy": {"template": "data_theft_departing_users",
                   "scope": {"kind": "people", "people": [str(uuid.uuid4())]}},
        "start": today, "end": today})).json()
    replay_id = uuid.UUID(created["id"])
    assert (await _finished(http, api, created["id"]))["status"] == "succeeded"
    # Back to running, then a run's last transaction holding the row while it succeeds.
    await db_fetch(api, "UPDATE scoring.replay SET status = 'running', finished_at = NULL "
                   "WHERE id = $1", replay_id)
    url = async_url(api.stack.database_url).replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(url)
    try:
        run_end = conn.transaction()
        await run_end.start()
        await conn.execute("SELECT 1 FROM scoring.replay WHERE id = $1 FOR UPDATE", replay_id)
        await conn.execute("UPDATE scoring.replay SET status = 'succeeded', finished_at = now() "
                           "WHERE id = $1", replay_id)
        cancel = asyncio.create_task(
            http.post(f"{api.scoring}/replays/{created['id']}/cancel", headers=admin))
        await asyncio.sleep(0.5)
        await run_end.commit()
        resp = await cancel
    finally:
        await conn.close()
    assert resp.status_code == 409, resp.text
    assert resp.json()["code"] == "replay_finished"
    assert resp.json()["current_status"] == "succeeded"
    final = (await http.get(f"{api.scoring}/replays/{created['id']}", headers=admin)).json()
    assert final["status"] == "succeeded"
