"""Alert queue benchmark: seeds 100,000 alerts (one change-log row each) and 10,000 cases
straight into the database, then times through real HTTP the alert queue's list with several
filter and sort combinations (first pages and deep keyset pages), the counts, open alerts over
time, the triage dashboard and the SIEM feed's paging, against GET /healthz as the bare limit.

    uv run python -m bench.queue [--quick]

Starts its own stack on embedded PostgreSQL and Redis (or OPENIRM_DATABASE_URL /
OPENIRM_REDIS_URL when set). The last line printed is one JSON object with the figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from bench.common import PASSWORD, pct, plain_url, sign_in, start_stack
from services.cases.alerts import assistant

POLICIES = 20
STATUSES = (("needs_review", 0.2), ("dismissed", 0.3), ("confirmed", 0.25), ("resolved", 0.25))
FACTOR_SETS = ([], ["sequence"], ["priority_content", "sequence"], ["unallowed_domains"],
               ["above_usual_activity", "priority_content"], ["cumulative_exfiltration"])


@dataclass
class Seeded:
    policy_ids: list[uuid.UUID]
    alerts: int
    cases: int
    seconds: float


@dataclass
class Context:
    """What an extra measurement gets: the stack's URLs, a reviewer token, what was seeded."""

    cases_url: str
    ingest_url: str
    token: str
    seeded: Seeded
    extra: dict[str, Any] = field(default_factory=dict)


def _explanation(score: int, factors: list[str]) -> dict:
    rows = [{"kind": "indicator", "indicator": "usb_copy", "day": "2026-11-20", "count": 15,
             "weighted_count": 18, "priority_count": 3 if "priority_content" in factors else 0,
             "unallowed_count": 6 if "unallowed_domains" in factors else 0, "level": "medium",
             "points": 20}]
    if "sequence" in factors:
        rows.append({"kind": "sequence", "sequence": "collect_exfiltrate",
                     "name": "Collect, then exfiltrate", "steps": 2, "file_count": 1,
                     "files": ["f-1"], "points": 20})
    if "above_usual_activity" in factors:
        rows.append({"kind": "booster", "booster": "booster_above_baseline", "percent": 25,
                     "points": 10, "evidence": {"indicator": "usb_copy", "day": "2026-11-20",
                                                "count": 15, "baseline": 0.5}})
    scoring_factors = [f for f in factors if f != "above_usual_activity"]
    return {"trigger": {"kind": "hr.resignation", "day": "2026-11-18", "event_id": "e"},
            "score": score, "contributions": rows, "risk_factors": scoring_factors}


