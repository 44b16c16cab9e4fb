"""Identity-key rotation: the identity service restarted with a new key (the old one as a
previous key) still reads and finds everything; the re-encryption pass moves every person to
the new key, after which the new key alone is enough."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid

import httpx
import pytest

from services.identity.people.crypto import IdentityVault, alias_for, key_id
from tests.conftest import Api
from tests.factories import audit_rows, db_fetch, person_email, subject_of


def _restart_identity(api: Api, monkeypatch: pytest.MonkeyPatch, key: str,
                      previous: list[str]) -> None:
    """As an operator rotates: a new OPENIRM_IDENTITY_KEY, the old one in
    OPENIRM_IDENTITY_PREVIOUS_KEYS, and a restart."""
    api.stack.secrets["identity_key"] = key
    monkeypatch.setenv("OPENIRM_IDENTITY_PREVIOUS_KEYS", json.dumps(previous))
    api.stack.kill("identity")
    api.stack.respawn("identity")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api.identity}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("identity did not come back")


async def _import(api: Api, http: httpx.AsyncClient, rows: list[dict]) -> dict:
    resp = await http.post(f"{api.identity}/people/import", json=rows,
                           headers=api.auth(api.admin_token()))
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _rows(api: Api, subjects: list[str]) -> list[dict]:
    rows = await db_fetch(api, "SELECT p.subject_id, p.lookup_hash, p.identity_ct, "
                          "p.department, k.key_id, k.wrapped_key FROM identity.person p "
                          "LEFT JOIN identity.person_key k USING (subject_id) "
                          "WHERE subject_id = ANY($1::uuid[]) ORDER BY subject_id",
                          [uuid.UUID(s) for s in subjects])
    return [dict(r) for r in rows]


async def test_rotation_then_rekey_moves_everyone_to_the_new_key(
        api: Api, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    old = api.stack.secrets["identity_key"]
    old_vault = IdentityVault(old)
    # A person stored before per-person keys (migration 0005): sealed with the key itself.
    legacy_email, legacy_id = person_email(), uuid.uuid4()
    await db_fetch(api, "INSERT INTO identity.person (subject_id, lookup_hash, alias, "
                   "identity_ct) VALUES ($1, $2, $3, $4)", legacy_id,
                   old_vault.lookup_hash(legacy_email), alias_for(legacy_id, 12),
                   old_vault.seal_legacy({"email": legacy_email, "department": "Archive"}))
    people = [{"email": person_email(), "department": f"Dept {i}", "display_name": f"P {i}"}
              for i in range(3)]
    assert (await _import(api, http, people))["created"] == 3
    emails = [p["email"] for p in people] + [legacy_email]
    subjects = [subject_of(api, e)["subject_id"] for e in emails]
    assert subjects[-1] == str(legacy_id)

    new = "rotated-" + secrets.token_urlsafe(24)
    _restart_identity(api, monkeypatch, new, [old])
    # Sealed with the old key: still found (same subjects) and still opened (unchanged).
    assert [subject_of(api, e)["subject_id"] for e in emails] == subjects
    assert (await _import(api, http, people))["unchanged"] == 3
    admin = api.auth(api.admin_token())
    status = (await http.get(f"{api.identity}/people/rekey", headers=admin)).json()
    assert status["key_id"] == key_id(new) and status["remaining"] >= 4

    started = await http.post(f"{api.identity}/people/rekey", headers=admin)
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = (await http.get(f"{api.identity}/people/rekey", headers=admin)).json()
        if status["run"] and status["run"]["status"] != "running":
            break
        await asyncio.sleep(0.3)
    assert status["run"]["status"] == "succeeded", status
    assert (status["remaining"], status["unreadable"]) == (0, 0)
    assert status["run"]["rewritten"] >= 4 and status["on_current_key"] == status["people"]

    # Every row now opens with the new key alone, and is indexed under it.
    new_vault = IdentityVault(new)
    by_id = {str(r["subject_id"]): r for r in await _rows(api, subjects)}
    for email, subject in zip(emails, subjects, strict=True):
        row = by_id[subject]
        assert row["key_id"] == key_id(new)
        assert row["lookup_hash"] == new_vault.lookup_hash(email)
        assert new_vault.open(row["identity_ct"], row["subject_id"], row["key_id"],
                              row["wrapped_key"])["email"] == email
    # The legacy person got a key of their own and their department in the clear.
    assert by_id[str(legacy_id)]["department"] == "Archive"

    _restart_identity(api, monkeypatch, new, [])
    assert [subject_of(api, e)["subject_id"] for e in emails] == subjects
    assert (await _import(api, http, people))["unchanged"] == 3
    target = f"rekey_run:{status['run']['id']}"
    assert (await audit_rows(api, "people.rekey_start", target))[0]["actor"].startswith("user:")
    [done] = [r for r in await audit_rows(api, "people.rekey", target)
              if r["action"] == "people.rekey"]
    assert done["detail"]["key_id"] == key_id(new) and done["detail"]["rewritten"] >= 4


async def test_rekey_access(api: Api, http: httpx.AsyncClient) -> None:
    url = f"{api.identity}/people/rekey"
    assert (await http.get(url)).status_code == 401
    assert (await http.post(url)).status_code == 401
    for role in ("Analyst", "Investigator", "Auditor"):
        token = api.auth(api.token(role))
        assert (await http.get(url, headers=token)).status_code == 403
        assert (await http.post(url, headers=token)).status_code == 403
