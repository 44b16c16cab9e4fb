"""`openirm up --demo` as a user runs it: embedded servers, every process, a seeded alert, and
a clean stop on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from openirm.config import free_port_block

ROOT = Path(__file__).resolve().parent.parent


def _sign_in(graphql: str, email: str, password: str) -> str:
    resp = httpx.post(graphql, json={
        "query": "mutation($e: String!, $p: String!) { signIn(input: {email: $e, "
                 "password: $p}) { session { accessToken } } }",
        "variables": {"e": email, "p": password}})
    return resp.json()["data"]["signIn"]["session"]["accessToken"]


def _up(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, int, str]:
    """Start `openirm up` and read its output until it is ready."""
    base = free_port_block()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIRM_")}
    env.update({"OPENIRM_PORT_BASE": str(base), "PYTHONUNBUFFERED": "1"})
    proc = subprocess.Popen([sys.executable, "-m", "openirm.cli", "up", *args,
                             "--data-dir", str(tmp_path / "data")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Press Ctrl-C" in line:
            break
    return proc, base, "".join(lines)


def _nothing_listens(base: int) -> None:
    for offset in range(5):
        try:
            httpx.get(f"http://127.0.0.1:{base + offset}/healthz", timeout=1)
            raise AssertionError(f"port {base + offset} still answers")
        except httpx.ConnectError:
            pass


def test_up_demo_raises_an_alert_and_stops_cleanly(tmp_path: Path) -> None:
    proc, base, out = _up(tmp_path, "--demo")
    try:
        assert "Press Ctrl-C" in out, out
        assert re.search(r"Alert raised after [\d.]+ s: AnonymousUser-\w+ score \d+", out), out
        assert f"http://127.0.0.1:{base}/graphql" in out
        admin = re.search(r"Admin account created: (\S+) / (\S+)", out)
        assert admin, out
        # The printed credentials work against the printed GraphQL URL.
        graphql = f"http://127.0.0.1:{base}/graphql"
        assert _sign_in(graphql, admin[1], admin[2])
        # The demo's alert is visible through GraphQL to the demo Analyst.
        token = _sign_in(graphql, "analyst@openirm.local", "demo-password-123")
        alerts = httpx.post(graphql, headers={"Authorization": f"Bearer {token}"}, json={
            "query": "{ alerts(first: 10) { edges { node { score severity person { alias } "
                     "explanation { contributions { indicator points } } } } } }"}).json()
        [edge] = alerts["data"]["alerts"]["edges"]
        assert edge["node"]["score"] == sum(
            c["points"] for c in edge["node"]["explanation"]["contributions"]) > 0
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert "OpenIRM: stopped." in rest
    _nothing_listens(base)


def test_a_crashed_process_stops_the_whole_stack(tmp_path: Path) -> None:
    proc, base, out = _up(tmp_path)
    try:
        assert "Press Ctrl-C" in out, out
        workers = [p for p in psutil.Process(proc.pid).children()
                   if "worker" in p.cmdline() and "scoring" in p.cmdline()]
        assert len(workers) == 1
        workers[0].kill()
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "scoring-worker (exit -9) stopped unexpectedly; stopping the whole stack" in rest
    _nothing_listens(base)


def test_a_killed_launcher_takes_its_processes_with_it(tmp_path: Path) -> None:
    proc, base, out = _up(tmp_path)
    assert "Press Ctrl-C" in out, out
    children = psutil.Process(proc.pid).children()
    proc.kill()  # no chance to clean up
    proc.wait()
    ours = [p for p in children if "openirm.cli" in p.cmdline()]
    assert len(ours) == 7
    _, alive = psutil.wait_procs(ours, timeout=20)
    assert not alive, [p.cmdline() for p in alive]
    _nothing_listens(base)
    # A new start on the same data reuses what is left behind (PostgreSQL) and replaces the
    # orphaned Redis, then stops cleanly.
    again, base2, out2 = _up(tmp_path)
    try:
        assert "Press Ctrl-C" in out2, out2
    finally:
        again.send_signal(signal.SIGINT)
        rest, _ = again.communicate(timeout=60)
    assert again.returncode == 0, rest
    _nothing_listens(base2)
    # ... and leaves no database or Redis server behind.
    leftovers = [p.cmdline() for p in psutil.process_iter(["cmdline"])
                 if str(tmp_path) in " ".join(p.info["cmdline"] or [])]
    assert not leftovers, leftovers


def test_each_process_gets_the_operators_settings_but_only_its_keys(
        tmp_path: Path, monkeypatch) -> None:
    from openirm.config import StackConfig
    from openirm.launcher import Stack

    monkeypatch.setenv("OPENIRM_ACCESS_TOKEN_TTL_S", "600")
    monkeypatch.setenv("OPENIRM_ADMIN_PASSWORD", "not-for-children-123")
    stack = Stack(StackConfig.from_env(tmp_path))
    stack.database_url, stack.redis_url = "postgresql://db/x", "redis://r/0"
    stack.secrets = {"jwt_secret": "j" * 32, "identity_key": "k" * 32}
    identity, cases, gateway = (stack.env(p) for p in ("identity", "cases", "gateway"))
    for env in (identity, cases, gateway):
        assert env["OPENIRM_ACCESS_TOKEN_TTL_S"] == "600"
        assert "OPENIRM_ADMIN_PASSWORD" not in env
    assert identity["OPENIRM_IDENTITY_KEY"] == "k" * 32
    assert "OPENIRM_IDENTITY_KEY" not in cases and cases["OPENIRM_JWT_SECRET"] == "j" * 32
    assert not {"OPENIRM_DATABASE_URL", "OPENIRM_JWT_SECRET",
                "OPENIRM_IDENTITY_KEY"} & set(gateway)
    assert gateway["OPENIRM_REDIS_URL"] == "redis://r/0"  # the live events of subscriptions
