"""All SQL of the scoring pipeline. Batches go through arrays (unnest): one statement whatever
the number of rows, compiled once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime
from typing import Any

from pydantic_core import from_json
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.db import driver
from services.scoring.engine.exclusions import Rule, rule_of
from services.scoring.engine.rules import DailyCount, Trigger
from services.scoring.models import Policy, PolicyMember, PriorityGroup

_ADD_COUNTS = """
    INSERT INTO scoring.daily_activity (subject_id, indicator, day, flags, count, bytes)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::smallint[], $5::int[],
                         $6::bigint[])
    ON CONFLICT (subject_id, indicator, day, flags)
    DO UPDATE SET count = scoring.daily_activity.count + excluded.count,
                  bytes = scoring.daily_activity.bytes + excluded.bytes
"""

_ADD_SIGNALS = """
    INSERT INTO scoring.signal (subject_id, occurred_at, event_id, type, attrs)
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::jsonb[])
    ON CONFLICT DO NOTHING
"""

_ADD_TRIGGERS = """
    INSERT INTO scoring.triggering_event (event_id, subject_id, kind, day)
    SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::date[])
    ON CONFLICT DO NOTHING
"""

_UPSERT_SUBJECTS = """
    INSERT INTO scoring.subject (subject_id, alias)
    SELECT * FROM unnest($1::uuid[], $2::text[])
    ON CONFLICT (subject_id) DO UPDATE SET alias = excluded.alias
    WHERE scoring.subject.alias IS DISTINCT FROM excluded.alias
"""

_SOURCES_SEEN = """
    INSERT INTO scoring.source_seen (type, last_seen_at, events)
    SELECT t, now(), n FROM unnest($1::text[], $2::bigint[]) AS s(t, n)
    ON CONFLICT (type) DO UPDATE SET last_seen_at = now(),
                                     events = scoring.source_seen.events + excluded.events
"""

CountKey = tuple[uuid.UUID, str, date, int]

# A signal (aliased `s`) that counts: no suppression rule or benign mark covers it. Every
# reader of signals for scoring (rebuilds, sequences, replays) applies it.
COUNTED = ("NOT EXISTS (SELECT 1 FROM scoring.excluded_event x "
           "WHERE x.subject_id = s.subject_id AND x.event_id = s.event_id)")

_ADD_EXCLUDED = """
    INSERT INTO scoring.excluded_event (subject_id, event_id, source_id, kind, occurred_at,
                                        type)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[],
                         $6::text[])
    ON CONFLICT DO NOTHING
