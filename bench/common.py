"""What the benchmarks share: a stack of their own, staff tokens, a concurrent REST load with
latencies, and a bare COPY into the event table as the limit to compare against."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from openirm.config import StackConfig, free_port_block, ports_from
from openirm.launcher import Stack
from services.kit.db import async_url

PASSWORD = "bench-password-123456"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def plain_url(db_url: str) -> str:
    return async_url(db_url).replace("postgresql+asyncpg://", "postgresql://")


async def start_stack() -> tuple[Stack, float]:
    """A stack in a fresh directory (embedded servers unless OPENIRM_DATABASE_URL /
    OPENIRM_REDIS_URL are set); returns it and its start-up time in seconds."""
    data_dir = Path(tempfile.mkdtemp(prefix="openirm-bench-"))
    config = StackConfig.from_env(data_dir)
    config.ports = ports_from(free_port_block())
    os.environ["OPENIRM_ADMIN_PASSWORD"] = PASSWORD
    stack = Stack(config, log_to_files=True)
    t0 = time.perf_counter()
    await asyncio.to_thread(stack.start)  # the launcher runs its own event loops
    startup_s = time.perf_counter() - t0
    print(f"stack ready in {startup_s:.2f} s (embedded={stack.postgres is not None})",
          flush=True)
    return stack, startup_s


async def sign_in(stack: Stack, email: str) -> str:
    async with httpx.AsyncClient(timeout=30) as c:
        resp = await c.post(f"{stack.config.url('identity')}/auth/token",
                            json={"email": email, "password": PASSWORD})
        resp.raise_for_status()
        return resp.json()["access_token"]


async def rest_load(url: str, token: str, bodies: list[Any], clients: int,
                    encode: Callable[[Any], bytes] = lambda b: json.dumps(b).encode(),
                    content_type: str = "application/json") -> tuple[float, list[float]]:
    """POST every body with `clients` concurrent connections; (seconds, latencies in ms)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(encode(body))
    latencies: list[float] = []

    async def client() -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
        async with httpx.AsyncClient(timeout=120, headers=headers) as c:
            while not queue.empty():
                body = queue.get_nowait()
                t = time.perf_counter()
                resp = await c.post(url, content=body)
                latencies.append((time.perf_counter() - t) * 1000)
                assert resp.status_code == 202, resp.text

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - start, latencies


async def copy_limit(db_url: str, events: list[dict]) -> float:
    """A bare COPY of the same rows (fresh ids) into the same partitioned event table, in a
    transaction rolled back afterwards: the rate the storage itself allows."""
    conn = await asyncpg.connect(plain_url(db_url))
    try:
        subject = uuid.uuid4()
        rows = [(f"copy-{uuid.uuid4().hex}", subject, "AnonymousUser-BENCH", e["type"],
                 "collection", datetime.fromisoformat(e["occurred_at"]), e.get("source", "x"),
                 json.dumps(e["attributes"])) for e in events]
        columns = ["id", "subject_id", "alias", "type", "category", "occurred_at", "source",
                   "attributes"]
        tx = conn.transaction()
        await tx.start()
        start = time.perf_counter()
        for i in range(0, len(rows), 5000):
            await conn.copy_records_to_table("activity_event", schema_name="ingest",
                                             records=rows[i:i + 5000], columns=columns)
        rate = len(rows) / (time.perf_counter() - start)
        await tx.rollback()
        return rate
    finally:
        await conn.close()


def now() -> datetime:
    return datetime.now(UTC)
