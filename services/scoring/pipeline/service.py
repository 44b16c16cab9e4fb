"""Scoring as events arrive: read ingest's committed-event feed by a durable cursor, keep each
event's signal, update per-person daily aggregates and triggers under the settings in force,
re-score the people touched, and append an alert candidate when a score crosses a policy's
threshold. Signals, aggregates, cursor and candidates commit in one transaction, so a crash
anywhere means the batch is simply read again."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic_core import from_json, to_json

from services.kit.db import UnitOfWork, advisory_xact_lock, try_advisory_xact_lock
from services.kit.feed import load_cursor, save_cursor
from services.kit.jobs import CASES_QUEUE
from services.kit.runtime import Runtime
from services.scoring.engine.catalogue import CUMULATIVE, TEMPLATES
from services.scoring.engine.classify import (
    Detections,
    classify,
    excluded,
    file_key,
    imported,
    trigger_of,
)
from services.scoring.engine.exclusions import Rule, exclusions
from services.scoring.engine.rules import (
    DailyCount,
    Evaluation,
    Facts,
    FileEvent,
    Person,
    PolicyRule,
    Standing,
    Trigger,
    alert_allowed,
    evaluate,
    shift,
    window,
)
from services.scoring.global_settings import service as settings
from services.scoring.global_settings.service import Effective
from services.scoring.models import FeedCursor, Policy, PriorityGroup
from services.scoring.pipeline import repository as repo
from services.scoring.policies.service import to_rule
from services.scoring.settings import ScoringSettings

log = logging.getLogger("openirm.scoring")

SCORING_LOCK = 0x0FE1_0001
EVENTS_CURSOR = "ingest.events"
BATCH = 5000
CUMULATIVE_DAYS = 30
# Attributes scoring does not keep in its signals: lists of people, not used by any rule.
DROPPED_ATTRIBUTES = frozenset({"recipients", "forward_to"})


FEED_PASS_S = 60.0  # one job reads for at most this long; the catch-up goes on after it
LOCK_RETRY_S = (0.05, 0.1, 0.2, 0.4, 0.8)


async def process_feed(rt: Runtime) -> int:
    """Score everything ingest has committed since the cursor; returns events processed.

    One pass at a time reads the feed. A wake-up that finds a pass running retries briefly
    and then leaves the work to it (the running pass reads until the feed is empty, and the
    catch-up runs every 5 s), instead of holding a connection while it queues for the lock."""
    total, started, retries = 0, time.monotonic(), list(LOCK_RETRY_S)
    # The next page is asked for while this one is scored (ingest serves it from another
    # process); it is used only if the cursor, read again under the lock, is the one it
    # was asked for.
    ahead: tuple[str | None, asyncio.Task] | None = None
    try:
        while True:
            items: list[dict] = []
            async with rt.db.unit_of_work(rt.queue) as uow:
                locked = await try_advisory_xact_lock(uow.session, SCORING_LOCK)
                if locked:
                    eff = await settings.current(uow.session)
                    cursor = await load_cursor(uow.session, FeedCursor, EVENTS_CURSOR)
                    if ahead is not None and ahead[0] == cursor:
                        page = await ahead[1]
                    else:
                        if ahead is not None:
                            ahead[1].cancel()
                        page = await _page(rt, cursor)
                    ahead = None
                    items = page["items"]
                    if len(items) >= BATCH:
                        nxt = page["next_cursor"]
                        ahead = (nxt, asyncio.create_task(_page(rt, nxt)))
                    if items:
                        touched = await _aggregate(uow, eff, items)
                        await save_cursor(uow.session, FeedCursor, EVENTS_CURSOR,
                                          page["next_cursor"])
                        await rescore(uow, eff, touched,
                                      await repo.active_policies(uow.session))
            if not locked:
                if not retries:
                    return total
                await asyncio.sleep(retries.pop(0))
                continue
            total += len(items)
            if len(items) < BATCH or time.monotonic() - started > FEED_PASS_S:
                return total
    finally:
        if ahead is not None:
            ahead[1].cancel()


async def _page(rt: Runtime, cursor: str | None) -> dict:
    params: dict[str, Any] = {"limit": BATCH}
    if cursor:
        params["cursor"] = cursor
    return await rt.ingest.request("GET", "/events/feed", params=params)


def fold(eff: Effective, events: Iterable[tuple[uuid.UUID, str, str, datetime, dict]],
         counts: dict[repo.CountKey, list[int]], triggers: list[tuple]) -> None:
    """Add events (subject, event id, type, occurred_at, attributes) to daily counts and
    triggers: the one place events become aggregates, live and when rebuilding."""
    d = eff.detections
    for subject, event_id, kind, occurred, attrs in events:
        for c in classify(d, kind, occurred, attrs):
            row = counts.setdefault((subject, c.indicator, c.day, c.flags), [0, 0])
            row[0] += 1
            row[1] += c.bytes
        trig = trigger_of(d, kind, occurred, attrs)
        if trig:
            triggers.append((event_id, subject, trig[0], trig[1]))


def split_excluded(events: Iterable[tuple[uuid.UUID, str, str, datetime, dict]],
                   rules: dict[uuid.UUID, list[Rule]],
                   marks: dict[tuple[uuid.UUID, str], uuid.UUID]
                   ) -> tuple[list[tuple], list[tuple]]:
    """Events (subject, event id, type, occurred_at, attributes) that count, and rows of
    scoring.excluded_event for those a suppression rule or benign mark covers: the one place
    exclusions are decided, for the live feed and for recounting a person."""
    if not rules and not marks:
        return list(events), []
    counted: list[tuple] = []
    excluded_rows: list[tuple] = []
    for ev in events:
        subject, event_id, kind, occurred, _ = ev
        hits = exclusions(rules.get(subject, ()), marks, subject, event_id, kind, occurred)
        if hits:
            excluded_rows += [(subject, event_id, source, why, occurred, kind)
                              for why, source in hits]
        else:
            counted.append(ev)
    return counted, excluded_rows


async def _aggregate(uow: UnitOfWork, eff: Effective, items: list[dict]
                     ) -> dict[uuid.UUID, set[str]]:
    """Store a page of the feed; returns, per person, what it touched (indicators counted,
    triggers, activity types), so that only the policies it can change are re-evaluated."""
    aliases: dict[uuid.UUID, str] = {}
    signals: list[tuple] = []
    parsed: list[tuple[uuid.UUID, str, str, datetime, dict]] = []
    types: dict[str, int] = defaultdict(int)
    for ev in items:
        subject = uuid.UUID(ev["subject_id"])
        aliases[subject] = ev["alias"]
        occurred = datetime.fromisoformat(ev["occurred_at"])
        attrs = {k: v for k, v in ev["attributes"].items() if k not in DROPPED_ATTRIBUTES}
        signals.append((subject, occurred, ev["id"], ev["type"], to_json(attrs).decode()))
        parsed.append((subject, ev["id"], ev["type"], occurred, attrs))
        types[ev["type"]] += 1
    rules, marks = await repo.exclusion_inputs(uow.session, sorted(aliases))
    counted, excluded_rows = split_excluded(parsed, rules, marks)
    counts: dict[repo.CountKey, list[int]] = {}
    triggers: list[tuple] = []
    fold(eff, counted, counts, triggers)
    await repo.upsert_subjects(uow.session, aliases)
    await repo.add_signals(uow.session, signals)
    await repo.add_excluded(uow.session, excluded_rows)
    await repo.add_counts(uow.session, counts)
    await repo.add_triggers(uow.session, sorted(triggers))
    await repo.sources_seen(uow.session, types)
    touched: dict[uuid.UUID, set[str]] = {s: set() for s in aliases}
    for subject, indicator, _, _ in counts:
        touched[subject].add(indicator)
    for _, subject, kind, _ in triggers:
        touched[subject].add("trigger:" + kind)
    for subject, _, kind, _, _ in parsed:
        touched[subject].add("type:" + kind)
    return touched


def relevant(rule: PolicyRule, eff: Effective) -> frozenset[str]:
    """What, when touched, can change a person's evaluation under a rule (see `_aggregate`):
    its indicators, triggering events and sequence steps, and with cumulative detection
    every exfiltration indicator. Facts (groups, attributes, violations) change through
    their own re-score jobs."""
    keys = {r.key for r in rule.indicators}
    keys |= {"trigger:" + k for k in rule.triggering_events}
    keys |= {"type:" + t for seq in rule.sequences for step in seq.steps for t in step}
    if rule.cumulative:
        keys |= {k for k, i in eff.indicators.items() if i.category == "exfiltration"}
    return frozenset(keys)


# --- Re-scoring -----------------------------------------------------------------------------

def in_scope(policy: Policy, subject: uuid.UUID, department: str | None,
              groups: dict[str, set[str]]) -> bool:
    scope = policy.scope or {}
    kind = scope.get("kind", "all")
    if kind == "groups":
        return department is not None and department in scope.get("groups", [])
    if kind == "people":
        return str(subject) in scope.get("people", [])
    if kind == "priority_groups":
        return any(str(subject) in groups.get(g, ()) for g in scope.get("priority_groups", []))
    return True


class Norms:
    """Everyone's 30-day exfiltration, to place one person against the organisation and their
    department. Computed only when a policy asks for it; the person's own total is always
    fresh (from their counts), the others' may be up to a minute old."""

    def __init__(self, totals: list[tuple[uuid.UUID, str | None, int]], exfil: set[str],
                 since: date) -> None:
        self.exfil, self.since = exfil, since
        self.by_subject = {s: (dept, n) for s, dept, n in totals}
        self.org = sorted(n for _, _, n in totals)
        depts: dict[str | None, list[int]] = defaultdict(list)
        for _, dept, n in totals:
            depts[dept].append(n)
        self.dept = {d: sorted(v) for d, v in depts.items()}

    def total(self, counts: list[DailyCount]) -> int:
        return sum(c.count for c in counts if c.indicator in self.exfil and c.day >= self.since)

    @staticmethod
    def _place(total: int, group: list[int], old: int | None) -> tuple[float, int]:
        """The percentile of `total` in the sorted `group` where the person's `old` total is
        replaced by `total`: a binary search, not a scan."""
        below = bisect_left(group, total)
        size = len(group) + 1
        if old is not None:
            size -= 1
            below -= old < total
        return 100.0 * below / size, size

    def standings(self, subject: uuid.UUID, department: str | None, total: int
                  ) -> tuple[Standing, ...]:
        old_dept, old = self.by_subject.get(subject, (department, None))
        end = shift(self.since, CUMULATIVE_DAYS - 1)
        pct, size = self._place(total, self.org, old)
        out = [Standing("org", total, pct, size, self.since, end)]
        if department is not None:
            peers = self.dept.get(department, [])
            pct, size = self._place(total, peers, old if old_dept == department else None)
            out.append(Standing("peers", total, pct, size, self.since, end))
        return tuple(out)


