"""Test data made through the public APIs."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Api


def person_email() -> str:
    return f"person-{uuid.uuid4().hex[:10]}@contoso.example"


def event(actor: str, type_: str, *, at: datetime | None = None, **attributes: Any) -> dict:
    return {"id": f"t-{uuid.uuid4().hex}", "type": type_,
            "occurred_at": (at or datetime.now(UTC)).isoformat(), "actor": actor,
            "source": "test", "attributes": attributes}


def departing_story(actor: str, *, usb: int = 12, cloud: int = 12, email: int = 0) -> list[dict]:
    """A resignation two days ago and a burst of exfiltration today."""
    now = datetime.now(UTC)
    events = [event(actor, "hr.resignation", at=now - timedelta(days=2),
                    resignation_date=(now - timedelta(days=2)).date().isoformat())]
    events += [event(actor, "device.file_copied_to_usb", at=now - timedelta(seconds=i),
                     file_name=f"secret-{i}.docx") for i in range(usb)]
    events += [event(actor, "device.file_uploaded_to_cloud", at=now - timedelta(seconds=i),
                     file_name=f"export-{i}.csv") for i in range(cloud)]
    events += [event(actor, "email.sent_external_with_attachment",
                     at=now - timedelta(seconds=i), recipient_domain="gmail.com")
               for i in range(email)]
    return events


def enable_indicators(api: Api, *keys: str) -> None:
    headers = api.auth(api.admin_token())
    for ind in httpx.get(f"{api.scoring}/indicators", headers=headers).json():
        if (not keys or ind["key"] in keys) and not ind["enabled"]:
            httpx.put(f"{api.scoring}/indicators/{ind['key']}", headers=headers,
                      json={"enabled": True}).raise_for_status()


# Policies over everyone made by the running test: tests/conftest.py deactivates them when
# the test ends, so they raise no alerts about the people of later tests on the same stack.
UNSCOPED_POLICIES: list[str] = []


def create_policy(api: Api, **overrides: Any) -> dict:
    enable_indicators(api)
    # No boosters unless asked: tests assert exact points (boosters have their own tests).
    body = {"name": f"Departing {uuid.uuid4().hex[:8]}", "template": "data_theft_departing_users",
            "boosters": [], **overrides}
    resp = httpx.post(f"{api.scoring}/policies", headers=api.auth(api.admin_token()), json=body)
    resp.raise_for_status()
    if (body.get("scope") or {}).get("kind", "all") == "all":
        UNSCOPED_POLICIES.append(resp.json()["id"])
    return resp.json()


def deactivate_policy(api: Api, policy_id: str) -> None:
    resp = httpx.post(f"{api.scoring}/policies/{policy_id}/deactivate",
                      headers=api.auth(api.admin_token()))
    if resp.status_code != 404:  # a test may have deleted it
        resp.raise_for_status()


def ingest(api: Api, events: list[dict], token: str | None = None) -> dict:
    resp = httpx.post(f"{api.ingest}/events", headers=api.auth(token or api.admin_token()),
                      json={"events": events}, timeout=30)
    assert resp.status_code == 202, resp.text
    return resp.json()


def subject_of(api: Api, email: str) -> dict:
    resp = httpx.post(f"{api.identity}/people/resolve",
                      headers=api.auth(api.service_token("ingest")),
                      json={"identifiers": [email]})
    resp.raise_for_status()
    return resp.json()["items"][0]


async def wait_for_alert(api: Api, policy_id: str, subject_id: str, *, within: float = 20,
                         predicate=lambda a: True) -> dict:
    if policy_id in GROWABLE:
        add_to_scope(api, {"id": policy_id}, subject_id)
    deadline = time.monotonic() + within
    headers = api.auth(api.token("Analyst"))
    async with httpx.AsyncClient(timeout=10) as client:
        while time.monotonic() < deadline:
            cursor = None
            while True:
                params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
                page = (await client.get(f"{api.cases}/alerts", headers=headers,
                                         params=params)).json()
                for alert in page["items"]:
                    if alert["policy_id"] == policy_id and alert["subject_id"] == subject_id \
                            and predicate(alert):
                        return alert
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            await asyncio.sleep(0.1)
    raise AssertionError(f"no alert for {subject_id} under {policy_id} within {within} s")


# Policies made by people_policy: wait_for_alert adds the person it waits for.
GROWABLE: set[str] = set()


def people_policy(api: Api, **overrides: Any) -> dict:
    """A policy scoped to people, starting with a placeholder; fresh_alert and wait_for_alert
    add each test person to it. A policy over everyone would meet the daily alert cap on the
    shared stack's earlier people before a test's own get their alert."""
    placeholder = subject_of(api, person_email())["subject_id"]
    made = create_policy(api, scope={"kind": "people", "people": [placeholder]}, **overrides)
    GROWABLE.add(made["id"])
    return made


def add_to_scope(api: Api, policy: dict, subject_id: str) -> None:
    """Put a person into a people-scoped policy's scope (the policy is re-scored)."""
    admin = api.auth(api.admin_token())
    current = httpx.get(f"{api.scoring}/policies/{policy['id']}", headers=admin).json()
    scope = current["scope"]
    if scope["kind"] != "people" or subject_id in scope["people"]:
        return
    resp = httpx.patch(f"{api.scoring}/policies/{policy['id']}", headers=admin,
                       json={"scope": {**scope, "people": [*scope["people"], subject_id]}})
    resp.raise_for_status()