async def seed(db_url: str, n_alerts: int, n_cases: int, *,
               subjects: list[uuid.UUID] | None = None,
               policies: list[uuid.UUID] | None = None) -> Seeded:
    """Every alert has its own (policy, person) pair, so open ones never collide; each person
    has one active case (their confirmed alerts) and one closed case (their resolved ones).
    `subjects` and `policies` may name real people and policies (default: made-up ids)."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    subjects = subjects or [uuid.uuid4() for _ in range(max(1, n_cases // 2))]
    policies = policies or [uuid.uuid4() for _ in range(POLICIES)]
    pairs = [(p, s) for s in subjects for p in policies]
    rng.shuffle(pairs)
    while len(pairs) < n_alerts:  # more alerts than pairs: add people without cases
        extra = uuid.uuid4()
        pairs += [(p, extra) for p in policies]
    pairs = pairs[:n_alerts]
    active = {s: uuid.uuid4() for s in subjects}
    closed = {s: uuid.uuid4() for s in subjects}
    alias = {s: f"AnonymousUser-{s.hex[:6].upper()}" for _, s in pairs}
    case_rows = []
    for s in subjects:
        case_rows.append((active[s], "Bench case", s, alias.get(s, "AnonymousUser-X"), "active",
                          None, None, "user:bench", now - timedelta(days=80), now, None))
        done = now - timedelta(days=rng.uniform(0, 10))
        case_rows.append((closed[s], "Bench case", s, alias.get(s, "AnonymousUser-X"), "closed",
                          "benign", "bench", "user:bench", now - timedelta(days=85), done, done))
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    alert_rows, change_rows = [], []
    per_subject: dict[uuid.UUID, int] = {}
    for _, s in pairs:
        per_subject[s] = per_subject.get(s, 0) + 1
    for policy, subject in pairs:
        status = rng.choices(statuses, weights)[0]
        score = rng.randint(20, 100)
        severity = "high" if score >= 70 else "medium" if score >= 40 else "low"
        factors = sorted(rng.choice(FACTOR_SETS))
        created = now - timedelta(seconds=rng.uniform(0, 90 * 86400))
        triaged = None if status == "needs_review" else min(
            now, created + timedelta(hours=rng.uniform(1, 120)))
        case_id = (active.get(subject) if status == "confirmed"
                   else closed.get(subject) if status == "resolved" else None)
        if case_id is None and status in ("confirmed", "resolved"):
            status, triaged = "dismissed", triaged or created
        explanation = json.dumps(_explanation(score, factors))
        alert_id = uuid.uuid4()
        alert_rows.append((alert_id, policy, f"Policy {policies.index(policy)}", subject,
                           alias[subject], status, severity, score, 1, explanation, case_id,
                           "false_positive" if status == "dismissed" else None, created,
                           triaged or created, factors,
                           assistant.priority_base(severity, score, factors),
                           per_subject[subject] - 1, triaged))
        change_rows.append((alert_id, "created", policy, f"Policy {policies.index(policy)}",
                            subject, alias[subject], status, severity, score, explanation,
                            case_id, created, triaged or created))
    conn = await asyncpg.connect(plain_url(db_url))
    t0 = time.perf_counter()
    try:
        async with conn.transaction():
            await conn.copy_records_to_table("case", schema_name="cases", records=case_rows,
                                             columns=["id", "title", "subject_id", "alias",
                                                      "status", "classification", "resolution",
                                                      "created_by", "created_at", "updated_at",
                                                      "closed_at"])
            for i in range(0, len(alert_rows), 10000):
                await conn.copy_records_to_table(
                    "alert", schema_name="cases", records=alert_rows[i:i + 10000],
                    columns=["id", "policy_id", "policy_name", "subject_id", "alias", "status",
                             "severity", "score", "score_version", "explanation", "case_id",
                             "dismiss_reason", "created_at", "updated_at", "risk_factors",
                             "priority_base", "related_count", "triaged_at"])
                await conn.copy_records_to_table(
                    "alert_change", schema_name="cases", records=change_rows[i:i + 10000],
                    columns=["alert_id", "operation", "policy_id", "policy_name",
                             "subject_id", "alias", "status", "severity", "score",
                             "explanation", "case_id", "detected_at", "changed_at"])
        for table in ("alert", "alert_change", "case"):
            await conn.execute(f'VACUUM ANALYZE cases."{table}"')
    finally:
        await conn.close()
    return Seeded(policies, len(alert_rows), len(case_rows), time.perf_counter() - t0)


ACTIVITY_TYPES = ("device.file_copied_to_usb", "device.file_uploaded_to_cloud",
                  "file.downloaded", "file.shared_externally")


async def seed_case_activity(db_url: str, ingest_url: str, admin: str, n_events: int
                             ) -> dict[str, str]:
    """One person with `n_events` activities over 30 days sent through ingest, and an active
    case about them (straight into the database, like the seeded ones)."""
    actor = f"bench-person-{uuid.uuid4().hex[:6]}@bench.example"
    now = datetime.now(UTC)
    events = [{"id": f"bq-{uuid.uuid4().hex}", "type": ACTIVITY_TYPES[i % len(ACTIVITY_TYPES)],
               "occurred_at": (now - timedelta(seconds=30 * 86400 * i / n_events + 60)
                               ).isoformat(),
               "actor": actor, "source": "bench",
               "attributes": {"file_name": f"report-{i}.docx"}} for i in range(n_events)]
    async with httpx.AsyncClient(timeout=120, headers={"Authorization": f"Bearer {admin}"}) as c:
        for i in range(0, n_events, 1000):
            resp = await c.post(f"{ingest_url}/events", json={"events": events[i:i + 1000]})
            resp.raise_for_status()
    conn = await asyncpg.connect(plain_url(db_url))
    try:
        subject = await conn.fetchval(
            "SELECT subject_id FROM ingest.activity_event WHERE id = $1", events[0]["id"])
        case_id = uuid.uuid4()
        await conn.execute(
            'INSERT INTO cases."case" (id, title, subject_id, alias, status, created_by, '
            "created_at, updated_at) VALUES ($1, 'Bench activity case', $2, "
            "'AnonymousUser-BENCH1', 'active', 'user:bench', $3, $3)",
            case_id, subject, now - timedelta(days=1))
    finally:
        await conn.close()
    return {"subject_id": str(subject), "case_id": str(case_id)}


def case_activity_targets(ctx: Context) -> dict[str, tuple[str, dict]]:
    """One case's user activity (a person with `activity_events` activities over 30 days):
    the case's activity page, the person's chart and one drill-down."""
    seeded = ctx.extra.get("case_activity")
    if not seeded:
        return {}
    people = f"{ctx.cases_url}/people/{seeded['subject_id']}"
    return {
        "case_activity_page": (f"{ctx.cases_url}/cases/{seeded['case_id']}/activity",
                               {"limit": 50}),
        "person_activity_chart_30d": (f"{people}/activity/chart", {}),
        "person_alerts": (f"{people}/alerts", {}),
    }


def targets(ctx: Context) -> dict[str, tuple[str, dict]]:
    base = f"{ctx.cases_url}/alerts"
    since = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    policy = str(ctx.seeded.policy_ids[0])
    return {
        "queue_default": (base, {"limit": 50}),
        "queue_open_by_priority": (base, {"status": "needs_review", "sort": "priority"}),
        "queue_open_high_by_sla": (base, {"status": "needs_review", "severity": "high",
                                          "sort": "sla_due"}),
        "queue_risk_factors": (base, {"risk_factor": ["sequence", "priority_content"]}),
        "queue_policy_30d_by_score": (base, {"policy_id": policy, "detected_from": since,
                                             "sort": "score"}),
        "queue_sla_breached": (base, {"sla_breached": "true"}),
        "queue_by_severity": (base, {"sort": "severity"}),
        "counts_all": (f"{base}/counts", {}),
        "counts_open": (f"{base}/counts", {"status": "needs_review"}),
        "open_over_time_30d": (f"{base}/open-over-time", {}),
        "dashboard_30d": (f"{ctx.cases_url}/dashboards/triage", {}),
        **case_activity_targets(ctx),
    }


async def _time(c: httpx.AsyncClient, url: str, params: dict, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        resp = await c.get(url, params=params)
        out.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, resp.text
    return out


async def _walk(c: httpx.AsyncClient, url: str, params: dict, pages: int,
                cursor_key: str = "next_cursor") -> list[float]:
    """Keyset paging: each page's latency, following the cursor."""
    out, cursor = [], None
    for _ in range(pages):
        t = time.perf_counter()
        resp = await c.get(url, params=params | ({"cursor": cursor} if cursor else {}))
        out.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, resp.text
        cursor = resp.json()[cursor_key]
        if not cursor:
            break
    return out