# The norms move slowly (30 days of everyone's activity): one computation serves a minute of
# scoring passes in this process instead of a scan of 30 days of aggregates per batch.
NORMS_TTL_S = 60.0
_norms_cache: dict[tuple[int, date], tuple[float, Norms]] = {}


async def _norms(uow: UnitOfWork, eff: Effective) -> Norms:
    today = datetime.now(UTC).date()
    key = (eff.version, today)
    cached = _norms_cache.get(key)
    if cached and time.monotonic() - cached[0] < NORMS_TTL_S:
        return cached[1]
    exfil = [k for k, i in eff.indicators.items() if i.category == "exfiltration"
             and i.kind != CUMULATIVE]
    since = today - timedelta(days=CUMULATIVE_DAYS - 1)
    norms = Norms(await repo.exfiltration_totals(uow.session, exfil, since), set(exfil),
                   since)
    _norms_cache.clear()
    _norms_cache[key] = (time.monotonic(), norms)
    return norms


def explanation(policy: Any, ev: Evaluation, settings_version: int) -> dict:
    return {
        "policy_id": str(policy.id) if getattr(policy, "id", None) else None,
        "template": policy.template,
        "settings_version": settings_version,
        "trigger": {"kind": ev.trigger.kind, "day": ev.trigger.day.isoformat(),
                    "event_id": ev.trigger.event_id},
        "window": {"start": ev.window_start.isoformat(), "end": ev.window_end.isoformat()},
        "alert_threshold": policy.alert_threshold,
        "base": ev.base,
        "score": ev.score,
        "contributions": list(ev.contributions),
        "risk_factors": list(ev.risk_factors),
        "formula": "score = min(100, base + boosters); base = indicator + sequence + "
                   "cumulative points; each booster adds its percent of the base once",
    }


