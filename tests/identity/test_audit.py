"""The audit log: append-only in the database, hash-chained; Auditors (only) query it, export
it as NDJSON or CSV streams and verify its chain, from the start or from a recorded anchor."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest

from openirm.migrate import service_url
from services.kit.db import async_url
from services.kit.pagination import encode_cursor
from tests.conftest import Api

CHAIN_LOCK = 4242424242  # the key the chain trigger serialises writers on


def _plain(url: str) -> str:
    return async_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


async def _connect(api: Api) -> asyncpg.Connection:
    """As the database superuser (what only an operator with server access has)."""
    return await asyncpg.connect(_plain(api.stack.database_url))


@asynccontextmanager
async def _as_service(api: Api, service: str = "cases") -> AsyncIterator[asyncpg.Connection]:
    """As a service's own database role: how every service writes its audit rows."""
    conn = await asyncpg.connect(_plain(service_url(api.stack.database_url, service,
                                                    api.stack.config.db_role_password)))
    try:
        yield conn
    finally:
        await conn.close()


async def _record(conn: asyncpg.Connection, rows: list[tuple[str, str, str | None, str]]
                  ) -> None:
    """(actor, action, target, outcome) rows, chained by the database as usual."""
    await conn.executemany(
        "INSERT INTO audit.audit_log (service, actor, action, target, outcome, detail) "
        "VALUES ('cases', $1, $2, $3, $4, $5)",
        [(a, act, t, o, json.dumps({"n": i, "note": "ü, \"quoted\"\nnew line"}))
         for i, (a, act, t, o) in enumerate(rows)])


