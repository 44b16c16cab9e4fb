"""The scoring rules: plain functions over plain data, no I/O. The formula is documented,
with a worked example, in docs/scoring.md; every number here is in it.

A person is scored under a policy only inside the window around their latest triggering
event of the policy's kinds. Inside it, each indicator-day contributes by the level its count
(or bytes) reaches; detected sequences and cumulative exfiltration add their own points;
boosters then add a share of that base, each at most once. Every point is a row of the
explanation, and the rows add up to the score exactly."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.scoring.engine.catalogue import BOOSTER_PCT, CUMULATIVE_SCOPE, SequenceDef
from services.scoring.engine.classify import PRIORITY_ANY, UNALLOWED

LEVEL_POINTS = {"low": 10, "medium": 20, "high": 35}
LEVELS = ("low", "medium", "high")
MAX_SCORE = 100
BASELINE_DAYS = 30
BASELINE_MULTIPLIERS = (2, 4, 8)  # "above usual activity": times the person's daily average
ABOVE_BASELINE_FACTOR = 3
SEQUENCE_POINTS = {2: 20, 3: 30, 4: 40}
SEQUENCE_MAX_POINTS = 50
CUMULATIVE_PERCENTILES = (90.0, 95.0, 99.0)
CUMULATIVE_MIN_EVENTS = 10
ALWAYS_ON = ("priority_group", "indicator_activity")
ALERT_VOLUME_DAILY_CAP = {"fewer": 10, "default": 50, "more": 200}


@dataclass(frozen=True)
class IndicatorRule:
    key: str
    thresholds: tuple[int, int, int] | None  # None: above the person's usual activity
    byte_thresholds: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class PolicyRule:
    triggering_events: tuple[str, ...]
    indicators: tuple[IndicatorRule, ...]
    alert_threshold: int
    activation_days: int
    past_days: int
    priority_content: int = 0  # flags of the priority content kinds the policy weighs
    boosters: frozenset[str] = frozenset()
    sequences: tuple[SequenceDef, ...] = ()
    cumulative: frozenset[str] = frozenset()
    scope_is_priority: bool = False


@dataclass(frozen=True)
class Trigger:
    kind: str
    day: date
    event_id: str
    until: date | None = None  # a manual add ends on this day


@dataclass(frozen=True)
class DailyCount:
    indicator: str
    day: date
    count: int
    flags: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class FileEvent:
    """One event on a file, for sequence detection."""

    file: str
    type: str
    at: datetime
    event_id: str


@dataclass(frozen=True)
class Standing:
    """A person's 30-day exfiltration against a group's (computed by the pipeline)."""

    scope: str  # "org" or "peers"
    total: int
    percentile: float
    group_size: int
    start: date = date.min  # the days the totals cover: a window that does not reach them
    end: date = date.max  # gets no cumulative points


@dataclass(frozen=True)
class Facts:
    """What else is known about the person."""

    priority_group: bool = False
    previous_violation: bool = False
    high_impact: bool = False
    standings: tuple[Standing, ...] = ()
    min_group_size: int = 5


@dataclass
class Person:
    triggers: list[Trigger] = field(default_factory=list)
    counts: list[DailyCount] = field(default_factory=list)
    files: list[FileEvent] = field(default_factory=list)
    facts: Facts = field(default_factory=Facts)


@dataclass(frozen=True)
class Evaluation:
    score: int
    severity: str
    raises_alert: bool
    trigger: Trigger
    window_start: date
    window_end: date
    base: int
    contributions: tuple[dict, ...]
    risk_factors: tuple[str, ...]


def level_for(value: int, thresholds: tuple[int, int, int]) -> str | None:
    low, medium, high = thresholds
    if value >= high:
        return "high"
    if value >= medium:
        return "medium"
    if value >= low:
        return "low"
    return None


def _max_level(*levels: str | None) -> str | None:
    ranked = [lv for lv in levels if lv]
    return max(ranked, key=LEVELS.index) if ranked else None


def severity_for(score: int) -> str:
    return "high" if score >= 70 else "medium" if score >= 40 else "low"


def shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


# --- Window ---------------------------------------------------------------------------------

def _last_activity(counts: Iterable[DailyCount], keys: set[str]) -> date | None:
    days = [c.day for c in counts if c.indicator in keys and c.count > 0]
    return max(days) if days else None


def window(policy: PolicyRule, person: Person) -> tuple[Trigger, date, date] | None:
    """The latest triggering event of the policy's kinds, and the days it puts in scope.
    Always-on triggers (priority group, indicator activity) put the person in scope at their
    latest activity on the policy's indicators (for a group, since joining), looking back
    past_days; a manual add ends on its own date."""
    keys = {r.key for r in policy.indicators}
    candidates: list[tuple[Trigger, date, date]] = []
    last = _last_activity(person.counts, keys)
    for t in person.triggers:
        if t.kind not in policy.triggering_events:
            continue
        if t.kind in ALWAYS_ON:
            if last is None or last < t.day:
                continue
            # In scope at their latest activity since joining, looking back past_days like
            # any trigger on that day.
            candidates.append((Trigger(t.kind, last, t.event_id),
                               shift(last, -policy.past_days), last))
        elif t.kind == "manual":
            candidates.append((t, shift(t.day, -policy.past_days), t.until or t.day))
        else:
            candidates.append((t, shift(t.day, -policy.past_days),
                               shift(t.day, policy.activation_days)))
    if "indicator_activity" in policy.triggering_events and last is not None:
        trigger = Trigger("indicator_activity", last, f"activity:{last.isoformat()}")
        candidates.append((trigger, shift(last, -policy.past_days), last))
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c[0].day, c[2], c[0].kind, c[0].event_id))


# --- Contributions --------------------------------------------------------------------------

def baseline(counts: dict[tuple[str, int], int], indicator: str, day: date) -> float:
    """The person's average daily count of an indicator over the 30 days before `day`
    (`counts` by indicator and day ordinal)."""
    o = day.toordinal()
    total = sum(counts.get((indicator, o - i), 0) for i in range(1, BASELINE_DAYS + 1))
    return total / BASELINE_DAYS


def _baseline_thresholds(avg: float) -> tuple[int, int, int]:
    unit = max(avg, 1.0)
    return tuple(max(1, round(unit * m + 1e-9)) for m in BASELINE_MULTIPLIERS)  # type: ignore


def indicator_contributions(policy: PolicyRule, counts: list[DailyCount], start: date,
                            end: date) -> tuple[list[dict], dict | None]:
    """One row per indicator and day that reaches a level; and the first of those days whose
    count is at least three times the person's usual activity (the baseline booster)."""
    rules = {r.key: r for r in policy.indicators}
    all_days: dict[tuple[str, int], int] = defaultdict(int)
    per_day: dict[tuple[str, date], list[int]] = {}
    for c in counts:
        all_days[(c.indicator, c.day.toordinal())] += c.count
        if c.indicator in rules and start <= c.day <= end:
            row = per_day.setdefault((c.indicator, c.day), [0, 0, 0, 0])
            row[0] += c.count
            row[1] += c.bytes
            row[2] += c.count if c.flags & policy.priority_content & PRIORITY_ANY else 0
            row[3] += c.count if c.flags & UNALLOWED else 0
    out: list[dict] = []
    above: dict | None = None
    for (indicator, day), (count, size, priority, unallowed) in sorted(
            per_day.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        rule = rules[indicator]
        # The usual activity only when something needs it (it sums 30 days).
        usual = baseline(all_days, indicator, day) if rule.thresholds is None else None
        # Priority content and unallowed domains weigh more: each such event counts twice
        # (three times when both).
        weighted = count + priority + unallowed
        thresholds = rule.thresholds or _baseline_thresholds(usual or 0.0)
        by_count = level_for(weighted, thresholds)
        by_bytes = level_for(size, rule.byte_thresholds) if rule.byte_thresholds else None
        level = _max_level(by_count, by_bytes)
        if level is None:
            continue
        if usual is None:
            usual = baseline(all_days, indicator, day)
        row = {"kind": "indicator", "indicator": indicator, "day": day.isoformat(),
               "count": count, "weighted_count": weighted, "bytes": size,
               "priority_count": priority, "unallowed_count": unallowed,
               "thresholds": list(thresholds), "level": level,
               "basis": "bytes" if by_bytes == level and by_count != level else "count",
               "points": LEVEL_POINTS[level]}
        if rule.thresholds is None:
            row["baseline"] = round(usual, 3)
        out.append(row)
        # The booster's evidence: the first contributing day far above the usual.
        if above is None and count >= ABOVE_BASELINE_FACTOR * max(usual, 1.0):
            above = {"indicator": indicator, "day": day.isoformat(), "count": count,
                     "baseline": round(usual, 3)}
    return out, above


def _sequence_match(events: list[FileEvent], seq: SequenceDef) -> bool:
    """Does one file's history hold the steps in order, all within the sequence's days?"""
    limit = timedelta(days=seq.within_days)
    for i, first in enumerate(events):
        if first.type not in seq.steps[0]:
            continue
        step = 1
        for later in events[i + 1:]:
            if later.at - first.at > limit:
                break
            if later.type in seq.steps[step]:
                step += 1
                if step == len(seq.steps):
                    return True
    return False


def sequence_contributions(policy: PolicyRule, files: list[FileEvent], start: date,
                           end: date) -> list[dict]:
    by_file: dict[str, list[FileEvent]] = defaultdict(list)
    for f in files:
        if start <= f.at.date() <= end:
            by_file[f.file].append(f)
    for events in by_file.values():
        events.sort(key=lambda e: (e.at, e.event_id))
    out = []
    for seq in policy.sequences:
        matched = sorted(file for file, events in by_file.items()
                         if _sequence_match(events, seq))
        if matched:
            points = SEQUENCE_POINTS.get(len(seq.steps), SEQUENCE_MAX_POINTS)
            out.append({"kind": "sequence", "sequence": seq.key, "name": seq.name,
                        "steps": len(seq.steps), "file_count": len(matched),
                        "files": matched[:20], "points": points})
    return out


def percentile(total: int, totals: list[int]) -> float:
    """The share of the group (in percent) whose total is below this one's. The group holds
    the person, so with n people the highest is 100·(n-1)/n: the 99th percentile needs at
    least 100 people, the 95th at least 20."""
    if not totals:
        return 0.0
    below = sum(1 for t in totals if t < total)
    return 100.0 * below / len(totals)


def cumulative_contributions(policy: PolicyRule, facts: Facts, start: date, end: date
                             ) -> list[dict]:
    out = []
    wanted = {CUMULATIVE_SCOPE[k] for k in policy.cumulative}
    for s in sorted(facts.standings, key=lambda s: s.scope):
        if s.scope not in wanted or s.total < CUMULATIVE_MIN_EVENTS:
            continue
        if s.end < start or s.start > end:  # the window ended before the totals' days
            continue
        if s.scope == "peers" and s.group_size < facts.min_group_size:
            continue
        level = None
        for lv, p in zip(LEVELS, CUMULATIVE_PERCENTILES, strict=True):
            if s.percentile >= p:
                level = lv
        if level:
            out.append({"kind": "cumulative", "scope": s.scope, "total": s.total,
                        "percentile": round(s.percentile, 2), "group_size": s.group_size,
                        "level": level, "points": LEVEL_POINTS[level]})
    return out


def booster_contributions(policy: PolicyRule, facts: Facts, above_baseline: dict | None,
                          base: int) -> list[dict]:
    """Each booster adds its share of the base once, however many reasons it has. A policy
    that already scopes to priority groups is not boosted again for membership."""
    applies = {"booster_above_baseline": above_baseline is not None,
               "booster_priority_group": facts.priority_group and not policy.scope_is_priority,
               "booster_previous_violation": facts.previous_violation,
               "booster_high_impact": facts.high_impact}
    rows = []
    for key in sorted(policy.boosters):
        if applies.get(key) and base > 0:
            row = {"kind": "booster", "booster": key, "percent": BOOSTER_PCT[key],
                   "points": base * BOOSTER_PCT[key] // 100}
            if key == "booster_above_baseline":
                row["evidence"] = above_baseline
            rows.append(row)
    return rows


def risk_factors(rows: list[dict], facts: Facts) -> tuple[str, ...]:
    kinds = {r["kind"] for r in rows}
    factors = set()
    if "cumulative" in kinds:
        factors.add("cumulative_exfiltration")
    if "sequence" in kinds:
        factors.add("sequence")
    if any(r.get("priority_count") for r in rows):
        factors.add("priority_content")
    if any(r.get("unallowed_count") for r in rows):
        factors.add("unallowed_domains")
    if facts.priority_group:
        factors.add("priority_group")
    if facts.high_impact:
        factors.add("high_impact_person")
    return tuple(sorted(factors))


def evaluate(policy: PolicyRule, person: Person) -> Evaluation | None:
    """Score one person under one policy; None when no triggering event puts them in scope."""
    scoped = window(policy, person)
    if scoped is None:
        return None
    trigger, start, end = scoped
    rows, above = indicator_contributions(policy, person.counts, start, end)
    rows += sequence_contributions(policy, person.files, start, end)
    rows += cumulative_contributions(policy, person.facts, start, end)
    base = sum(r["points"] for r in rows)
    rows += booster_contributions(policy, person.facts, above, base)
    total = sum(r["points"] for r in rows)
    if total > MAX_SCORE:
        rows.append({"kind": "cap", "points": MAX_SCORE - total})
    score = min(MAX_SCORE, total)
    return Evaluation(score=score, severity=severity_for(score),
                      raises_alert=score > 0 and score >= policy.alert_threshold,
                      trigger=trigger, window_start=start, window_end=end, base=base,
                      contributions=tuple(rows),
                      risk_factors=risk_factors(rows, person.facts))


def alert_allowed(volume: str, severity: str, new_alerts_today: int) -> bool:
    """The alert-volume setting: at most so many new alerts per policy per day, and with
    'fewer' no new low-severity alerts at all. Updates to open alerts are never held back."""
    if volume == "fewer" and severity == "low":
        return False
    return new_alerts_today < ALERT_VOLUME_DAILY_CAP.get(volume, 50)