def file_event(d: Detections, subject: uuid.UUID, event_id: str, kind: str,
               occurred: datetime, attrs: dict) -> FileEvent | None:
    """An event as a step of a sequence: on a named file, and not excluded (what does not
    count does not complete a sequence either)."""
    if not imported(d, kind, attrs) or excluded(d, attrs):
        return None
    key = file_key(attrs, subject.bytes)
    return FileEvent(key, kind, occurred, event_id) if key else None


def _file_events(d: Detections, subject: uuid.UUID, rows: list[tuple]) -> list[FileEvent]:
    out = []
    for occurred, event_id, kind, attrs in rows:
        if isinstance(attrs, str):
            attrs = from_json(attrs)
        if step := file_event(d, subject, event_id, kind, occurred, attrs):
            out.append(step)
    return out


class Scorer:
    """Everything a re-score of some people needs, loaded once for all policies."""

    def __init__(self, uow: UnitOfWork, eff: Effective, policies: list[Policy]) -> None:
        self.uow, self.eff, self.policies = uow, eff, policies
        self.rules: dict[uuid.UUID, PolicyRule] = {p.id: to_rule(p, eff) for p in policies}
        self.indicator_keys = {pid: frozenset(r.key for r in rule.indicators)
                               for pid, rule in self.rules.items()}

    async def load(self, subjects: list[uuid.UUID],
                   touched: dict[uuid.UUID, set[str]] | None = None) -> None:
        s = self.uow.session
        self.triggers = await repo.triggers_of(s, subjects)
        self.members = await repo.members_of(s, subjects)
        groups: list[PriorityGroup] = await repo.priority_groups(s)
        self.groups = {str(g.id): set(g.members) for g in groups}
        self.in_any_group = set().union(*self.groups.values()) if self.groups else set()
        # Only people some policy can have in scope get their counts loaded.
        self.subjects = [x for x in subjects if self._could_be_scored(x, touched)]
        self.counts = await repo.counts_of(s, self.subjects)
        self.facts_rows = await repo.subjects_of(s, self.subjects)
        wants_norms = any(r.cumulative for r in self.rules.values())
        self.norms = await _norms(self.uow, self.eff) if wants_norms else None
        self.files: dict[uuid.UUID, list[FileEvent]] = {}
        self._facts: dict[uuid.UUID, Facts] = {}

    def _could_be_scored(self, subject: uuid.UUID,
                         touched: dict[uuid.UUID, set[str]] | None) -> bool:
        """A trigger of some policy's kinds (stored, by hand, a priority group), or activity
        on the indicators of a policy its own activity triggers. Re-score jobs (no
        `touched`) take everyone asked for: they also drop scores now out of scope."""
        if touched is None:
            return True
        kinds = {t.kind for t in self.triggers.get(subject, ())}
        if str(subject) in self.in_any_group:
            kinds.add("priority_group")
        for p in self.policies:
            rule = self.rules[p.id]
            if not kinds.isdisjoint(rule.triggering_events) or (p.id, subject) in self.members:
                return True
            if "indicator_activity" in rule.triggering_events and \
                    not self.indicator_keys[p.id].isdisjoint(touched[subject]):
                return True
        return False

    def facts(self, subject: uuid.UUID) -> Facts:
        """Once per person, whatever the number of policies."""
        if subject not in self._facts:
            row = self.facts_rows.get(subject)
            standings: tuple[Standing, ...] = ()
            if self.norms:
                standings = self.norms.standings(subject, row["department"] if row else None,
                                                 self.norms.total(self.counts.get(subject, [])))
            self._facts[subject] = Facts(
                priority_group=str(subject) in self.in_any_group,
                previous_violation=bool(row and row["violations"]),
                high_impact=bool(row and row["high_impact"]), standings=standings,
                min_group_size=self.eff.settings.analytics_min_group_size)
        return self._facts[subject]

    def person(self, policy: Policy, subject: uuid.UUID) -> Person:
        triggers = list(self.triggers.get(subject, []))
        triggers += self.members.get((policy.id, subject), [])
        if str(subject) in self.in_any_group:
            triggers.append(Trigger("priority_group", date.min, "priority_group"))
        return Person(triggers, self.counts.get(subject, []), self.files.get(subject, []),
                      self.facts(subject))

    async def load_files(self, needed: dict[uuid.UUID, tuple[date, date]]) -> None:
        """Events on files, for the people and days sequence detection looks at."""
        if not needed:
            return
        types = sorted({t for r in self.rules.values() for seq in r.sequences
                        for step in seq.steps for t in step})
        start = min(a for a, _ in needed.values())
        end = max(b for _, b in needed.values())
        rows = await repo.signals_of(
            self.uow.session, sorted(needed), types,
            datetime.combine(start, datetime.min.time(), UTC),
            datetime.combine(shift(end, 1), datetime.min.time(), UTC))
        self.files = {s: _file_events(self.eff.detections, s, r) for s, r in rows.items()}


