"""Walking-skeleton benchmark: start-up time of the whole stack, ingest throughput through the
real REST path against a bare COPY of the same rows, how far scoring lags behind, and the latency
from an event's acceptance to its alert.

    uv run python -m bench.pipeline [--quick]

Starts its own stack on embedded PostgreSQL and Redis (or OPENIRM_DATABASE_URL /
OPENIRM_REDIS_URL when set). The last line printed is one JSON object with the figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from bench.common import PASSWORD, copy_limit, pct, plain_url, rest_load, sign_in, start_stack
from openirm.launcher import Stack


def make_events(n: int, people: int, day: datetime) -> list[dict]:
    return [{"id": f"b-{uuid.uuid4().hex}", "type": "file.downloaded",
             "occurred_at": (day - timedelta(seconds=i % 86000)).isoformat(),
             "actor": f"user{i % people}@bench.example", "source": "bench",
             "attributes": {"file_name": f"doc-{i}.docx", "bytes": 1000 + i}}
            for i in range(n)]


async def scored_count(db_url: str) -> int:
    conn = await asyncpg.connect(plain_url(db_url))
    try:
        return await conn.fetchval("SELECT coalesce(sum(count), 0) FROM scoring.daily_activity "
                                   "WHERE indicator = 'download'")
    finally:
        await conn.close()


async def alert_latency(stack: Stack, admin: str, analyst: str, policy_id: str, samples: int
                        ) -> list[float]:
    ingest, cases = stack.config.url("ingest"), stack.config.url("cases")
    out = []
    async with httpx.AsyncClient(timeout=30) as c:
        for n in range(samples):
            actor = f"leaver-{uuid.uuid4().hex[:8]}@bench.example"
            now = datetime.now(UTC)
            events = [{"id": f"l-{uuid.uuid4().hex}", "type": "hr.resignation",
                       "occurred_at": (now - timedelta(days=1)).isoformat(), "actor": actor,
                       "attributes": {}}]
            # 12 USB copies and 12 cloud uploads: two medium contributions, score 40.
            events += [{"id": f"l-{uuid.uuid4().hex}", "type": kind,
                        "occurred_at": now.isoformat(), "actor": actor,
                        "attributes": {"file_name": f"f{i}"}} for i in range(12)
                       for kind in ("device.file_copied_to_usb", "device.file_uploaded_to_cloud")]
            t = time.perf_counter()
            resp = await c.post(f"{ingest}/events", json={"events": events},
                                headers={"Authorization": f"Bearer {admin}"})
            assert resp.status_code == 202
            accepted = time.perf_counter()
            subject = None
            while time.perf_counter() - t < 30:
                page = (await c.get(f"{cases}/alerts", params={"limit": 20},
                                    headers={"Authorization": f"Bearer {analyst}"})).json()
                hit = [a for a in page["items"] if a["policy_id"] == policy_id
                       and a["explanation"]["trigger"]["event_id"] == events[0]["id"]]
                if hit:
                    subject = hit[0]
                    break
                await asyncio.sleep(0.01)
            assert subject, f"no alert for sample {n}"
            out.append((time.perf_counter() - accepted) * 1000)
    return out


async def main(quick: bool) -> dict:
    n_events = 20_000 if quick else 200_000
    batch, clients, samples = 1000, 4, (5 if quick else 20)
    stack, startup_s = await start_stack()
    config = stack.config
    try:
        identity, scoring = config.url("identity"), config.url("scoring")
        async with httpx.AsyncClient(timeout=30) as c:
            assert stack.admin is not None
            admin = await sign_in(stack, stack.admin.email)
            h = {"Authorization": f"Bearer {admin}"}
            for ind in (await c.get(f"{scoring}/indicators", headers=h)).json():
                await c.put(f"{scoring}/indicators/{ind['key']}", headers=h,
                            json={"enabled": True})
            policy = (await c.post(f"{scoring}/policies", headers=h, json={
                "name": "bench", "template": "data_theft_departing_users"})).json()
            await c.post(f"{identity}/accounts", headers=h, json={
                "email": "analyst@bench.example", "display_name": "A", "password": PASSWORD,
                "roles": ["Analyst"]})
            analyst = await sign_in(stack, "analyst@bench.example")

        events = make_events(n_events, 5000, datetime.now(UTC))
        batches = [events[i:i + batch] for i in range(0, n_events, batch)]
        # Warm-up: create the directory entries of all 5,000 people first.
        await rest_load(config.url("ingest") + "/events", admin,
                        [{"events": make_events(batch, 5000, datetime.now(UTC))}
                         for _ in range(5)], 1)
        base_scored = await scored_count(stack.database_url)
        elapsed, latencies = await rest_load(config.url("ingest") + "/events", admin,
                                             [{"events": b} for b in batches], clients)
        ingest_rate = n_events / elapsed
        accepted_at = time.perf_counter()
        print(f"ingest: {n_events} events in {elapsed:.2f} s = {ingest_rate:,.0f} events/s, "
              f"p50 {statistics.median(latencies):.0f} ms, p99 {pct(latencies, 0.99):.0f} ms",
              flush=True)
        while await scored_count(stack.database_url) - base_scored < n_events:
            if time.perf_counter() - accepted_at > 300:
                raise RuntimeError("scoring did not catch up within 300 s")
            await asyncio.sleep(0.05)
        lag_s = time.perf_counter() - accepted_at
        scored_rate = n_events / (elapsed + lag_s)
        print(f"scoring: caught up {lag_s:.2f} s after the last accepted event "
              f"({scored_rate:,.0f} events/s end to end)", flush=True)
        limit = await copy_limit(stack.database_url, events)
        print(f"bare COPY of the same rows: {limit:,.0f} rows/s", flush=True)
        lat = await alert_latency(stack, admin, analyst, policy["id"], samples)
        print(f"event accepted -> alert visible: p50 {statistics.median(lat):.0f} ms, "
              f"p95 {pct(lat, 0.95):.0f} ms over {samples} samples", flush=True)
    finally:
        stack.stop()
    return {"bench": "pipeline", "quick": quick, "startup_s": round(startup_s, 2),
            "events": n_events, "clients": clients, "batch": batch,
            "events_per_s": round(ingest_rate), "p50_ms": round(statistics.median(latencies)),
            "p99_ms": round(pct(latencies, 0.99)), "copy_limit_events_per_s": round(limit),
            "ratio_to_limit": round(ingest_rate / limit, 3),
            "scoring_lag_s": round(lag_s, 2), "scored_events_per_s": round(scored_rate),
            "event_to_alert_p50_ms": round(statistics.median(lat)),
            "event_to_alert_p95_ms": round(pct(lat, 0.95))}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    result = asyncio.run(main(parser.parse_args().quick))
    print(json.dumps(result))
