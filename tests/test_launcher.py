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

from tests.conftest import _free_port_block

ROOT = Path(__file__).resolve().parent.parent


def test_up_demo_raises_an_alert_and_stops_cleanly(tmp_path: Path) -> None:
    base = _free_port_block()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIRM_")}
    env.update({"OPENIRM_PORT_BASE": str(base), "PYTHONUNBUFFERED": "1"})
    proc = subprocess.Popen([sys.executable, "-m", "openirm.cli", "up", "--demo",
                             "--data-dir", str(tmp_path / "data")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        out = "".join(lines)
        assert "Press Ctrl-C" in out, out
        assert re.search(r"Alert raised after [\d.]+ s: AnonymousUser-\w+ score \d+", out), out
        assert f"http://127.0.0.1:{base}/graphql" in out
        admin = re.search(r"Admin account created: (\S+) / (\S+)", out)
        assert admin, out
        # The printed credentials work against the printed GraphQL URL.
        gql = httpx.post(f"http://127.0.0.1:{base}/graphql", json={
            "query": "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) "
                     "{ accessToken } }", "variables": {"e": admin[1], "p": admin[2]}})
        assert gql.json()["data"]["signIn"]["accessToken"]
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert "OpenIRM: stopped." in rest
    # Nothing left listening.
    for offset in range(5):
        try:
            httpx.get(f"http://127.0.0.1:{base + offset}/healthz", timeout=1)
            raise AssertionError(f"port {base + offset} still answers")
        except httpx.ConnectError:
            pass