async def rescore(uow: UnitOfWork, eff: Effective,
                  subjects: set[uuid.UUID] | dict[uuid.UUID, set[str]],
                  policies: list[Policy]) -> int:
    """Re-evaluate these people under these policies; returns alert candidates appended.
    Given what each person's new events touched, a policy none of it bears on is skipped
    for them: its evaluation could not change."""
    if not subjects or not policies:
        return 0
    touched = subjects if isinstance(subjects, dict) else None
    scorer = Scorer(uow, eff, policies)
    keys = {p.id: relevant(scorer.rules[p.id], eff) for p in policies}
    if touched is not None:
        subjects = {s for s, t in touched.items()
                    if any(not k.isdisjoint(t) for k in keys.values())}
        if not subjects:
            return 0
    await scorer.load(sorted(subjects), touched)
    if not scorer.subjects:
        return 0
    # Who is in scope of which policy, and the days sequence detection needs to see.
    plans: list[tuple[Policy, uuid.UUID, Person]] = []
    out_of_scope: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    files_needed: dict[uuid.UUID, tuple[date, date]] = {}
    for policy in policies:
        rule = scorer.rules[policy.id]
        for subject in scorer.subjects:
            if touched is not None and keys[policy.id].isdisjoint(touched[subject]):
                continue
            row = scorer.facts_rows.get(subject)
            if not in_scope(policy, subject, row["department"] if row else None,
                             scorer.groups):
                out_of_scope[policy.id].append(subject)
                continue
            person = scorer.person(policy, subject)
            scoped = window(rule, person)
            if scoped is None:
                if touched is None:  # a re-score job: a window that ended clears the score
                    out_of_scope[policy.id].append(subject)
                continue
            plans.append((policy, subject, person))
            if rule.sequences:
                a, b = files_needed.get(subject, (scoped[1], scoped[2]))
                files_needed[subject] = (min(a, scoped[1]), max(b, scoped[2]))
    await scorer.load_files(files_needed)
    for policy_id, gone in out_of_scope.items():
        await repo.clear_scores(uow.session, policy_id, gone)
    appended = 0
    by_policy: dict[uuid.UUID, list[tuple[uuid.UUID, Person]]] = defaultdict(list)
    for policy, subject, person in plans:
        person.files = scorer.files.get(subject, [])
        by_policy[policy.id].append((subject, person))
    for policy in policies:
        if by_policy.get(policy.id):
            appended += await _store(uow, eff, policy, scorer.rules[policy.id],
                                     by_policy[policy.id], scorer)
    if appended:
        uow.enqueue_after_commit(CASES_QUEUE, "alert.sync")
    return appended