async def _all_pages(http: httpx.AsyncClient, api: Api, **params: Any) -> list[dict]:
    items, cursor = [], None
    while True:
        page = await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                              params=params | ({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


@pytest.fixture(scope="module")
def story(api: Api) -> dict[str, Any]:
    """Nine rows under one unique action prefix, written in two batches with a time between."""
    tag = f"tst{uuid.uuid4().hex[:8]}"
    alice, bob = f"user:{tag}-alice", f"user:{tag}-bob"
    first = [(alice, f"{tag}.alpha", "case:1", "success"),
             (alice, f"{tag}.alpha", "case:2", "success"),
             (bob, f"{tag}.beta", "case:1", "denied"),
             (bob, f"{tag}.alpha", None, "success")]
    second = [(alice, f"{tag}.beta", "case:2", "success"),
              (bob, f"{tag}.beta", "case:2", "denied"),
              (alice, f"{tag}.alpha", "case:1", "success"),
              (bob, f"{tag}.alphabet", "case:3", "success"),
              (alice, f"{tag}_alpha", "case:3", "success")]

    async def write() -> datetime:
        async with _as_service(api) as conn:
            await _record(conn, first)
            between = await conn.fetchval("SELECT clock_timestamp()")
            await _record(conn, second)
        return between

    between = asyncio.run(write())
    return {"tag": tag, "alice": alice, "bob": bob, "between": between.isoformat(),
            "rows": first + second}


def _pick(story: dict, keep) -> list[tuple]:
    """The story's rows a filter should select, newest first; `keep(row, index)`."""
    return [r for i, r in reversed(list(enumerate(story["rows"]))) if keep(r, i)]


def _shape(items: list[dict]) -> list[tuple]:
    return [(e["actor"], e["action"], e["target"], e["outcome"]) for e in items]


# -- query ---------------------------------------------------------------------------------

async def test_each_filter_selects_what_it_says(api: Api, http: httpx.AsyncClient,
                                               story: dict) -> None:
    tag, alice = story["tag"], story["alice"]
    prefix = f"{tag}."
    cases = [
        ({"action": prefix}, lambda r, i: r[1].startswith(prefix)),
        ({"action": f"{tag}.alpha"}, lambda r, i: r[1].startswith(f"{tag}.alpha")),
        ({"action": f"{tag}_"}, lambda r, i: r[1].startswith(f"{tag}_")),  # _: no wildcard
        ({"action": prefix, "actor": alice}, lambda r, i: r[1].startswith(prefix)
         and r[0] == alice),
        ({"action": prefix, "target": "case:1"}, lambda r, i: r[1].startswith(prefix)
         and r[2] == "case:1"),
        ({"actor": story["bob"], "outcome": "denied"}, lambda r, i: r[0] == story["bob"]
         and r[3] == "denied"),
        ({"action": tag, "until": story["between"]}, lambda r, i: i < 4),
        ({"action": tag, "since": story["between"]}, lambda r, i: i >= 4),
        ({"action": tag, "since": story["between"], "actor": alice},
         lambda r, i: i >= 4 and r[0] == alice),
    ]
    for params, keep in cases:
        got = await _all_pages(http, api, **params)
        assert _shape(got) == _pick(story, keep), params
        seqs = [e["seq"] for e in got]
        assert seqs == sorted(seqs, reverse=True), params
    assert await _all_pages(http, api, action=f"{tag}.%") == []  # % is no wildcard either


async def test_cursor_pagination_walks_a_filtered_log_once(api: Api, http: httpx.AsyncClient,
                                                          story: dict) -> None:
    whole = await _all_pages(http, api, action=story["tag"], limit=500)
    assert len(whole) == 9
    for size in (1, 2, 4):
        paged = await _all_pages(http, api, action=story["tag"], limit=size)
        assert paged == whole, size
    # A cursor handed out under a filter means "older than this row", whatever else is asked.
    auditor = api.auth(api.token("Auditor"))
    first = (await http.get(f"{api.identity}/audit", headers=auditor,
                            params={"action": story["tag"], "limit": 3})).json()
    rest = (await http.get(f"{api.identity}/audit", headers=auditor,
                           params={"action": story["tag"], "limit": 500,
                                   "cursor": first["next_cursor"]})).json()
    assert first["items"] + rest["items"] == whole and rest["next_cursor"] is None


async def test_entries_carry_their_chain_links(api: Api, http: httpx.AsyncClient,
                                              story: dict) -> None:
    whole = await _all_pages(http, api, action=story["tag"])
    conn = await _connect(api)
    try:
        for entry in whole:
            previous = await conn.fetchval("SELECT hash FROM audit.audit_log WHERE seq = $1",
                                           entry["seq"] - 1)
            assert entry["prev_hash"] == previous and len(entry["hash"]) == 64
    finally:
        await conn.close()


@pytest.mark.parametrize(("params", "field", "code"), [
    ({"cursor": "%%%"}, None, "invalid_cursor"),
    ({"cursor": encode_cursor(["x"])}, "cursor", "invalid_audit_filter"),
    ({"cursor": encode_cursor([True])}, "cursor", "invalid_audit_filter"),
    ({"since": "2026-11-01T10:00:00"}, "since", "invalid_input"),  # no time zone
    ({"until": "yesterday"}, "until", "invalid_input"),
    ({"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "until",
     "invalid_audit_filter"),
    ({"limit": 0}, "limit", "invalid_input"),
    ({"actor": "x" * 201}, "actor", "invalid_input"),
])
async def test_bad_filters_are_refused_with_the_field(api: Api, http: httpx.AsyncClient,
                                                      params: dict, field: str | None,
                                                      code: str) -> None:
    for path in ("/audit", "/audit/export"):
        if path == "/audit/export" and {"cursor", "limit"} & set(params):
            continue  # the export takes no cursor and no page size
        resp = await http.get(f"{api.identity}{path}", headers=api.auth(api.token("Auditor")),
                              params=params)
        assert resp.status_code == 422, (path, resp.text)
        body = resp.json()
        assert body["code"] == code, path
        if field:
            assert [p["field"] for p in body["invalid_params"]] == [field], path


async def test_audit_is_for_auditors_only_and_denials_are_recorded(
        api: Api, http: httpx.AsyncClient) -> None:
    for role in ("Admin", "Analyst", "Investigator"):
        token = api.admin_token() if role == "Admin" else api.token(role)
        for path in ("/audit", "/audit/verify", "/audit/export"):
            resp = await http.get(f"{api.identity}{path}", headers=api.auth(token))
            assert resp.status_code == 403, (role, path)
    for action in ("audit.read", "audit.export"):
        page = (await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                               params={"action": action, "outcome": "denied",
                                       "limit": 3})).json()
        assert len(page["items"]) == 3 and all(e["outcome"] == "denied" for e in page["items"])
    export_denial = page["items"][0]
    assert export_denial["action"] == "audit.export"
    assert export_denial["target"] == "/audit/export"


# -- export --------------------------------------------------------------------------------

def _from_csv(text: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    out = []
    for row in rows:
        entry: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items()}
        entry["seq"] = int(row["seq"])
        entry["detail"] = json.loads(row["detail"])
        out.append(entry)
    return out


async def test_export_ndjson_and_csv_hold_what_the_query_shows(
        api: Api, http: httpx.AsyncClient, story: dict) -> None:
    auditor = api.auth(api.token("Auditor"))
    filters = {"action": story["tag"], "actor": story["alice"]}
    shown = list(reversed(await _all_pages(http, api, **filters)))  # oldest first
    assert len(shown) == 5

    ndjson = await http.get(f"{api.identity}/audit/export", headers=auditor,
                            params=filters | {"format": "ndjson"})
    assert ndjson.status_code == 200
    assert ndjson.headers["content-type"] == "application/x-ndjson"
    assert [json.loads(line) for line in ndjson.text.splitlines()] == shown

    as_csv = await http.get(f"{api.identity}/audit/export", headers=auditor,
                            params=filters | {"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.text.splitlines()[0] == ("seq,at,service,actor,action,target,outcome,"
                                           "request_id,detail,prev_hash,hash")
    assert _from_csv(as_csv.text) == shown  # quotes, commas and new lines survive

    for resp, ext in ((ndjson, "ndjson"), (as_csv, "csv")):
        disposition = resp.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="openirm-audit-')
        assert disposition.endswith(f'-to-{resp.headers["x-audit-up-to-seq"]}.{ext}"')
        assert int(resp.headers["x-audit-up-to-seq"]) >= shown[-1]["seq"]


async def test_an_export_is_audited_before_its_first_byte(api: Api, story: dict) -> None:
    auditor_token = api.token("Auditor")
    filters = {"action": story["tag"], "since": story["between"], "format": "csv"}
    async with httpx.AsyncClient(timeout=30) as client:
        me = (await client.get(f"{api.identity}/accounts/me",
                               headers=api.auth(auditor_token))).json()
        async with client.stream("GET", f"{api.identity}/audit/export",
                                 headers=api.auth(auditor_token), params=filters) as resp:
            assert resp.status_code == 200
            # Headers are in, the body not yet read: the export's own row is already there.
            mine = (await client.get(f"{api.identity}/audit", headers=api.auth(auditor_token),
                                     params={"action": "audit.export", "outcome": "success",
                                             "limit": 1})).json()["items"][0]
            body = (await resp.aread()).decode()
    assert mine["actor"] == f"user:{me['id']}" and mine["target"] == "audit.audit_log"
    up_to = int(resp.headers["x-audit-up-to-seq"])
    assert mine["detail"] == {"format": "csv", "up_to_seq": up_to, "filters": {
        "action": story["tag"], "since": datetime.fromisoformat(story["between"]).isoformat()}}
    assert mine["seq"] > up_to  # the export does not hold its own record
    assert len(_from_csv(body)) == 5


async def test_an_unknown_format_is_refused(api: Api, http: httpx.AsyncClient) -> None:
    resp = await http.get(f"{api.identity}/audit/export", headers=api.auth(api.token("Auditor")),
                          params={"format": "xlsx"})
    assert resp.status_code == 422
    assert [p["field"] for p in resp.json()["invalid_params"]] == ["format"]


async def test_a_large_export_streams_every_row_once(api: Api, http: httpx.AsyncClient) -> None:
    """2,500 rows: two and a half of the export's 1,000-row reads."""
    actor = f"user:bulk-{uuid.uuid4().hex[:8]}"
    async with _as_service(api, "scoring") as conn:
        await _record(conn, [(actor, "bulk.write", f"thing:{i}", "success")
                             for i in range(2500)])
    auditor = api.auth(api.token("Auditor"))
    shown = list(reversed(await _all_pages(http, api, actor=actor, limit=500)))
    timings = {}
    for fmt in ("ndjson", "csv"):
        started = time.perf_counter()
        async with http.stream("GET", f"{api.identity}/audit/export", headers=auditor,
                               params={"actor": actor, "format": fmt}) as resp:
            assert resp.status_code == 200
            assert "content-length" not in resp.headers  # streamed, not built whole
            chunks = [chunk async for chunk in resp.aiter_raw()]
        timings[fmt] = time.perf_counter() - started
        text = b"".join(chunks).decode()
        got = ([json.loads(line) for line in text.splitlines()] if fmt == "ndjson"
               else _from_csv(text))
        assert got == shown, fmt
    assert len(shown) == 2500
    print(f"export of 2,500 rows: ndjson {timings['ndjson'] * 1000:.0f} ms, "
          f"csv {timings['csv'] * 1000:.0f} ms")


# -- verify --------------------------------------------------------------------------------

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


async def _as_superuser_bypassing_triggers(conn: asyncpg.Connection, sql: str,
                                           *args: Any) -> None:
    """What a database superuser can do and the application cannot: switch the append-only
    triggers off for one transaction."""
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(sql, *args)


async def _verify(http: httpx.AsyncClient, api: Api, **params: Any) -> dict:
    resp = await http.get(f"{api.identity}/audit/verify",
                          headers=api.auth(api.token("Auditor")), params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_verify_finds_a_row_altered_by_the_superuser(api: Api,
                                                          http: httpx.AsyncClient) -> None:
    ok = await _verify(http, api)
    assert ok["valid"] is True and ok["rows_checked"] == ok["head_seq"] > 0
    conn = await _connect(api)
    seq = await conn.fetchval("SELECT max(seq) - 1 FROM audit.audit_log")
    actor = await conn.fetchval("SELECT actor FROM audit.audit_log WHERE seq = $1", seq)
    update = "UPDATE audit.audit_log SET actor = $1 WHERE seq = $2"
    try:
        await _as_superuser_bypassing_triggers(conn, update, "mallory", seq)
        broken = await _verify(http, api)
        assert (broken["valid"], broken["rows_checked"], broken["first_broken_seq"],
                broken["reason"]) == (False, seq - 1, seq, "row content does not match its hash")
        assert broken["head_seq"] >= seq + 1
    finally:
        await _as_superuser_bypassing_triggers(conn, update, actor, seq)  # others share it
        await conn.close()
    assert (await _verify(http, api))["valid"] is True


async def test_verify_finds_a_deleted_row(api: Api, http: httpx.AsyncClient) -> None:
    conn = await _connect(api)
    seq = await conn.fetchval("SELECT max(seq) - 2 FROM audit.audit_log")
    row = await conn.fetchrow("SELECT * FROM audit.audit_log WHERE seq = $1", seq)
    try:
        await _as_superuser_bypassing_triggers(
            conn, "DELETE FROM audit.audit_log WHERE seq = $1", seq)
        broken = await _verify(http, api)
        assert (broken["valid"], broken["first_broken_seq"], broken["reason"]) == (
            False, seq, f"row {seq} is missing")
    finally:
        # Put it back exactly (with the chain trigger off, so seq, time and hashes stay).
        columns = list(row.keys())
        await _as_superuser_bypassing_triggers(
            conn, f"INSERT INTO audit.audit_log ({', '.join(columns)}) VALUES "
                  f"({', '.join(f'${i + 1}' for i in range(len(columns)))})", *row.values())
        await conn.close()
    assert (await _verify(http, api))["valid"] is True


async def test_an_anchor_verifies_quickly_and_catches_a_rewritten_history(
        api: Api, http: httpx.AsyncClient) -> None:
    """A superuser who alters a row and recomputes its hash (and those after it) leaves a
    chain that verifies from the start. An anchor recorded outside OpenIRM still catches it."""
    started = time.perf_counter()
    whole = await _verify(http, api)
    whole_s = time.perf_counter() - started
    anchor = {"since_seq": whole["head_seq"], "expected_hash": whole["head_hash"]}
    assert anchor["since_seq"] and len(anchor["expected_hash"]) == 64
    started = time.perf_counter()
    from_anchor = await _verify(http, api, **anchor)
    print(f"verify: {whole['rows_checked']} rows in {whole_s * 1000:.0f} ms; from an anchor "
          f"{from_anchor['rows_checked']} rows in {(time.perf_counter() - started) * 1000:.0f} ms")
    assert from_anchor["valid"] is True and from_anchor["since_seq"] == anchor["since_seq"]
    assert 1 <= from_anchor["rows_checked"] < whole["rows_checked"]
    assert from_anchor["head_seq"] >= anchor["since_seq"]

    conn = await _connect(api)
    # Hold the chain's lock meanwhile: no new row may link to the rewritten hash.
    await conn.execute("SELECT pg_advisory_lock($1)", CHAIN_LOCK)
    try:
        head = await conn.fetchrow("SELECT seq, actor, hash FROM audit.audit_log "
                                   "ORDER BY seq DESC LIMIT 1")
        anchor = {"since_seq": head["seq"], "expected_hash": head["hash"]}
        rewrite = """UPDATE audit.audit_log SET actor = $1::text,
                       hash = audit.row_hash(prev_hash, seq, at, service, $1::text, action,
                                             target, outcome, request_id, detail)
                     WHERE seq = $2"""
        try:
            await _as_superuser_bypassing_triggers(conn, rewrite, "mallory", head["seq"])
            assert (await _verify(http, api))["valid"] is True  # undetectable without it
            caught = await _verify(http, api, **anchor)
            assert (caught["valid"], caught["first_broken_seq"], caught["reason"]) == (
                False, head["seq"], "row does not match the anchored hash")
        finally:
            await _as_superuser_bypassing_triggers(conn, rewrite, head["actor"], head["seq"])
        assert await conn.fetchval("SELECT hash FROM audit.audit_log WHERE seq = $1",
                                   head["seq"]) == head["hash"]
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", CHAIN_LOCK)
        await conn.close()
    assert (await _verify(http, api, **anchor))["valid"] is True


async def test_an_anchor_past_the_end_means_rows_were_cut_off(api: Api,
                                                              http: httpx.AsyncClient) -> None:
    head = await _verify(http, api)
    cut = await _verify(http, api, since_seq=head["head_seq"] + 10_000,
                        expected_hash="0" * 64)
    assert (cut["valid"], cut["first_broken_seq"], cut["reason"]) == (
        False, head["head_seq"] + 10_000, f"row {head['head_seq'] + 10_000} is missing")


@pytest.mark.parametrize(("params", "field"), [
    ({"since_seq": 1}, "expected_hash"),
    ({"expected_hash": "a" * 64}, "since_seq"),
    ({"since_seq": 1, "expected_hash": "xyz"}, "expected_hash"),
    ({"since_seq": 0, "expected_hash": "a" * 64}, "since_seq"),
])
async def test_a_half_anchor_is_refused(api: Api, http: httpx.AsyncClient, params: dict,
                                        field: str) -> None:
    resp = await http.get(f"{api.identity}/audit/verify", headers=api.auth(api.token("Auditor")),
                          params=params)
    assert resp.status_code == 422
    assert [p["field"] for p in resp.json()["invalid_params"]] == [field]
