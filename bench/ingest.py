"""Ingest benchmark: a realistic 30-day mix of every source's activity for 5,000 people sent
through the REST batch endpoint by several concurrent clients; sustained events/s and request
latency, how far scoring lags behind, one large NDJSON stream, and a bare COPY of the same
rows into the same table measured in the same run, so the result reads as a ratio.

    uv run python -m bench.ingest [--quick] [--clients N] [--batch N]

Starts its own stack on embedded PostgreSQL and Redis (or OPENIRM_DATABASE_URL /
OPENIRM_REDIS_URL when set). The last line printed is one JSON object with the figures."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import statistics
import time
import uuid
from datetime import timedelta

import asyncpg

from bench.common import copy_limit, now, pct, plain_url, rest_load, sign_in, start_stack

PEOPLE = 5000
DAYS = 30
EXTENSIONS = ("docx", "xlsx", "pdf", "pptx", "csv", "zip", "png", "txt")
DOMAINS = ("gmail.com", "outlook.com", "fabrikam.com", "proton.me", "partner.example")

# (type, weight, attributes) - weights roughly as such activity occurs in an organisation.
MIX: list[tuple[str, float, dict]] = [
    ("file.downloaded", 25, {}), ("file.synced", 5, {}), ("file.copied", 3, {}),
    ("file.uploaded", 5, {}), ("file.shared_externally", 2, {"target_type": "Guest"}),
    ("file.anonymous_link_created", 0.5, {}), ("file.deleted", 4, {}),
    ("file.renamed", 2, {}), ("file.label_downgraded", 0.3,
                              {"label_from": "Confidential", "label_to": "General"}),
    ("email.sent_external_with_attachment", 5, {"attachment_count": 2}),
    ("email.sent_to_personal_address", 0.5, {}), ("email.sent_with_attachment", 5, {}),
    ("email.forwarding_rule_created", 0.05, {}),
    ("chat.file_shared_externally", 1, {}), ("chat.external_message", 4, {}),
    ("device.file_copied_to_usb", 2, {}), ("device.file_printed", 3, {}),
    ("device.file_uploaded_from_browser", 2, {}), ("device.file_uploaded_to_cloud", 2, {}),
    ("device.file_copied_to_network_share", 1, {}),
    ("device.file_copied_to_cloud_sync_folder", 1, {}), ("device.file_archived", 1, {}),
    ("device.file_renamed", 3, {}), ("device.file_obfuscated", 0.1, {}),
    ("device.file_deleted", 3, {}), ("device.remote_desktop_copy", 0.3, {}),
    ("browsing.risky_site_visited", 2, {"url_category": "personal_cloud_storage"}),
    ("ai.prompt_with_sensitive_info", 2, {"application": "Copilot"}),
    ("ai.response_with_sensitive_info", 1, {"application": "Copilot"}),
    ("security.antivirus_disabled", 0.1, {}), ("security.unwanted_software", 0.1, {}),
    ("security.defense_evasion", 0.05, {}), ("security.failed_sign_ins", 0.3, {"count": 5}),
    ("endpoint_security.alert", 0.1, {"severity": "medium", "status": "new"}),
    ("physical.badge_succeeded", 10, {"asset_id": "HQ-Main"}),
    ("physical.badge_failed", 0.5, {"asset_id": "Lab-2"}),
    ("dlp.rule_match", 1, {"severity": "high", "policy_name": "PCI", "rule_name": "Cards"}),
]
FILE_TYPES = {t for t, _, _ in MIX if t.startswith(("file.", "device.", "email.", "chat."))}


def make_events(n: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    types = [m[0] for m in MIX]
    weights = [m[1] for m in MIX]
    extras = {m[0]: m[2] for m in MIX}
    start = now()
    out = []
    for kind in rnd.choices(types, weights, k=n):
        person = rnd.randrange(PEOPLE)
        attributes = dict(extras[kind])
        if kind in FILE_TYPES:
            ext = rnd.choice(EXTENSIONS)
            attributes |= {"file_name": f"report-{rnd.randrange(10**6)}.{ext}",
                           "path": f"/sites/dept{person % 40}/Shared Documents",
                           "file_extension": ext, "bytes": rnd.randrange(1000, 5_000_000)}
        if kind.startswith(("email.", "chat.")):
            attributes["recipient_domain"] = rnd.choice(DOMAINS)
        if kind == "browsing.risky_site_visited":
            attributes["url"] = f"https://files{rnd.randrange(100)}.example/upload"
        out.append({"id": f"bench-{uuid.uuid4().hex}", "type": kind,
                    "occurred_at": (start - timedelta(seconds=rnd.randrange(DAYS * 86400))
                                    ).isoformat(),
                    "actor": f"user{person}@contoso.example", "source": "bench",
                    "attributes": attributes})
    # A few resignations so the departing-users policy has people to score.
    for person in rnd.sample(range(PEOPLE), PEOPLE // 50):
        day = (start - timedelta(days=rnd.randrange(DAYS))).date().isoformat()
        out.append({"id": f"bench-hr-{uuid.uuid4().hex}", "type": "hr.resignation",
                    "occurred_at": f"{day}T09:00:00+00:00",
                    "actor": f"user{person}@contoso.example", "source": "bench",
                    "attributes": {"resignation_date": day}})
    rnd.shuffle(out)
    return out


async def newest_event(conn: asyncpg.Connection) -> tuple[int, int]:
    row = await conn.fetchrow("SELECT xid::text AS xid, seq FROM ingest.activity_event "
                              "ORDER BY xid DESC, seq DESC LIMIT 1")
    return int(row["xid"]), row["seq"]


async def scoring_position(conn: asyncpg.Connection) -> tuple[int, int]:
    cursor = await conn.fetchval("SELECT cursor FROM scoring.feed_cursor "
                                 "WHERE name = 'ingest.events'")
    if not cursor:
        return 0, 0
    xid, seq = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return int(xid), int(seq)


async def main(quick: bool, clients: int, batch: int) -> dict:
    n_events = 30_000 if quick else 300_000
    stack, startup_s = await start_stack()
    try:
        assert stack.admin is not None
        admin = await sign_in(stack, stack.admin.email)
        import httpx

        scoring, ingest = stack.config.url("scoring"), stack.config.url("ingest")
        async with httpx.AsyncClient(timeout=30) as c:
            h = {"Authorization": f"Bearer {admin}"}
            for ind in (await c.get(f"{scoring}/indicators", headers=h)).json():
                await c.put(f"{scoring}/indicators/{ind['key']}", headers=h,
                            json={"enabled": True})
            await c.post(f"{scoring}/policies", headers=h, json={
                "name": "bench", "template": "data_theft_departing_users"})
        events = make_events(n_events, seed=1)
        # Warm-up: the directory entries of all 5,000 people and the month partitions.
        warm = [{"events": b} for b in _batches(make_events(5 * batch, seed=2), batch)]
        await rest_load(f"{ingest}/events", admin, warm, 1)
        conn = await asyncpg.connect(plain_url(stack.database_url))
        try:
            elapsed, latencies = await rest_load(
                f"{ingest}/events", admin, [{"events": b} for b in _batches(events, batch)],
                clients)
            accepted_at = time.perf_counter()
            rate = len(events) / elapsed
            print(f"ingest: {len(events):,} events in {elapsed:.2f} s = {rate:,.0f} events/s "
                  f"({clients} clients, {batch}-event batches), p50 "
                  f"{statistics.median(latencies):.0f} ms, p99 {pct(latencies, 0.99):.0f} ms",
                  flush=True)
            last = await newest_event(conn)
            while await scoring_position(conn) < last:
                if time.perf_counter() - accepted_at > 600:
                    raise RuntimeError("scoring did not catch up within 600 s")
                await asyncio.sleep(0.05)
            lag_s = time.perf_counter() - accepted_at
            scored_rate = len(events) / (elapsed + lag_s)
            print(f"scoring: caught up {lag_s:.2f} s after the last accepted event "
                  f"({scored_rate:,.0f} events/s end to end)", flush=True)

            stream_events = make_events(n_events // 6, seed=3)
            body = b"".join(json.dumps(e).encode() + b"\n" for e in stream_events)
            stream_s, _ = await rest_load(f"{ingest}/events", admin, [body], 1,
                                          encode=lambda b: b,
                                          content_type="application/x-ndjson")
            stream_rate = len(stream_events) / stream_s
            print(f"one NDJSON stream of {len(stream_events):,} events ({len(body) / 1e6:.1f} "
                  f"MB): {stream_rate:,.0f} events/s", flush=True)
        finally:
            await conn.close()
        limit = await copy_limit(stack.database_url, events)
        print(f"bare COPY of the same rows into the same table: {limit:,.0f} rows/s "
              f"(ingest is {rate / limit:.2f} of it)", flush=True)
    finally:
        stack.stop()
    return {"bench": "ingest", "quick": quick, "events": len(events), "people": PEOPLE,
            "days": DAYS, "types": len(MIX) + 1, "clients": clients, "batch": batch,
            "events_per_s": round(rate), "p50_ms": round(statistics.median(latencies)),
            "p99_ms": round(pct(latencies, 0.99)),
            "copy_limit_events_per_s": round(limit), "ratio_to_limit": round(rate / limit, 3),
            "scoring_lag_s": round(lag_s, 2), "scored_events_per_s": round(scored_rate),
            "ndjson_stream_events_per_s": round(stream_rate), "startup_s": round(startup_s, 2)}


def _batches(events: list[dict], size: int) -> list[list[dict]]:
    return [events[i:i + size] for i in range(0, len(events), size)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run, under a minute")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1000, help="events per request (<= 5000)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.quick, args.clients, args.batch))))