"""


async def add_counts(session: AsyncSession, counts: dict[CountKey, list[int]]) -> None:
    if not counts:
        return
    keys = sorted(counts)  # one lock order for concurrent writers
    conn = await driver(session)
    await conn.execute(_ADD_COUNTS, [k[0] for k in keys], [k[1] for k in keys],
                       [k[2] for k in keys], [k[3] for k in keys],
                       [counts[k][0] for k in keys], [counts[k][1] for k in keys])


async def add_signals(session: AsyncSession, rows: list[tuple[uuid.UUID, datetime, str, str,
                                                               str]]) -> None:
    """Rows of (subject, occurred_at, event id, type, attributes as JSON text)."""
    if rows:
        conn = await driver(session)
        await conn.execute(_ADD_SIGNALS, *(list(col) for col in zip(*rows, strict=True)))


async def add_triggers(session: AsyncSession, rows: list[tuple[str, uuid.UUID, str, date]]
                       ) -> None:
    if rows:
        conn = await driver(session)
        await conn.execute(_ADD_TRIGGERS, *(list(col) for col in zip(*rows, strict=True)))


async def upsert_subjects(session: AsyncSession, aliases: dict[uuid.UUID, str]) -> None:
    if aliases:
        keys = sorted(aliases)
        conn = await driver(session)
        await conn.execute(_UPSERT_SUBJECTS, keys, [aliases[k] for k in keys])


async def sources_seen(session: AsyncSession, types: dict[str, int]) -> None:
    if types:
        keys = sorted(types)
        conn = await driver(session)
        await conn.execute(_SOURCES_SEEN, keys, [types[k] for k in keys])


# --- Reading for a re-score -----------------------------------------------------------------

async def active_policies(session: AsyncSession) -> list[Policy]:
    rows = await session.execute(select(Policy).where(Policy.active).order_by(Policy.id))
    return list(rows.scalars())


async def priority_groups(session: AsyncSession) -> list[PriorityGroup]:
    return list((await session.execute(select(PriorityGroup))).scalars())


async def candidates(session: AsyncSession, everyone_active: bool) -> list[uuid.UUID]:
    """People who could be in scope of some policy: a stored trigger, a manual addition, a
    priority group; with an activity-triggered policy, everyone with activity."""
    sql = """
        SELECT subject_id FROM scoring.triggering_event
        UNION SELECT subject_id FROM scoring.policy_member WHERE removed_at IS NULL
        UNION SELECT CAST(jsonb_array_elements_text(members) AS uuid) FROM scoring.priority_group
    """
    if everyone_active:
        sql += " UNION SELECT subject_id FROM scoring.subject"
    rows = await session.execute(text(sql))
    return sorted(rows.scalars())


async def triggers_of(session: AsyncSession, subjects: list[uuid.UUID]
                      ) -> dict[uuid.UUID, list[Trigger]]:
    conn = await driver(session)
    out: dict[uuid.UUID, list[Trigger]] = {}
    for r in await conn.fetch("SELECT subject_id, kind, day, event_id FROM "
                              "scoring.triggering_event WHERE subject_id = ANY($1::uuid[])",
                              subjects):
        out.setdefault(r["subject_id"], []).append(Trigger(r["kind"], r["day"], r["event_id"]))
    return out


async def members_of(session: AsyncSession, subjects: list[uuid.UUID]
                     ) -> dict[tuple[uuid.UUID, uuid.UUID], list[Trigger]]:
    """Manual additions by (policy, subject)."""
    rows = await session.execute(select(PolicyMember).where(
        PolicyMember.subject_id.in_(subjects), PolicyMember.removed_at.is_(None)))
    out: dict[tuple[uuid.UUID, uuid.UUID], list[Trigger]] = {}
    for m in rows.scalars():
        out.setdefault((m.policy_id, m.subject_id), []).append(
            Trigger("manual", m.starts_on, f"manual:{m.id}", until=m.until))
    return out


async def counts_of(session: AsyncSession, subjects: list[uuid.UUID]
                    ) -> dict[uuid.UUID, list[DailyCount]]:
    conn = await driver(session)
    out: dict[uuid.UUID, list[DailyCount]] = {}
    for r in await conn.fetch("SELECT subject_id, indicator, day, flags, count, bytes FROM "
                              "scoring.daily_activity WHERE subject_id = ANY($1::uuid[])",
                              subjects):
        out.setdefault(r["subject_id"], []).append(
            DailyCount(r["indicator"], r["day"], r["count"], r["flags"], r["bytes"]))
    return out


async def signals_of(session: AsyncSession, subjects: list[uuid.UUID], types: list[str],
                     start: datetime, end: datetime) -> dict[uuid.UUID, list[tuple]]:
    """(occurred_at, event id, type, attributes) of these people's events of these types
    that count."""
    conn = await driver(session)
    out: dict[uuid.UUID, list[tuple]] = {}
    for r in await conn.fetch(
            "SELECT subject_id, occurred_at, event_id, type, attrs FROM scoring.signal s "
            "WHERE subject_id = ANY($1::uuid[]) AND type = ANY($2::text[]) "
            f"AND occurred_at >= $3 AND occurred_at < $4 AND {COUNTED}",
            subjects, types, start, end):
        out.setdefault(r["subject_id"], []).append(
            (r["occurred_at"], r["event_id"], r["type"], r["attrs"]))
    return out


async def subjects_of(session: AsyncSession, subjects: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    conn = await driver(session)
    rows = await conn.fetch("SELECT subject_id, alias, department, high_impact, violations "
                            "FROM scoring.subject WHERE subject_id = ANY($1::uuid[])", subjects)
    return {r["subject_id"]: r for r in rows}


async def exfiltration_totals(session: AsyncSession, indicators: list[str], since: date
                              ) -> list[tuple[uuid.UUID, str | None, int]]:
    """Everyone active since `since`: their exfiltration count and department."""
    conn = await driver(session)
    rows = await conn.fetch("""
        SELECT a.subject_id, s.department,
               coalesce(sum(a.count) FILTER (WHERE a.indicator = ANY($1::text[])), 0) AS n
        FROM scoring.daily_activity a LEFT JOIN scoring.subject s USING (subject_id)
        WHERE a.day >= $2 GROUP BY a.subject_id, s.department
    """, indicators, since)
    return [(r["subject_id"], r["department"], int(r["n"])) for r in rows]


async def scores_of(session: AsyncSession, policy_id: uuid.UUID, subjects: Iterable[uuid.UUID]
                    ) -> dict[uuid.UUID, Any]:
    conn = await driver(session)
    rows = await conn.fetch(
        "SELECT subject_id, score, contributions, version, alerted_version, held, "
        "settings_version "
        "FROM scoring.risk_score WHERE policy_id = $1 AND subject_id = ANY($2::uuid[])",
        policy_id, list(subjects))
    return {r["subject_id"]: r for r in rows}


_UPSERT_SCORES = """
    INSERT INTO scoring.risk_score (policy_id, subject_id, score, severity, contributions,
                                    version, alerted_version, settings_version, held,
                                    computed_at)
    SELECT $1, s, sc, sev, c, v, av, sv, h, now()
    FROM unnest($2::uuid[], $3::int[], $4::text[], $5::jsonb[], $6::int[], $7::int[],
                $8::int[], $9::bool[]) AS t(s, sc, sev, c, v, av, sv, h)
    ON CONFLICT (policy_id, subject_id) DO UPDATE SET
        score = excluded.score, severity = excluded.severity,
        contributions = excluded.contributions, version = excluded.version,
        alerted_version = excluded.alerted_version,
        settings_version = excluded.settings_version, held = excluded.held,
        computed_at = CASE WHEN excluded.version <> scoring.risk_score.version
                           THEN excluded.computed_at ELSE scoring.risk_score.computed_at END
