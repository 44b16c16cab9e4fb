"""Importing the monitored-person directory (CSV, JSON, NDJSON) and its change feed, through
the real HTTP path; and scoring picking department and high impact up from the feed."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx

from services.identity.people.crypto import IdentityVault
from services.kit.jobs import SCORING_QUEUE
from tests.conftest import Api
from tests.factories import audit_rows, db_fetch, person_email, subject_of

CSV = {"Content-Type": "text/csv"}
NDJSON = {"Content-Type": "application/x-ndjson"}


def _csv(*rows: str, header: str = "UserPrincipalName,Display Name,Department,Country,"
                                    "HighImpact,Manager,EmploymentStart,EmploymentEnd") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


async def _import(api: Api, http: httpx.AsyncClient, body: bytes | list, headers: dict | None
                  = None, **params: object) -> httpx.Response:
    admin = api.auth(api.admin_token())
    if isinstance(body, list):
        return await http.post(f"{api.identity}/people/import", headers=admin, json=body,
                               params=params)
    return await http.post(f"{api.identity}/people/import", headers={**admin, **(headers or CSV)},
                           content=body, params=params)


async def _person_row(api: Api, email: str) -> dict:
    subject = subject_of(api, email)["subject_id"]
    rows = await db_fetch(api, "SELECT p.*, k.key_id, k.wrapped_key FROM identity.person p "
                          "LEFT JOIN identity.person_key k USING (subject_id) "
                          "WHERE subject_id = $1", uuid.UUID(subject))
    return dict(rows[0])


def _vault(api: Api) -> IdentityVault:
    return IdentityVault(api.stack.secrets["identity_key"])


async def test_csv_import_upserts_by_email_and_keeps_the_identity_encrypted(
        api: Api, http: httpx.AsyncClient) -> None:
    a, b, boss = person_email(), person_email(), person_email()
    body = _csv(f"{a.upper()},\"Ada, Lovelace\",Research & Development,FR,yes,{boss},"
                "2020-01-15,",
                f"  {b} ,Bob,Sales,DE,,,,")
    first = await _import(api, http, body)
    assert first.status_code == 200, first.text
    report = first.json()
    assert {k: report[k] for k in ("rows", "created", "updated", "unchanged", "rejected",
                                   "applied", "dry_run")} == {
        "rows": 2, "created": 2, "updated": 0, "unchanged": 0, "rejected": 0,
        "applied": True, "dry_run": False}
    # Nothing in the answer links an email to a pseudonym.
    assert a not in first.text and subject_of(api, a)["subject_id"] not in first.text

    row = await _person_row(api, a)
    assert (row["department"], row["region"], row["high_impact"]) == (
        "Research & Development", "FR", True)
    # The identity is sealed with the person's own key: not readable in the database.
    assert a.encode() not in row["identity_ct"] and b"Lovelace" not in row["identity_ct"]
    identity = _vault(api).open(row["identity_ct"], row["subject_id"], row["key_id"],
                                row["wrapped_key"])
    assert identity == {"email": a, "display_name": "Ada, Lovelace",
                        "department": "Research & Development", "region": "FR",
                        "high_impact": True, "manager": boss, "employment_start": "2020-01-15"}

    # Same file again: unchanged. A changed department: updated; an empty cell clears.
    again = await _import(api, http, body)
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)
    changed = await _import(api, http, _csv(f"{a},Ada Lovelace,Research,FR,no,,,2026-12-31"))
    assert (changed.json()["updated"], changed.json()["created"]) == (1, 0)
    row = await _person_row(api, a)
    assert (row["department"], row["high_impact"]) == ("Research", False)
    identity = _vault(api).open(row["identity_ct"], row["subject_id"], row["key_id"],
                                row["wrapped_key"])
    assert "manager" not in identity and identity["employment_end"] == "2026-12-31"
    # A column absent from the file leaves the attribute as it was.
    partial = await _import(api, http, _csv(f"{a},Analytics", header="email,department"))
    assert partial.json()["updated"] == 1
    row = await _person_row(api, a)
    assert (row["department"], row["region"]) == ("Analytics", "FR")

    # Audited with counts, never names.
    rows = [r for r in await _audit(api, "people.import") if r["detail"]["rows"] == 2
            and r["detail"]["created"] == 2]
    assert rows and a not in json.dumps(rows) and "Lovelace" not in json.dumps(rows)


async def _audit(api: Api, action: str) -> list[dict]:
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")),
                                params={"action": action, "limit": 200})
    resp.raise_for_status()
    return resp.json()["items"]


async def test_bad_rows_refuse_the_whole_file_or_are_skipped_and_reported(
        api: Api, http: httpx.AsyncClient) -> None:
    good, dup, bad_date = person_email(), person_email(), person_email()
    body = _csv(f"{good},Good,Ops,US,true,,,",
                f"{dup},Dup,Ops,US,,,,",
                f"{dup.upper()},Dup again,Ops,US,,,,",
                f"{bad_date},Date,Ops,US,,,2021-02-30,",
                "not-an-email,X,Ops,US,,,,",
                f"{person_email()},Impact,Ops,US,maybe,,,",
                f"{person_email()},Short row")
    refused = await _import(api, http, body)
    assert refused.status_code == 422 and refused.json()["code"] == "import_rejected"
    params = refused.json()["invalid_params"]
    assert sorted((p["index"], p["field"]) for p in params) == [
        (2, "UserPrincipalName"), (3, "EmploymentStart"), (4, "UserPrincipalName"),
        (5, "HighImpact"), (6, "(row)")]
    assert "record 1" in next(p["reason"] for p in params if p["index"] == 2)
    # Nothing was applied: the good rows are not in the directory.
    for email in (good, dup):
        hashes = _vault(api).lookup_hashes(email)
        assert await db_fetch(api, "SELECT 1 FROM identity.person WHERE lookup_hash = ANY($1)",
                              hashes) == []
    refusals = [r for r in await _audit(api, "people.import") if r["outcome"] == "rejected"]
    assert refusals and refusals[0]["detail"]["rejected"] == 5

    dry = await _import(api, http, body, on_error="skip_invalid", dry_run="true")
    assert dry.status_code == 200
    assert (dry.json()["created"], dry.json()["rejected"], dry.json()["applied"]) == (2, 5, False)
    assert await db_fetch(api, "SELECT 1 FROM identity.person WHERE lookup_hash = ANY($1)",
                          _vault(api).lookup_hashes(good)) == []

    skipped = await _import(api, http, body, on_error="skip_invalid")
    assert skipped.status_code == 200
    report = skipped.json()
    assert (report["created"], report["rejected"], report["applied"]) == (2, 5, True)
    assert sorted(e["index"] for e in report["errors"]) == [2, 3, 4, 5, 6]
    assert (await _person_row(api, good))["high_impact"] is True


async def test_header_problems_refuse_the_file_with_the_column_named(
        api: Api, http: httpx.AsyncClient) -> None:
    unknown = await _import(api, http, _csv(f"{person_email()},x", header="email,Departmnet"))
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid_header"
    assert "Departmnet" in unknown.json()["detail"]
    ignored = await _import(api, http, _csv(f"{person_email()},x", header="email,Departmnet"),
                            unknown_columns="ignore")
    assert ignored.status_code == 200 and ignored.json()["ignored_columns"] == ["Departmnet"]
    no_key = await _import(api, http, _csv("Sales", header="department"))
    assert no_key.status_code == 422 and "email" in no_key.json()["detail"]
    twice = await _import(api, http, _csv("a@b.c,a@b.c", header="mail,userPrincipalName"))
    assert twice.status_code == 422 and "keep one" in twice.json()["detail"]
    empty = await _import(api, http, b"")
    assert empty.status_code == 422
    only_header = await _import(api, http, b"email,department\n")
    assert only_header.status_code == 422 and "no records" in only_header.json()["detail"]
    not_utf8 = await _import(api, http, b"email\n\xff\xfe@x.y\n")
    assert not_utf8.status_code == 422 and "UTF-8" in not_utf8.json()["detail"]
    xml = await http.post(f"{api.identity}/people/import", content=b"<people/>",
                          headers={**api.auth(api.admin_token()),
                                   "Content-Type": "application/xml"})
    assert xml.status_code == 415


async def test_json_and_ndjson_imports(api: Api, http: httpx.AsyncClient) -> None:
    a, b = person_email(), person_email()
    as_json = await _import(api, http, [
        {"email": a, "displayName": "Jay Son", "department": "Legal", "high_impact": True},
        {"email": b, "jobTitle": "Clerk", "region": "NL", "favourite_colour": "blue"},
        "not an object"], on_error="skip_invalid")
    assert as_json.status_code == 200, as_json.text
    assert [(e["index"], e["field"]) for e in as_json.json()["errors"]] == [
        (1, "favourite_colour"), (2, "(row)")]
    assert (await _person_row(api, a))["department"] == "Legal"
    # Null clears; an absent key leaves the value.
    lines = [json.dumps({"upn": a, "department": None}), "",
             json.dumps({"mail": b, "region": "BE"}), "{broken"]
    as_ndjson = await _import(api, http, "\n".join(lines).encode(), NDJSON,
                              on_error="skip_invalid")
    assert as_ndjson.status_code == 200, as_ndjson.text
    # b's JSON record was refused (an unknown key), so NDJSON creates b.
    assert [as_ndjson.json()[k] for k in ("rows", "updated", "created")] == [3, 1, 1]
    assert as_ndjson.json()["errors"][0]["index"] == 2
    row_a, row_b = await _person_row(api, a), await _person_row(api, b)
    assert (row_a["department"], row_a["high_impact"]) == (None, True)
    assert row_b["region"] == "BE"
    too_many = await _import(api, http, [{}] * 50_001)
    assert too_many.status_code == 422 and "50000" in too_many.json()["detail"]


async def test_import_and_feed_access(api: Api, http: httpx.AsyncClient) -> None:
    url = f"{api.identity}/people/import"
    assert (await http.post(url, content=_csv("a@b.c,x"), headers=CSV)).status_code == 401
    analyst = await http.post(url, content=_csv("a@b.c,x"),
                              headers={**api.auth(api.token("Analyst")), **CSV})
    assert analyst.status_code == 403
    feed = f"{api.identity}/people/changes"
    assert (await http.get(feed, headers=api.auth(api.admin_token()))).status_code == 403
    assert (await http.get(feed)).status_code == 401
    bad = await http.get(feed, headers=api.auth(api.service_token()), params={"cursor": "x"})
    assert bad.status_code == 422


async def test_the_change_feed_serves_current_values_in_commit_order(
        api: Api, http: httpx.AsyncClient) -> None:
    service = api.auth(api.service_token())
    feed = f"{api.identity}/people/changes"
    cursor = None
    while True:  # to the end of what is there
        page = (await http.get(feed, headers=service, params={"limit": 5000} | (
            {"cursor": cursor} if cursor else {}))).json()
        if page["next_cursor"] == cursor:
            break
        cursor = page["next_cursor"]
    a, b = person_email(), person_email()
    await _import(api, http, _csv(f"{a},A,Finance,UK,,,,", f"{b},B,Finance,UK,true,,,"))
    await _import(api, http, _csv(f"{a},A,Treasury,UK,,,,"))
    page = (await http.get(feed, headers=service, params={"cursor": cursor})).json()
    ids = {subject_of(api, a)["subject_id"]: "a", subject_of(api, b)["subject_id"]: "b"}
    mine = [item for item in page["items"] if item["subject_id"] in ids]
    assert [ids[i["subject_id"]] for i in mine] == ["b", "a"]  # a changed last
    assert mine[1] == {"subject_id": subject_of(api, a)["subject_id"],
                       "alias": subject_of(api, a)["alias"], "department": "Treasury",
                       "region": "UK", "high_impact": False, "erased": False}
    again = (await http.get(feed, headers=service,
                            params={"cursor": page["next_cursor"]})).json()
    assert not [i for i in again["items"] if i["subject_id"] in ids]


async def test_scoring_learns_department_and_high_impact_from_the_directory(
        api: Api, http: httpx.AsyncClient) -> None:
    email = person_email()
    resp = await _import(api, http, _csv(f"{email},Pri Ority,Finance,US,true,,,"))
    assert resp.status_code == 200
    subject = subject_of(api, email)
    analyst = api.auth(api.token("Analyst"))
    deadline, seen = time.monotonic() + 20, None
    while time.monotonic() < deadline:
        got = await http.get(f"{api.scoring}/subjects/{subject['subject_id']}", headers=analyst)
        if got.status_code == 200:
            seen = got.json()
            if seen["department"] == "Finance" and seen["high_impact"]:
                break
        await asyncio.sleep(0.2)
    assert seen is not None and (seen["department"], seen["high_impact"], seen["alias"]) == (
        "Finance", True, subject["alias"])
    # A change later moves with it; scoring records what it applied.
    await _import(api, http, _csv(f"{email},Pri Ority,Audit,US,false,,,"))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        seen = (await http.get(f"{api.scoring}/subjects/{subject['subject_id']}",
                               headers=analyst)).json()
        if seen["department"] == "Audit":
            break
        await asyncio.sleep(0.2)
    assert (seen["department"], seen["high_impact"]) == ("Audit", False)
    synced = [r for r in await _audit(api, "subject.directory_sync")
              if subject["subject_id"] in r["detail"]["subject_ids"]]
    assert synced and synced[0]["actor"] == "service:scoring"


async def test_a_large_csv_is_streamed_in_chunks(api: Api, http: httpx.AsyncClient) -> None:
    n = 5_000
    tag = uuid.uuid4().hex[:8]

    async def body():
        yield b"email,department,region,high_impact\n"
        for start in range(0, n, 1000):
            yield "".join(f"bulk-{tag}-{i}@contoso.example,Dept {i % 40},R{i % 7},"
                          f"{'true' if i % 100 == 0 else 'false'}\n"
                          for i in range(start, start + 1000)).encode()

    started = time.monotonic()
    resp = await http.post(f"{api.identity}/people/import", content=body(),
                           headers={**api.auth(api.admin_token()), **CSV}, timeout=120)
    elapsed = time.monotonic() - started
    assert resp.status_code == 200, resp.text
    assert (resp.json()["rows"], resp.json()["created"]) == (n, n)
    print(f"directory import: {n} new people in {elapsed:.1f} s ({n / elapsed:.0f} rows/s)")
    counts = await db_fetch(api, "SELECT count(*) AS n, count(*) FILTER (WHERE high_impact) AS hi "
                            "FROM identity.person WHERE department LIKE 'Dept %' AND "
                            "region LIKE 'R%' AND created_at > now() - interval '5 minutes'")
    assert counts[0]["n"] >= n and counts[0]["hi"] >= n // 100


async def test_single_upsert_still_works_and_feeds_the_clear_columns(
        api: Api, http: httpx.AsyncClient) -> None:
    email = person_email()
    resp = await http.post(f"{api.identity}/people", headers=api.auth(api.admin_token()),
                           json={"email": email, "department": " Sales  Ops ", "region": "IT",
                                 "high_impact": True})
    assert resp.json() == {"created": True}
    row = await _person_row(api, email)
    assert (row["department"], row["region"], row["high_impact"]) == ("Sales Ops", "IT", True)
    target = f"subject:{row['subject_id']}"
    assert (await audit_rows(api, "person.upsert", target))[0]["detail"] == {
        "fields": ["department", "high_impact", "region"], "created": True}


async def test_directory_changes_reach_scoring_without_their_wake_up(
        api: Api, http: httpx.AsyncClient) -> None:
    """Nothing depends on the job: with the scoring worker down and the wake-up lost from
    Redis, the worker's catch-up reads the feed from its durable cursor when it is back."""
    from redis.asyncio import Redis

    email = person_email()
    api.stack.kill("scoring-worker")
    try:
        resp = await _import(api, http, _csv(f"{email},Lost Wake,Logistics,PT,true,,,"))
        assert resp.status_code == 200
        redis = Redis.from_url(api.stack.redis_url)
        try:
            queue = SCORING_QUEUE  # arq keeps a queue under its own name
            lost = [m for m in await redis.zrange(queue, 0, -1)
                    if m.startswith(b"score.directory:")]
            assert lost, "the import should have asked for a wake-up"
            await redis.zrem(queue, *lost)
            await redis.delete(*(b"arq:job:" + m for m in lost))
        finally:
            await redis.aclose()
    finally:
        api.stack.respawn("scoring-worker")
    subject = subject_of(api, email)["subject_id"]
    analyst = api.auth(api.token("Analyst"))
    deadline, seen = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        got = await http.get(f"{api.scoring}/subjects/{subject}", headers=analyst)
        seen = got.json() if got.status_code == 200 else None
        if seen and seen["department"] == "Logistics":
            break
        await asyncio.sleep(0.3)
    assert seen is not None and (seen["department"], seen["high_impact"]) == ("Logistics", True)