async def _store(uow: UnitOfWork, eff: Effective, policy: Policy, rule: PolicyRule,
                 people: list[tuple[uuid.UUID, Person]], scorer: Scorer) -> int:
    """Evaluate, and write what changed: scores (a new version when the score or its
    explanation changed) and alert candidates, each in one statement."""
    current = await repo.scores_of(uow.session, policy.id, [s for s, _ in people])
    today = datetime.now(UTC).date()
    volume = eff.settings.detections.alert_volume
    new_today = await repo.alerts_today(uow.session, policy.id, today)
    new_alerts = 0
    scores: list[tuple] = []
    candidates: list[tuple] = []
    ended: list[uuid.UUID] = []
    for subject, person in sorted(people, key=lambda p: p[0]):
        ev = evaluate(rule, person)
        if ev is None:
            if subject in current:
                ended.append(subject)
            continue
        contributions = list(ev.contributions)
        old = current.get(subject)
        if old is None:
            version, alerted, held, changed = 1, None, False, True
        else:
            changed = old["score"] != ev.score or old["contributions"] != contributions
            version = old["version"] + changed
            alerted, held = old["alerted_version"], old["held"]
        # A changed score, or an unchanged one that now crosses a lowered threshold.
        if not ev.raises_alert or alerted == version:
            held = False
        elif alerted is None and not alert_allowed(volume, ev.severity,
                                                   new_today + new_alerts):
            held = True  # raised on a later day (see promote_held)
        else:
            new_alerts += alerted is None
            held, alerted = False, version
            row = scorer.facts_rows.get(subject)
            candidates.append((subject, row["alias"] if row else "", ev.score, ev.severity,
                               version, to_json(explanation(policy, ev, eff.version)).decode()))
        if old is None or changed or (old["alerted_version"], old["held"]) != (alerted, held):
            computed_with = eff.version if changed else old["settings_version"]
            scores.append((subject, ev.score, ev.severity, to_json(contributions).decode(),
                           version, alerted, computed_with, held))
    await repo.clear_scores(uow.session, policy.id, ended)
    await repo.write_scores(uow.session, policy.id, scores)
    await repo.add_candidates(uow.session, policy.id, policy.name, candidates)
    if new_alerts:
        await repo.count_alert(uow.session, policy.id, today, new_alerts)
    return len(candidates)


