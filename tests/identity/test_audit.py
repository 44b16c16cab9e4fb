"""The audit log: append-only in the database, hash-chained, verifiable by Auditors only."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from services.kit.db import async_url
from tests.conftest import Api


async def _connect(api: Api) -> asyncpg.Connection:
    url = async_url(api.stack.database_url).replace("postgresql+asyncpg://", "postgresql://")
    return await asyncpg.connect(url)


async def test_audit_rows_cannot_be_changed(api: Api) -> None:
    api.token("Auditor")  # makes sure there are rows
    conn = await _connect(api)
    try:
        for sql in ("UPDATE audit.audit_log SET actor = 'mallory'",
                    "DELETE FROM audit.audit_log",
                    "TRUNCATE audit.audit_log"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(sql)
    finally:
        await conn.close()


async def test_chain_verifies_and_reports_a_tampered_row(api: Api, http: httpx.AsyncClient
                                                        ) -> None:
    auditor = api.auth(api.token("Auditor"))
    ok = (await http.get(f"{api.identity}/audit/verify", headers=auditor)).json()
    assert ok["valid"] is True and ok["rows_checked"] > 0
    conn = await _connect(api)
    seq = await conn.fetchval("SELECT max(seq) FROM audit.audit_log")
    actor = await conn.fetchval("SELECT actor FROM audit.audit_log WHERE seq = $1", seq)

    async def set_actor(value: str) -> None:
        # Only a database superuser who switches the trigger off can do this.
        async with conn.transaction():
            await conn.execute("ALTER TABLE audit.audit_log DISABLE TRIGGER audit_log_no_update")
            await conn.execute("UPDATE audit.audit_log SET actor = $1 WHERE seq = $2", value, seq)
            await conn.execute("ALTER TABLE audit.audit_log ENABLE TRIGGER audit_log_no_update")

    try:
        await set_actor("mallory")
        broken = (await http.get(f"{api.identity}/audit/verify", headers=auditor)).json()
        assert broken == {"valid": False, "rows_checked": seq - 1, "first_broken_seq": seq,
                          "reason": "row content does not match its hash"}
    finally:
        await set_actor(actor)  # the rest of the suite expects a valid chain
        await conn.close()
    again = (await http.get(f"{api.identity}/audit/verify", headers=auditor)).json()
    assert again["valid"] is True


async def test_audit_is_for_auditors_only_and_denials_are_recorded(
        api: Api, http: httpx.AsyncClient) -> None:
    for role in ("Admin", "Analyst", "Investigator"):
        token = api.admin_token() if role == "Admin" else api.token(role)
        assert (await http.get(f"{api.identity}/audit",
                               headers=api.auth(token))).status_code == 403
    page = (await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                           params={"action": "audit.read", "limit": 5})).json()
    assert page["items"] and all(e["outcome"] == "denied" for e in page["items"])


async def test_audit_query_paginates_newest_first(api: Api, http: httpx.AsyncClient) -> None:
    auditor = api.auth(api.token("Auditor"))
    first = (await http.get(f"{api.identity}/audit", headers=auditor,
                            params={"limit": 2})).json()
    second = (await http.get(f"{api.identity}/audit", headers=auditor,
                             params={"limit": 2, "cursor": first["next_cursor"]})).json()
    seqs = [e["seq"] for e in first["items"] + second["items"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 4
    bad = await http.get(f"{api.identity}/audit", headers=auditor, params={"cursor": "%%%"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"
