"""The risk level of an activity, from the explanation rows that counted it. Plain functions
over plain data (no I/O), documented in docs/investigation.md:

- an indicator row (indicator, UTC day, level) covers the person's activities of that day
  whose type the indicator counts;
- a sequence row covers activities of the sequence's step types inside the scored window, at
  `high` for 35 points or more, `medium` for 20 or more, else `low` (scoring names the files
  by an opaque per-person key, so every step-type activity in the window is marked);
- a cumulative-exfiltration row covers the exfiltration activities inside the scored window;
- boosters and the cap cover no activity.

An activity takes the highest level of the rows covering it; `none` when none does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

LEVELS = ("none", "low", "medium", "high")
RANK = {level: i for i, level in enumerate(LEVELS)}
# A current score carries no window: its sequence and cumulative rows cover this many days
# up to the day it was computed (cumulative exfiltration compares 30-day totals).
CURRENT_SCORE_DAYS = 30


@dataclass(frozen=True)
class Catalogue:
    """What each indicator counts and which activity types each sequence's steps are."""

    indicator_types: dict[str, frozenset[str]] = field(default_factory=dict)
    sequence_types: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Explanation:
    """One explained score: a person's current score under a policy, or an alert's."""

    policy_id: str
    policy_name: str
    rows: tuple[dict[str, Any], ...]
    start: date | None
    end: date | None
    alert_id: str | None = None
    version: int | None = None


def from_score(score: dict[str, Any]) -> Explanation:
    computed = score.get("computed_at")
    end = (datetime.fromisoformat(computed) if computed else datetime.now(UTC)).date()
    return Explanation(str(score["policy_id"]), score["policy_name"],
                       tuple(score.get("contributions") or ()),
                       end - timedelta(days=CURRENT_SCORE_DAYS), end,
                       version=score.get("version"))


def from_alert(alert_id: str, policy_id: str, policy_name: str, version: int,
               explanation: dict[str, Any]) -> Explanation:
    window = explanation.get("window") or {}
    start, end = window.get("start"), window.get("end")
    return Explanation(policy_id, policy_name, tuple(explanation.get("contributions") or ()),
                       date.fromisoformat(start) if start else None,
                       date.fromisoformat(end) if end else None, alert_id, version)


def row_level(row: dict[str, Any]) -> str | None:
    kind = row.get("kind")
    if kind in ("indicator", "cumulative"):
        level = row.get("level")
        return level if level in RANK else None
    if kind == "sequence":
        points = int(row.get("points") or 0)
        return "high" if points >= 35 else "medium" if points >= 20 else "low"
    return None


def row_key(row: dict[str, Any]) -> str:
    return str(row.get("indicator") or row.get("sequence") or row.get("scope") or row["kind"])


def _in_window(day: date, e: Explanation) -> bool:
    return (e.start is None or e.start <= day) and (e.end is None or day <= e.end)


def covers(row: dict[str, Any], e: Explanation, catalogue: Catalogue, activity_type: str,
           category: str, day: date) -> bool:
    kind = row.get("kind")
    if kind == "indicator":
        return (row.get("day") == day.isoformat()
                and activity_type in catalogue.indicator_types.get(row.get("indicator", ""), ()))
    if kind == "sequence":
        return (activity_type in catalogue.sequence_types.get(row.get("sequence", ""), ())
                and _in_window(day, e))
    if kind == "cumulative":
        return category == "exfiltration" and _in_window(day, e)
    return False


@dataclass
class Found:
    """The rows covering one activity, merged per policy and row (several explanations, e.g.
    the current score and an alert, may hold the same row)."""

    level: str = "none"
    rows: dict[tuple[str, str, str, str | None], dict[str, Any]] = field(default_factory=dict)

    def add(self, e: Explanation, row: dict[str, Any], level: str) -> None:
        key = (e.policy_id, str(row.get("kind")), row_key(row), row.get("day"))
        held = self.rows.get(key)
        if held is None:
            held = self.rows[key] = {
                "policy_id": e.policy_id, "policy_name": e.policy_name,
                "kind": row.get("kind"), "key": row_key(row), "day": row.get("day"),
                "level": level, "points": int(row.get("points") or 0), "alert_ids": []}
        elif RANK[level] > RANK[held["level"]]:
            held["level"], held["points"] = level, int(row.get("points") or 0)
        if e.alert_id and e.alert_id not in held["alert_ids"]:
            held["alert_ids"].append(e.alert_id)
        if RANK[level] > RANK[self.level]:
            self.level = level


def assess(explanations: list[Explanation], catalogue: Catalogue, activity_type: str,
           category: str, occurred_at: datetime) -> Found:
    day = occurred_at.astimezone(UTC).date()
    found = Found()
    for e in explanations:
        for row in e.rows:
            level = row_level(row)
            if level and covers(row, e, catalogue, activity_type, category, day):
                found.add(e, row, level)
    return found


def day_points(explanations: list[Explanation]) -> dict[str, dict[date, int]]:
    """Per policy, the points its latest explanation gives each day (indicator rows): the
    day's score for the chart. The current score wins over alerts; else the newest alert."""
    latest: dict[str, Explanation] = {}
    for e in explanations:
        held = latest.get(e.policy_id)
        if held is None or (held.alert_id is not None and (
                e.alert_id is None or (e.version or 0) > (held.version or 0))):
            latest[e.policy_id] = e
    out: dict[str, dict[date, int]] = {}
    for policy_id, e in latest.items():
        per_day: dict[date, int] = {}
        for row in e.rows:
            if row.get("kind") == "indicator" and row.get("day"):
                d = date.fromisoformat(row["day"])
                per_day[d] = per_day.get(d, 0) + int(row.get("points") or 0)
        out[policy_id] = per_day
    return out
