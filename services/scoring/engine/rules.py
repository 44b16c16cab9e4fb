"""The scoring rules: plain functions over plain data, no I/O.

Formula (docs/scoring.md): a person is scored under a policy only inside the window around
their earliest triggering event of the policy's kinds, [trigger day - past_days, trigger day +
activation_days]. For each indicator and day in the window, the day's count is compared with
the indicator's three thresholds; the highest level met gives its points (low 10, medium 20,
high 35). The risk score is the sum, capped at 100. Severity: high from 70, medium from 40,
else low. An alert is raised when the score reaches the policy's alert threshold."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

LEVEL_POINTS = {"low": 10, "medium": 20, "high": 35}
MAX_SCORE = 100


@dataclass(frozen=True)
class IndicatorRule:
    key: str
    thresholds: tuple[int, int, int]


@dataclass(frozen=True)
class PolicyRule:
    triggering_events: tuple[str, ...]
    indicators: tuple[IndicatorRule, ...]
    alert_threshold: int
    activation_days: int
    past_days: int


@dataclass(frozen=True)
class Trigger:
    kind: str
    day: date
    event_id: str


@dataclass(frozen=True)
class DailyCount:
    indicator: str
    day: date
    count: int


@dataclass(frozen=True)
class Contribution:
    indicator: str
    day: date
    count: int
    level: str
    points: int

    def as_dict(self) -> dict:
        return {"kind": "indicator", "indicator": self.indicator, "day": self.day.isoformat(),
                "count": self.count, "level": self.level, "points": self.points}


@dataclass(frozen=True)
class Evaluation:
    score: int
    severity: str
    raises_alert: bool
    trigger: Trigger
    window_start: date
    window_end: date
    contributions: tuple[Contribution, ...] = field(default_factory=tuple)


def level_for(count: int, thresholds: tuple[int, int, int]) -> str | None:
    low, medium, high = thresholds
    if count >= high:
        return "high"
    if count >= medium:
        return "medium"
    if count >= low:
        return "low"
    return None


def severity_for(score: int) -> str:
    return "high" if score >= 70 else "medium" if score >= 40 else "low"


TRIGGER_DATE_ATTRIBUTE = {"hr.resignation": "resignation_date",
                          "hr.termination": "termination_date"}


def trigger_day(kind: str, occurred_at: datetime, attributes: dict) -> date:
    """HR events trigger on the date they name (resignation date), else when they happened.
    A date that does not parse falls back to the event's own day: scoring never stops on
    one odd record (ingest refuses such records anyway)."""
    raw = attributes.get(TRIGGER_DATE_ATTRIBUTE.get(kind, ""))
    if raw:
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            pass
    return occurred_at.date()


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def evaluate(policy: PolicyRule, triggers: list[Trigger], counts: list[DailyCount]
             ) -> Evaluation | None:
    """Score one person under one policy; None when no triggering event puts them in scope."""
    relevant = sorted((t for t in triggers if t.kind in policy.triggering_events),
                      key=lambda t: (t.day, t.kind, t.event_id))
    if not relevant:
        return None
    trigger = relevant[0]
    start = _shift(trigger.day, -policy.past_days)
    end = _shift(trigger.day, policy.activation_days)
    rules = {r.key: r for r in policy.indicators}
    per_day: dict[tuple[str, date], int] = {}
    for c in counts:
        if c.indicator in rules and start <= c.day <= end:
            per_day[(c.indicator, c.day)] = per_day.get((c.indicator, c.day), 0) + c.count
    contributions = []
    for (indicator, day), count in sorted(per_day.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        level = level_for(count, rules[indicator].thresholds)
        if level:
            contributions.append(Contribution(indicator, day, count, level, LEVEL_POINTS[level]))
    score = min(MAX_SCORE, sum(c.points for c in contributions))
    return Evaluation(score=score, severity=severity_for(score),
                      raises_alert=score >= policy.alert_threshold and score > 0,
                      trigger=trigger, window_start=start, window_end=end,
                      contributions=tuple(contributions))