Extra = Callable[[Context], Awaitable[dict[str, Any]]]
EXTRAS: list[Extra] = []  # further measurements (same Context), merged into the JSON line


async def main(quick: bool) -> dict:
    n_alerts, n_cases = (10_000, 1_000) if quick else (100_000, 10_000)
    reps, pages = (15, 10) if quick else (40, 30)
    stack, _ = await start_stack()
    figures: dict[str, Any] = {"bench": "queue", "quick": quick}
    try:
        assert stack.admin is not None
        seeded = await seed(stack.database_url, n_alerts, n_cases)
        print(f"seeded {seeded.alerts} alerts (and their change rows) and {seeded.cases} cases "
              f"in {seeded.seconds:.1f} s", flush=True)
        admin = await sign_in(stack, stack.admin.email)
        cases_url = stack.config.url("cases")
        email = f"bench-analyst-{uuid.uuid4().hex[:6]}@bench.example"
        async with httpx.AsyncClient(timeout=60) as c:
            resp = await c.post(f"{stack.config.url('identity')}/accounts",
                                headers={"Authorization": f"Bearer {admin}"},
                                json={"email": email, "display_name": "Bench analyst",
                                      "password": PASSWORD, "roles": ["Analyst"]})
            resp.raise_for_status()
        token = await sign_in(stack, email)
        ctx = Context(cases_url, stack.config.url("ingest"), token, seeded)
        n_events = 500 if quick else 5_000
        ctx.extra["case_activity"] = await seed_case_activity(
            stack.database_url, ctx.ingest_url, admin, n_events)
        figures["activity_events"] = n_events
        print(f"one case's person: {n_events} activities over 30 days", flush=True)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=60, headers=headers) as c:
            for url, params in targets(ctx).values():  # warm-up (scope and rules cached)
                await _time(c, url, params, 2)
            bare = await _time(c, f"{cases_url}/healthz", {}, reps)
            bare_p50 = statistics.median(bare)
            figures |= {"healthz_p50_ms": round(bare_p50, 2),
                        "healthz_p95_ms": round(pct(bare, 0.95), 2)}
            print(f"GET /healthz (bare limit): p50 {bare_p50:.2f} ms", flush=True)
            worst = 0.0
            for name, (url, params) in targets(ctx).items():
                got = await _time(c, url, params, reps)
                p50, p95 = statistics.median(got), pct(got, 0.95)
                worst = max(worst, p95)
                figures |= {f"{name}_p50_ms": round(p50, 2), f"{name}_p95_ms": round(p95, 2)}
                print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
            for name, url, params, key in (
                    ("queue_pages_detected", f"{cases_url}/alerts", {"limit": 50},
                     "next_cursor"),
                    ("queue_pages_priority", f"{cases_url}/alerts",
                     {"limit": 50, "status": "needs_review", "sort": "priority"}, "next_cursor"),
                    ("feed_pages", f"{cases_url}/alerts/feed", {"limit": 100}, "next_cursor")):
                got = await _walk(c, url, params, pages, key)
                p50, p95 = statistics.median(got), pct(got, 0.95)
                worst = max(worst, p95)
                figures |= {f"{name}_p50_ms": round(p50, 2), f"{name}_p95_ms": round(p95, 2),
                            f"{name}_walked": len(got)}
                print(f"{name} ({len(got)} pages): p50 {p50:.1f} ms, p95 {p95:.1f} ms",
                      flush=True)
            for extra in EXTRAS:
                figures |= await extra(ctx)
        figures |= {"alerts": seeded.alerts, "cases": seeded.cases,
                    "seed_s": round(seeded.seconds, 1), "worst_p95_ms": round(worst, 1),
                    "queue_default_ratio_to_healthz": round(
                        figures["queue_default_p50_ms"] / bare_p50, 1)}
    finally:
        stack.stop()
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 alerts, under a minute")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.quick))))