"""

_ADD_CANDIDATES = """
    INSERT INTO scoring.alert_candidate (policy_id, policy_name, subject_id, alias, score,
                                         severity, version, explanation)
    SELECT $1, $2, * FROM unnest($3::uuid[], $4::text[], $5::int[], $6::text[], $7::int[],
                                 $8::jsonb[])
"""


async def write_scores(session: AsyncSession, policy_id: uuid.UUID, rows: list[tuple]) -> None:
    """Rows of (subject, score, severity, contributions JSON, version, alerted version,
    settings version, held), sorted by subject; `computed_at` moves with the version."""
    if rows:
        conn = await driver(session)
        await conn.execute(_UPSERT_SCORES, policy_id,
                           *(list(col) for col in zip(*rows, strict=True)))


async def add_candidates(session: AsyncSession, policy_id: uuid.UUID, policy_name: str,
                         rows: list[tuple]) -> None:
    """Rows of (subject, alias, score, severity, version, explanation JSON)."""
    if rows:
        conn = await driver(session)
        await conn.execute(_ADD_CANDIDATES, policy_id, policy_name,
                           *(list(col) for col in zip(*rows, strict=True)))


async def clear_scores(session: AsyncSession, policy_id: uuid.UUID, subjects: list[uuid.UUID]
                       ) -> None:
    """People no longer scored under a policy (out of its scope, or out of any window): their
    score goes to 0 as a new version, never deleted, so versions only grow and cases takes
    the next alert for them."""
    if subjects:
        conn = await driver(session)
        await conn.execute("""
            UPDATE scoring.risk_score
            SET score = 0, severity = 'low', contributions = '[]'::jsonb,
                version = version + 1, held = false, computed_at = now()
            WHERE policy_id = $1 AND subject_id = ANY($2::uuid[])
              AND (score <> 0 OR contributions <> '[]'::jsonb OR held)""",
                           policy_id, subjects)


async def alerts_today(session: AsyncSession, policy_id: uuid.UUID, day: date) -> int:
    conn = await driver(session)
    return int(await conn.fetchval("SELECT alerts FROM scoring.alert_day WHERE policy_id = $1 "
                                   "AND day = $2", policy_id, day) or 0)


async def count_alert(session: AsyncSession, policy_id: uuid.UUID, day: date, n: int) -> None:
    conn = await driver(session)
    await conn.execute("""
        INSERT INTO scoring.alert_day (policy_id, day, alerts) VALUES ($1, $2, $3)
        ON CONFLICT (policy_id, day) DO UPDATE SET alerts = scoring.alert_day.alerts + $3
    """, policy_id, day, n)


async def held_subjects(session: AsyncSession) -> list[uuid.UUID]:
    rows = await session.execute(text(
        "SELECT DISTINCT subject_id FROM scoring.risk_score WHERE held ORDER BY 1"))
    return list(rows.scalars())


# --- Rebuilding -----------------------------------------------------------------------------

async def clear_aggregates(session: AsyncSession) -> None:
    # DELETE, not TRUNCATE: readers (analytics, health) keep seeing the old rows until the
    # rebuild commits instead of waiting on an exclusive lock for its whole length.
    conn = await driver(session)
    await conn.execute("DELETE FROM scoring.daily_activity")
    await conn.execute("DELETE FROM scoring.triggering_event")


async def stream_signals(session: AsyncSession, where: str = "", args: tuple = (),
                         chunk: int = 5000, *, counted_only: bool = True
                         ) -> AsyncIterator[list[Any]]:
    """Signals in (subject, time) order, chunk by chunk through a server-side cursor; only
    those that count (not excluded) unless `counted_only` is false."""
    conds = [where.removeprefix("WHERE ")] if where else []
    if counted_only:
        conds.append(COUNTED)
    clause = f"WHERE {' AND '.join(conds)} " if conds else ""
    conn = await driver(session)
    cursor = await conn.cursor(
        "SELECT subject_id, occurred_at, event_id, type, attrs FROM scoring.signal s "
        f"{clause}ORDER BY subject_id, occurred_at, event_id", *args)
    while rows := await cursor.fetch(chunk):
        yield rows


async def prune(session: AsyncSession, before: date) -> tuple[int, int]:
    """Forget signals and daily counts of days before `before` (retention)."""
    conn = await driver(session)
    await conn.execute("DELETE FROM scoring.excluded_event WHERE occurred_at < $1",
                       datetime.combine(before, datetime.min.time(), UTC))
    signals = await conn.execute("DELETE FROM scoring.signal WHERE occurred_at < $1",
                                 datetime.combine(before, datetime.min.time(), UTC))
    counts = await conn.execute("DELETE FROM scoring.daily_activity WHERE day < $1", before)
    return int(signals.split()[-1]), int(counts.split()[-1])


# --- Exclusions -----------------------------------------------------------------------------

def _json(value: Any) -> Any:
    return from_json(value) if isinstance(value, str | bytes) else value


async def exclusion_inputs(session: AsyncSession, subjects: list[uuid.UUID]
                           ) -> tuple[dict[uuid.UUID, list[Rule]],
                                      dict[tuple[uuid.UUID, str], uuid.UUID]]:
    """These people's suppression rules (every state: an ended rule still covers its past
    periods) and benign marks by (subject, event id)."""
    conn = await driver(session)
    rules: dict[uuid.UUID, list[Rule]] = {}
    for r in await conn.fetch(
            "SELECT id, subject_id, activity_types, periods FROM scoring.suppression "
            "WHERE subject_id = ANY($1::uuid[]) ORDER BY created_at, id", subjects):
        rules.setdefault(r["subject_id"], []).append(rule_of(
            r["id"], r["subject_id"], _json(r["activity_types"]), _json(r["periods"])))
    marks = {(r["subject_id"], r["event_id"]): r["id"] for r in await conn.fetch(
        "SELECT id, subject_id, event_id FROM scoring.benign_mark "
        "WHERE subject_id = ANY($1::uuid[])", subjects)}
    return rules, marks


async def add_excluded(session: AsyncSession, rows: list[tuple]) -> None:
    """Rows of (subject, event id, rule or mark id, kind, occurred_at, type)."""
    if rows:
        conn = await driver(session)
        await conn.execute(_ADD_EXCLUDED, *(list(col) for col in zip(*sorted(rows),
                                                                       strict=True)))


async def clear_subjects(session: AsyncSession, subjects: list[uuid.UUID]) -> None:
    """Before recounting these people: their daily counts, triggers and exclusions."""
    conn = await driver(session)
    for table in ("daily_activity", "triggering_event", "excluded_event"):
        await conn.execute(f"DELETE FROM scoring.{table} WHERE subject_id = ANY($1::uuid[])",
                           subjects)