async def fresh_alert(api: Api, policy: dict) -> dict:
    """A new person's departing story, and the alert it raises under `policy` (a policy
    scoped to people gets the person added first)."""
    actor = person_email()
    subject_id = subject_of(api, actor)["subject_id"]
    add_to_scope(api, policy, subject_id)
    ingest(api, departing_story(actor))
    return await wait_for_alert(api, policy["id"], subject_id)


async def db_fetch(api: Api, sql: str, *args: Any) -> list[Any]:
    """Read the database directly (what a test checks that no API shows)."""
    import asyncpg

    from services.kit.db import async_url

    url = async_url(api.stack.database_url).replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def downloads_counted(api: Api, subject_id: str) -> int:
    """How many downloads scoring has counted for a person (its daily aggregates)."""
    rows = await db_fetch(api, "SELECT coalesce(sum(count), 0) AS n FROM scoring.daily_activity "
                          "WHERE subject_id = $1 AND indicator = 'download'", subject_id)
    return rows[0]["n"]


async def single_reads(http: httpx.AsyncClient, token: str, base: str, ids: list[str]
                       ) -> tuple[list[dict], list[str]]:
    """What a single read (`GET {base}/{id}`) answers for each id: (what it found, the ids
    it says 404 for), to compare a batch read with."""
    found, missing = [], []
    for item in ids:
        resp = await http.get(f"{base}/{item}", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code in (200, 404), resp.text
        if resp.status_code == 200:
            found.append(resp.json())
        else:
            missing.append(item)
    return found, missing


async def audit_rows(api: Api, action: str, target: str) -> list[dict]:
    """Every audit row of this action on this target, oldest first (all pages)."""
    rows: list[dict] = []
    params: dict[str, Any] = {"action": action, "target": target, "limit": 500}
    async with httpx.AsyncClient(timeout=10) as client:
        while True:
            resp = await client.get(f"{api.identity}/audit", params=params,
                                    headers=api.auth(api.token("Auditor")))
            resp.raise_for_status()
            page = resp.json()
            rows += page["items"]
            if not page.get("next_cursor"):
                return rows
            params["cursor"] = page["next_cursor"]


async def scores_of(api: Api, subject_id: str) -> list[dict]:
    """A person's current scores under every policy (as an Analyst sees them)."""
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.get(f"{api.scoring}/subjects/{subject_id}/scores",
                                headers=api.auth(api.token("Analyst")))
    resp.raise_for_status()
    return resp.json()


async def wait_for_score(api: Api, policy_id: str, subject_id: str, predicate, *,
                         within: float = 20) -> dict:
    deadline = time.monotonic() + within
    last: dict | None = None
    while time.monotonic() < deadline:
        last = next((s for s in await scores_of(api, subject_id)
                     if s["policy_id"] == policy_id), None)
        if last is not None and predicate(last):
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"score of {subject_id} under {policy_id} never matched: {last}")


def settings_of(api: Api) -> dict:
    resp = httpx.get(f"{api.scoring}/settings", headers=api.auth(api.admin_token()))
    resp.raise_for_status()
    return resp.json()


def put_settings(api: Api, document: dict) -> httpx.Response:
    return httpx.put(f"{api.scoring}/settings", headers=api.auth(api.admin_token()),
                     json=document, timeout=30)


async def sweep_suppressions(api: Api, now: datetime) -> int:
    """The worker's minutely sweep, as the scoring service's database role, with a clock
    that has moved on."""
    from openirm.migrate import service_url
    from services.kit.runtime import Runtime
    from services.scoring.exclusions.service import expire_due
    from services.scoring.settings import ScoringSettings

    stack = api.stack
    rt = Runtime("scoring", ScoringSettings(
        database_url=service_url(stack.database_url, "scoring", stack.config.db_role_password),
        redis_url=stack.redis_url))
    try:
        return await expire_due(rt, now)
    finally:
        await rt.close()