# --- Jobs beyond the feed -------------------------------------------------------------------

RESCORE_CHUNK = 500


async def rescore_subjects(rt: Runtime, subjects: list[uuid.UUID],
                           policy_id: uuid.UUID | None = None) -> int:
    """Re-score these people (under one policy, or every active one), chunk by chunk."""
    appended = 0
    for i in range(0, len(subjects), RESCORE_CHUNK):
        async with rt.db.unit_of_work(rt.queue) as uow:
            await advisory_xact_lock(uow.session, SCORING_LOCK)
            eff = await settings.current(uow.session)
            policies = await repo.active_policies(uow.session)
            if policy_id is not None:
                policies = [p for p in policies if p.id == policy_id]
            appended += await rescore(uow, eff, set(subjects[i:i + RESCORE_CHUNK]), policies)
    return appended


async def _candidates(rt: Runtime) -> list[uuid.UUID]:
    async with rt.db.unit_of_work() as uow:
        policies = await repo.active_policies(uow.session)
        always = any("indicator_activity" in TEMPLATES[p.template].triggering_events
                     for p in policies)
        return await repo.candidates(uow.session, always)


async def rescore_policy(rt: Runtime, policy_id: uuid.UUID) -> int:
    """After a policy is created or changed: score everyone who could be in its scope."""
    return await rescore_subjects(rt, await _candidates(rt), policy_id)


