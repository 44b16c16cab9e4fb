"""Each service connects to PostgreSQL as its own role: its own schema, INSERT into the audit
log, and nothing else (identity also reads the audit log, for the Auditor's API)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from openirm.migrate import SERVICE_ROLES, service_url
from services.kit.db import async_url
from tests.conftest import Api
from tests.factories import db_fetch, event, ingest, person_email

# A table of each service's schema, to read and write as another role.
TABLE_OF = {"identity": "identity.account", "ingest": "ingest.event_key",
            "scoring": "scoring.policy", "cases": "cases.alert"}


@asynccontextmanager
async def connected_as(api: Api, service: str) -> AsyncIterator[asyncpg.Connection]:
    url = service_url(api.stack.database_url, service, api.stack.config.db_role_password)
    conn = await asyncpg.connect(async_url(url).replace("postgresql+asyncpg://",
                                                        "postgresql://", 1))
    try:
        yield conn
    finally:
        await conn.close()


def test_each_service_process_gets_its_own_role(api: Api) -> None:
    admin = make_url(api.stack.database_url)
    for service, role in SERVICE_ROLES.items():
        url = make_url(api.stack.env(service)["OPENIRM_DATABASE_URL"])
        assert url.username == role != admin.username
        assert url.set(username=admin.username, password=admin.password) == admin
    assert "OPENIRM_DATABASE_URL" not in api.stack.env("gateway")


def test_the_role_password_goes_into_the_url() -> None:
    url = service_url("postgresql+asyncpg://admin:secret@db:5432/openirm", "cases", "p@ss/w")
    assert url == "postgresql+asyncpg://openirm_cases:p%40ss%2Fw@db:5432/openirm"
    assert service_url("postgresql+asyncpg://admin:secret@db/openirm", "ingest") == \
        "postgresql+asyncpg://openirm_ingest@db/openirm"


async def test_the_running_services_connect_as_their_roles(api: Api,
                                                           http: httpx.AsyncClient) -> None:
    # Something that uses the database in each service, so its pool holds a connection.
    await http.get(f"{api.identity}/audit", headers=api.auth(api.token("Auditor")))
    await http.get(f"{api.scoring}/policies", headers=api.auth(api.admin_token()))
    await http.get(f"{api.cases}/alerts", headers=api.auth(api.token("Analyst")))
    await http.get(f"{api.ingest}/storage/partitions", headers=api.auth(api.admin_token()))
    rows = await db_fetch(api, """
        SELECT DISTINCT application_name, usename FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'openirm-%'""")
    seen: dict[str, set[str]] = {}
    for row in rows:
        seen.setdefault(row["application_name"].removeprefix("openirm-"), set()).add(
            row["usename"])
    assert seen == {service: {role} for service, role in SERVICE_ROLES.items()}


@pytest.mark.parametrize("service", list(SERVICE_ROLES))
async def test_a_service_role_cannot_change_the_audit_log(api: Api, service: str) -> None:
    async with connected_as(api, service) as conn:
        for sql in ("UPDATE audit.audit_log SET actor = 'mallory'",
                    "DELETE FROM audit.audit_log",
                    "TRUNCATE audit.audit_log"):
            # Refused by the grants, before the append-only trigger is even reached.
            with pytest.raises(asyncpg.InsufficientPrivilegeError,
                               match="permission denied for table audit_log"):
                await conn.execute(sql)


@pytest.mark.parametrize("service", ["ingest", "scoring", "cases"])
async def test_only_identity_reads_the_audit_log(api: Api, service: str) -> None:
    async with connected_as(api, service) as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await conn.fetch("SELECT seq FROM audit.audit_log LIMIT 1")
    async with connected_as(api, "identity") as conn:
        assert await conn.fetchval("SELECT count(*) FROM audit.audit_log") > 0


@pytest.mark.parametrize("service", list(SERVICE_ROLES))
async def test_a_service_role_uses_only_its_own_schema(api: Api, service: str) -> None:
    async with connected_as(api, service) as conn:
        await conn.fetch(f"SELECT * FROM {TABLE_OF[service]} LIMIT 1")
        for other, table in TABLE_OF.items():
            if other == service:
                continue
            with pytest.raises(asyncpg.InsufficientPrivilegeError,
                               match=f"permission denied for schema {other}"):
                await conn.fetch(f"SELECT * FROM {table} LIMIT 1")
            with pytest.raises(asyncpg.InsufficientPrivilegeError,
                               match=f"permission denied for schema {other}"):
                await conn.execute(f"DELETE FROM {table}")


async def test_an_audit_insert_by_every_role_chains(api: Api, http: httpx.AsyncClient) -> None:
    actor = f"test:db-roles-{uuid.uuid4().hex[:8]}"
    for service in SERVICE_ROLES:
        async with connected_as(api, service) as conn:
            # No RETURNING: the roles other than identity may not read what they wrote.
            await conn.execute(
                "INSERT INTO audit.audit_log (service, actor, action, outcome, detail) "
                "VALUES ($1, $2, 'test.insert', 'success', '{}')", service, actor)
    rows = await db_fetch(api, """
        SELECT a.seq, a.service, a.prev_hash, p.hash AS previous
        FROM audit.audit_log a JOIN audit.audit_log p ON p.seq = a.seq - 1
        WHERE a.actor = $1 ORDER BY a.seq""", actor)
    assert [r["service"] for r in rows] == list(SERVICE_ROLES)
    assert all(r["prev_hash"] == r["previous"] for r in rows)
    verified = (await http.get(f"{api.identity}/audit/verify",
                               headers=api.auth(api.token("Auditor")))).json()
    assert verified["valid"] is True


async def test_only_ingest_may_change_its_tables(api: Api) -> None:
    """Ingest owns its schema's objects (monthly partitions are DDL); the others have row
    privileges only: cases cannot switch off the immutability of its notes."""
    async with connected_as(api, "ingest") as conn, conn.transaction():
        await conn.execute("CREATE TABLE ingest.activity_event_y2099m01 PARTITION OF "
                           "ingest.activity_event FOR VALUES FROM ('2099-01-01 00:00+00') "
                           "TO ('2099-02-01 00:00+00')")
        await conn.execute("ALTER TABLE ingest.activity_event "
                           "DETACH PARTITION ingest.activity_event_y2099m01")
        await conn.execute("DROP TABLE ingest.activity_event_y2099m01")
    async with connected_as(api, "cases") as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="must be owner"):
            await conn.execute("ALTER TABLE cases.note DISABLE TRIGGER note_immutable")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await conn.execute("CREATE TABLE cases.mine (x int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await conn.execute("TRUNCATE cases.alert")


async def test_reapplying_the_roles_changes_nothing_and_repairs_drift(api: Api) -> None:
    from openirm.migrate import apply_service_roles

    # Drift: someone granted scoring a look at cases by hand.
    await db_fetch(api, "GRANT USAGE ON SCHEMA cases TO openirm_scoring")
    await db_fetch(api, "GRANT SELECT ON cases.alert TO openirm_scoring")
    assert await apply_service_roles(api.stack.database_url,
                                     api.stack.config.db_role_password) is True
    async with connected_as(api, "scoring") as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await conn.fetch("SELECT * FROM cases.alert LIMIT 1")


@pytest.mark.parametrize("service", list(SERVICE_ROLES))
async def test_the_audit_writer_works_as_every_role(api: Api, service: str) -> None:
    """One audit row and several in one transaction, as the services write them."""
    from services.kit.audit import AuditWriter
    from services.kit.db import Database

    db = Database(service_url(api.stack.database_url, service,
                              api.stack.config.db_role_password), pool_size=1)
    writer, actor = AuditWriter(service), f"test:writer-{uuid.uuid4().hex[:8]}"
    try:
        for count in (1, 3):
            async with db.unit_of_work() as uow:
                for i in range(count):
                    await writer.record(uow.session, actor=actor, action="test.write",
                                        detail={"i": i})
    finally:
        await db.dispose()
    rows = await db_fetch(api, "SELECT service, detail FROM audit.audit_log WHERE actor = $1 "
                          "ORDER BY seq", actor)
    assert [r["service"] for r in rows] == [service] * 4


async def test_an_audited_write_of_each_service_goes_through(api: Api,
                                                            http: httpx.AsyncClient) -> None:
    """Writes that record an audit row, through each service's HTTP API, as its role."""
    admin = api.auth(api.admin_token())
    before = (await db_fetch(api, "SELECT max(seq) AS s FROM audit.audit_log"))[0]["s"]
    resp = await http.put(f"{api.scoring}/indicators/usb_copy", headers=admin,
                          json={"enabled": True})
    assert resp.status_code == 200, resp.text
    ingest(api, [event(person_email(), "file.downloaded", file_name="a.txt")])
    rows = await db_fetch(api, "SELECT DISTINCT service FROM audit.audit_log WHERE seq > $1",
                          before)
    assert {"scoring", "ingest"} <= {r["service"] for r in rows}
