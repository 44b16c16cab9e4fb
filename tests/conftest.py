"""The test harness: each pytest-xdist worker starts the whole stack once (embedded PostgreSQL
and Redis unless OPENIRM_TEST_DATABASE_URL / OPENIRM_TEST_REDIS_URL are given), through the
same launcher as `openirm up`; tests talk to it over real HTTP."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from openirm.config import StackConfig, free_port_block, ports_from
from openirm.launcher import Stack, StackError
from tests.fake_idp import FakeIdP
from tests.smtp_sink import SmtpSink

ROLES = ("Admin", "Analyst", "Investigator", "Auditor")
PASSWORD = "test-password-123456"


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker.startswith("gw") else 0


def _external_database(base_url: str, name: str) -> str:
    """A fresh database per xdist worker on a server the caller pointed us at."""
    import asyncpg

    from services.kit.db import async_url

    plain = async_url(base_url).replace("postgresql+asyncpg://", "postgresql://")

    async def create() -> None:
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    # The query may hold a socket path (host=/run/...): split it off before the database.
    base, _, query = async_url(base_url).partition("?")
    head = base.rpartition("/")[0]
    return f"{head}/{name}" + (f"?{query}" if query else "")


@dataclass
class Api:
    """URLs of the running stack plus helpers to get staff accounts with roles."""

    stack: Stack
    admin_email: str
    admin_password: str
    _tokens: dict[str, str] = field(default_factory=dict)
    _service_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return self.stack.config.url(name)

    @property
    def identity(self) -> str:
        return self.url("identity")

    @property
    def ingest(self) -> str:
        return self.url("ingest")

    @property
    def scoring(self) -> str:
        return self.url("scoring")

    @property
    def cases(self) -> str:
        return self.url("cases")

    @property
    def gateway(self) -> str:
        return self.url("gateway") + "/graphql"

    def sign_in(self, email: str, password: str) -> str:
        resp = httpx.post(f"{self.identity}/auth/token", json={"email": email,
                                                               "password": password})
        resp.raise_for_status()
        return resp.json()["access_token"]

    def admin_token(self) -> str:
        if "admin" not in self._tokens:
            self._tokens["admin"] = self.sign_in(self.admin_email, self.admin_password)
        return self._tokens["admin"]

    def new_account(self, *roles: str) -> tuple[str, str]:
        """A fresh staff account with these roles; returns (account id, token)."""
        prefix = "-".join(r.lower() for r in roles) or "norole"
        email = f"{prefix}-{uuid.uuid4().hex[:8]}@test.example"
        resp = httpx.post(f"{self.identity}/accounts", headers=self.auth(self.admin_token()),
                          json={"email": email, "display_name": email, "password": PASSWORD,
                                "roles": list(roles)})
        resp.raise_for_status()
        return resp.json()["id"], self.sign_in(email, PASSWORD)

    def token(self, role: str) -> str:
        """A cached account per role (for tests that only need 'an Analyst')."""
        if role not in self._tokens:
            self._tokens[role] = self.new_account(role)[1]
        return self._tokens[role]

    def service_token(self, service: str = "scoring") -> str:
        """A token of that service's own client (provisioned by the launcher, role
        `service`), obtained as the service obtains it: client credentials at identity."""
        import time

        cached = self._service_tokens.get(service)
        if cached is None or cached[1] < time.monotonic() + 60:
            client = self.stack.clients[service]
            resp = httpx.post(f"{self.identity}/auth/client-token",
                              data={"grant_type": "client_credentials",
                                    "client_id": client.client_id,
                                    "client_secret": client.client_secret})
            resp.raise_for_status()
            body = resp.json()
            cached = (body["access_token"], time.monotonic() + body["expires_in"])
            self._service_tokens[service] = cached
        return cached[0]

    def service_subject(self, service: str) -> str:
        """The audit actor and Casbin subject of a service: its client's."""
        return f"client:{self.stack.clients[service].client_id}"

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def idp() -> Iterator[FakeIdP]:
    """An external OIDC issuer the stack trusts (its keys fetched lazily); see test_oidc.py."""
    server = FakeIdP()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpSink]:
    """The mail server the stack sends notices to (see tests/cases/test_notices.py)."""
    server = SmtpSink()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, idp: FakeIdP,
          smtp: SmtpSink) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("openirm")
    base = free_port_block()
    config = StackConfig.from_env(data_dir)
    config.ports = ports_from(base)
    config.database_url = None
    config.redis_url = None
    if url := os.environ.get("OPENIRM_TEST_DATABASE_URL"):
        config.database_url = _external_database(url, f"openirm_test_{_worker_index()}")
    if url := os.environ.get("OPENIRM_TEST_REDIS_URL"):
        config.redis_url = f"{url.rstrip('/').rsplit('/', 1)[0]}/{1 + _worker_index()}" \
            if url.startswith("redis") else url
    os.environ["OPENIRM_ADMIN_PASSWORD"] = PASSWORD
    os.environ.update(idp.env())
    os.environ.update(smtp.env())
    s = Stack(config, log_to_files=True)
    try:
        s.start()
    except StackError as exc:
        # Say why in the test output (CI shows nothing else), then try once more on other
        # ports in case one was taken between the check and the bind.
        print(f"stack failed to start: {exc}\n{s.log_tails()}", file=sys.stderr)
        base = free_port_block(seed=base)
        config.ports = ports_from(base)
        s = Stack(config, log_to_files=True)
        try:
            s.start()
        except StackError as again:
            raise RuntimeError(f"stack failed to start twice: {again}\n{s.log_tails()}"
                               ) from again
    yield s
    s.stop()


@pytest.fixture(scope="session")
def api(stack: Stack) -> Api:
    assert stack.admin is not None
    return Api(stack, stack.admin.email, PASSWORD)


@pytest.fixture(scope="module")
def policy(api: Api) -> Iterator[dict]:
    """A departing-users policy for the tests of one module, scoped to people:
    `fresh_alert` adds each new person to it (a policy over everyone would meet the daily
    alert cap on the shared stack's earlier people before a test's own), deactivated after
    them."""
    from tests.factories import deactivate_policy, people_policy

    made = people_policy(api)
    yield made
    deactivate_policy(api, made["id"])


@pytest.fixture(autouse=True)
def _unscoped_policies_end_with_their_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A policy over everyone that a test made is deactivated when the test ends: otherwise
    it keeps raising alerts about the fresh people of every later test on the shared stack
    (their risk levels, webhook events and queues would not be theirs alone)."""
    from tests.factories import UNSCOPED_POLICIES, deactivate_policy

    UNSCOPED_POLICIES.clear()
    yield
    if UNSCOPED_POLICIES:
        api = request.getfixturevalue("api")
        for policy_id in UNSCOPED_POLICIES:
            deactivate_policy(api, policy_id)
        UNSCOPED_POLICIES.clear()


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """On a failure, attach the errors the stack's processes logged (they run out of process)."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or "stack" not in item.fixturenames:
        return
    logs = item.funcargs["stack"].config.data_dir / "logs"
    for path in sorted(logs.glob("*.log")):
        text = path.read_text(errors="replace")
        at = text.rfind("Traceback")
        if at >= 0:
            report.sections.append((f"last error in {path.name}", text[at:][-4000:]))