async def rescore_all(rt: Runtime) -> int:
    """After a settings change that does not change what counts, and periodically (the
    cumulative norms move with everyone's activity)."""
    return await rescore_subjects(rt, await _candidates(rt))


async def prune(rt: Runtime) -> tuple[int, int]:
    """Retention: scoring forgets what ingest has dropped (signals and counts of days past
    the retention window)."""
    settings_ = rt.settings
    days = settings_.event_retention_days if isinstance(settings_, ScoringSettings) else 365
    before = datetime.now(UTC).date() - timedelta(days=days)
    async with rt.db.unit_of_work() as uow:
        signals, counts = await repo.prune(uow.session, before)
    if signals or counts:
        log.info("retention: forgot %d signals and %d daily counts before %s", signals, counts,
                 before)
    return signals, counts


async def promote_held(rt: Runtime) -> int:
    """Scores held back by yesterday's alert-volume cap get their chance today."""
    async with rt.db.unit_of_work() as uow:
        held = await repo.held_subjects(uow.session)
    return await rescore_subjects(rt, held) if held else 0


async def rebuild(rt: Runtime) -> int:
    """Recompute every daily aggregate and trigger from the stored signals under the settings
    in force, then re-score everyone. Holds the scoring lock, so the feed waits."""
    started = time.monotonic()
    events = 0
    async with rt.db.unit_of_work(rt.queue) as uow:
        await advisory_xact_lock(uow.session, SCORING_LOCK)
        eff = await settings.current(uow.session)
        await repo.clear_aggregates(uow.session)
        async for rows in repo.stream_signals(uow.session):
            counts: dict[repo.CountKey, list[int]] = {}
            triggers: list[tuple] = []
            fold(eff, ((r["subject_id"], r["event_id"], r["type"], r["occurred_at"],
                        r["attrs"]) for r in rows), counts, triggers)
            await repo.add_counts(uow.session, counts)
            await repo.add_triggers(uow.session, sorted(triggers))
            events += len(rows)
    log.info("rebuilt aggregates from %d signals under settings version %d in %.1f s",
             events, eff.version, time.monotonic() - started)
    await rescore_all(rt)
    return events



async def recount(rt: Runtime, subjects: list[uuid.UUID]) -> int:
    """After a suppression rule or benign mark of these people changed: decide again which of
    their signals count, rebuild their daily counts and triggers from those, and re-score
    them. Holds the scoring lock (the feed waits), so an event the feed was storing while the
    rule was written is seen here; running it twice gives the same result. Returns the
    events excluded."""
    if not subjects:
        return 0
    subjects = sorted(set(subjects))
    async with rt.db.unit_of_work(rt.queue) as uow:
        await advisory_xact_lock(uow.session, SCORING_LOCK)
        eff = await settings.current(uow.session)
        rules, marks = await repo.exclusion_inputs(uow.session, subjects)
        await repo.clear_subjects(uow.session, subjects)
        excluded_rows: list[tuple] = []
        async for rows in repo.stream_signals(uow.session, "WHERE subject_id = ANY($1::uuid[])",
                                              (subjects,), counted_only=False):
            counted, out = split_excluded(
                ((r["subject_id"], r["event_id"], r["type"], r["occurred_at"], r["attrs"])
                 for r in rows), rules, marks)
            excluded_rows += out
            counts: dict[repo.CountKey, list[int]] = {}
            triggers: list[tuple] = []
            fold(eff, counted, counts, triggers)
            await repo.add_counts(uow.session, counts)
            await repo.add_triggers(uow.session, sorted(triggers))
        await repo.add_excluded(uow.session, excluded_rows)
        await rescore(uow, eff, set(subjects), await repo.active_policies(uow.session))
    return len(excluded_rows)
