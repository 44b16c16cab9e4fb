"""`openirm up`: the whole stack on one machine, each service, the gateway and the workers in
their own process, on embedded PostgreSQL and Redis unless URLs are configured. The tests and
benchmarks start the stack through this same class."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import IO

import httpx

from openirm import migrate
from openirm.config import SERVICES, WORKERS, StackConfig, load_secrets
from openirm.embedded import EmbeddedPostgres, EmbeddedRedis, start_postgres, start_redis

log = logging.getLogger("openirm.launcher")


# Set by the launcher for each process (or withheld from it), never passed through as is.
PER_PROCESS = frozenset({"OPENIRM_DATABASE_URL", "OPENIRM_REDIS_URL", "OPENIRM_JWT_SECRET",
                         "OPENIRM_IDENTITY_KEY", "OPENIRM_IDENTITY_PREVIOUS_KEYS",
                         "OPENIRM_ADMIN_EMAIL", "OPENIRM_ADMIN_PASSWORD", "OPENIRM_CLIENT_ID",
                         "OPENIRM_CLIENT_SECRET", "OPENIRM_DB_ROLE_PASSWORD",
                         "OPENIRM_EXPORT_SIGNING_KEY"})


class StackError(RuntimeError):
    pass


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen
    log_file: IO[bytes] | None


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str


@dataclass
class AdminCredentials:
    email: str
    password: str | None  # None when the account already existed
    created: bool


class Stack:
    def __init__(self, config: StackConfig, *, log_to_files: bool = False) -> None:
        self.config = config
        self.log_to_files = log_to_files
        self.postgres: EmbeddedPostgres | None = None
        self.redis: EmbeddedRedis | None = None
        self.children: dict[str, Child] = {}
        self.database_url = config.database_url or ""
        self.redis_url = config.redis_url or ""
        self.secrets: dict[str, str] = {}
        self.admin: AdminCredentials | None = None
        self.clients: dict[str, ClientCredentials] = {}  # per service, see ensure_service_clients
        self.stop_requested = False  # set from a signal handler to abandon a start

    # -- infrastructure -------------------------------------------------------------------
    def start_infrastructure(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.database_url:
            self.postgres = start_postgres(self.config.data_dir / "postgres")
            self.database_url = self.postgres.url
        if not self.redis_url:
            self.redis = start_redis(self.config.data_dir / "redis")
            self.redis_url = self.redis.url
        self.secrets = load_secrets(self.config.data_dir)

    def env(self, process: str) -> dict[str, str]:
        """The environment of one process: the operator's OPENIRM_ settings pass through,
        but connections and keys go only where they are needed. The identity key goes to
        identity alone; the gateway gets Redis (the services' live events) but no database or
        key at all. Each service (and its worker) connects to the database as its own role,
        never as the administrator."""
        env = {k: v for k, v in os.environ.items() if k not in PER_PROCESS}
        env.update({
            "OPENIRM_ENV": self.config.env,
            "OPENIRM_LOG_FORMAT": self.config.log_format,
            "OPENIRM_PARENT_PID": str(os.getpid()),
            **{f"OPENIRM_{name.upper()}_URL": self.config.url(name) for name in SERVICES},
        })
        env["OPENIRM_REDIS_URL"] = self.redis_url
        if process != "gateway":
            env.update({"OPENIRM_DATABASE_URL": migrate.service_url(
                            self.database_url, process, self.config.db_role_password),
                        "OPENIRM_JWT_SECRET": self.secrets["jwt_secret"]})
        if process == "identity":
            env["OPENIRM_IDENTITY_KEY"] = self.secrets["identity_key"]
            env["OPENIRM_IDENTITY_PREVIOUS_KEYS"] = os.environ.get(
                "OPENIRM_IDENTITY_PREVIOUS_KEYS", "[]")
        if process == "cases" and self.secrets.get("export_signing_key"):  # signs exports
            env["OPENIRM_EXPORT_SIGNING_KEY"] = self.secrets["export_signing_key"]
        env.update(self._client_env(process))
        return env

    def migrate(self) -> None:
        migrate.upgrade(self.database_url, role_password=self.config.db_role_password)

    def ensure_admin(self) -> AdminCredentials:
        email = os.environ.get("OPENIRM_ADMIN_EMAIL", "admin@openirm.local")
        password = os.environ.get("OPENIRM_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        created = asyncio.run(_ensure_admin(self.env("identity"), email, password))
        self.admin = AdminCredentials(email, password if created else None, created)
        return self.admin

    def ensure_service_clients(self) -> dict[str, ClientCredentials]:
        """One client per service (`openirm-<service>`, role `service`), with which it obtains
        its tokens from identity. Created when missing (or revoked), and given a new secret
        at every start: the secrets live only in this process and in each service's
        environment, never on disk. An Admin can revoke one to cut that service off; the
        next start provisions it again."""
        self.clients = asyncio.run(_ensure_service_clients(self.env("identity"), SERVICES))
        return self.clients

    def _client_env(self, process: str) -> dict[str, str]:
        """A service (and its worker) gets its own client credentials, and no other's."""
        client = self.clients.get(process)
        if client is None:
            return {}
        return {"OPENIRM_CLIENT_ID": client.client_id,
                "OPENIRM_CLIENT_SECRET": client.client_secret}

    # -- processes ------------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str]) -> None:
        log_file = None
        out: IO[bytes] | int | None = None
        if self.log_to_files:
            logs = self.config.data_dir / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            log_file = open(logs / f"{name}.log", "ab")
            out = log_file
        proc = subprocess.Popen(argv, env=self.env(name.removesuffix("-worker")), stdout=out,
                                stderr=out, start_new_session=True)
        self.children[name] = Child(name, argv, proc, log_file)

    def start_processes(self) -> None:
        for name in (*SERVICES, "gateway"):
            port = self.config.ports[name]
            if not _port_free(self.config.host, port):
                self.stop()
                raise StackError(f"port {port} for {name} is in use; set OPENIRM_PORT_BASE")
        cli = [sys.executable, "-m", "openirm.cli"]
        for name in (*SERVICES, "gateway"):
            self._spawn(name, [*cli, "serve", name, "--host", self.config.host,
                               "--port", str(self.config.ports[name])])
        for name in WORKERS:
            self._spawn(f"{name}-worker", [*cli, "worker", name])

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        pending = {name: self.config.url(name) + "/readyz" for name in (*SERVICES, "gateway")}
        with httpx.Client(timeout=2) as client:
            while pending:
                if self.stop_requested:
                    raise StackError("interrupted")
                crashed = self.crashed()
                if crashed:
                    raise StackError(f"{', '.join(crashed)} exited during start-up")
                for name, url in list(pending.items()):
                    try:
                        if client.get(url).status_code == 200:
                            del pending[name]
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    raise StackError(f"not ready after {timeout:.0f} s: {', '.join(pending)}")
                if pending:
                    time.sleep(0.1)

    def kill(self, name: str) -> None:
        """SIGKILL one child, as a crash would (tests of the pipeline's guarantees)."""
        child = self.children[name]
        os.killpg(child.process.pid, signal.SIGKILL)
        child.process.wait()

    def respawn(self, name: str) -> None:
        child = self.children.pop(name)
        if child.log_file:
            child.log_file.close()
        self._spawn(name, child.argv)

    def log_tails(self, lines: int = 25) -> str:
        """The end of each process's log (when logging to files), to explain a failure."""
        out = []
        for path in sorted((self.config.data_dir / "logs").glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            if tail:
                out.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(out)

    def crashed(self) -> list[str]:
        return [f"{c.name} (exit {c.process.returncode})" for c in self.children.values()
                if c.process.poll() is not None]

    def start(self, ready_timeout: float = 90.0) -> None:
        """Everything, in order; whatever fails, nothing started is left running."""
        try:
            self.start_infrastructure()
            self.migrate()
            self.ensure_admin()
            self.ensure_service_clients()
            self.start_processes()
            self.wait_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 15.0) -> None:
        """Graceful: SIGTERM to every child (servers finish in-flight requests, workers their
        jobs), then SIGKILL whatever is still running after `timeout`."""
        for child in self.children.values():
            if child.process.poll() is None:
                try:
                    os.killpg(child.process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        for child in self.children.values():
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(child.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                child.process.wait()
            if child.log_file:
                child.log_file.close()
        self.children.clear()
        if self.redis:
            self.redis.stop()
            self.redis = None
        if self.postgres:
            self.postgres.stop()
            self.postgres = None


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


async def _ensure_admin(env: dict[str, str], email: str, password: str) -> bool:
    from services.identity.accounts.service import ensure_admin
    from services.identity.app import build_runtime
    from services.identity.settings import IdentitySettings
    from services.kit.authz import bump_rules_version

    given = {key: env[f"OPENIRM_{key.upper()}"] for key in
             ("database_url", "redis_url", "jwt_secret", "identity_key", "env")
             if env.get(f"OPENIRM_{key.upper()}")}
    settings = IdentitySettings(**given)
    rt = build_runtime(settings)
    try:
        async with rt.db.unit_of_work() as uow:
            created = await ensure_admin(rt, uow, email, password)
        if created:
            await bump_rules_version(rt.redis)
        return created
    finally:
        await rt.close()


async def _ensure_service_clients(env: dict[str, str], services: tuple[str, ...],
                                  given: dict[str, ClientCredentials] | None = None
                                  ) -> dict[str, ClientCredentials]:
    """The services' clients; `given` (compose: ids and secrets from configuration) instead of
    fresh secrets for clients found by name."""
    import uuid

    from services.identity.app import build_runtime
    from services.identity.clients.service import ensure_client
    from services.identity.settings import IdentitySettings

    settings = {key: env[f"OPENIRM_{key.upper()}"] for key in
                ("database_url", "redis_url", "jwt_secret", "identity_key", "env")
                if env.get(f"OPENIRM_{key.upper()}")}
    rt = build_runtime(IdentitySettings(**settings))
    out: dict[str, ClientCredentials] = {}
    try:
        for name in services:
            chosen = (given or {}).get(name)
            async with rt.db.unit_of_work() as uow:
                client = await ensure_client(
                    rt, uow, "system:launcher", f"openirm-{name}",
                    f"OpenIRM's {name} service (provisioned by openirm)", ["service"],
                    client_id=uuid.UUID(chosen.client_id) if chosen else None,
                    secret=chosen.client_secret if chosen else None)
            out[name] = ClientCredentials(str(client.id), client.client_secret)
        return out
    finally:
        await rt.close()
