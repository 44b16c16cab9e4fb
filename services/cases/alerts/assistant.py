"""The triage assistant: plain functions over an alert's explanation, no I/O, deterministic.

Risk factors, a plain-language summary and a transparent priority (0-100) are derived here from
the explanation scoring attached to the alert; docs/triage.md documents every rule and weight."""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum
from typing import Any


class RiskFactor(StrEnum):
    """The vocabulary of risk factors on an alert (docs/triage.md)."""

    CUMULATIVE_EXFILTRATION = "cumulative_exfiltration"
    SEQUENCE = "sequence"
    PRIORITY_CONTENT = "priority_content"
    UNALLOWED_DOMAINS = "unallowed_domains"
    ABOVE_USUAL_ACTIVITY = "above_usual_activity"
    PRIORITY_GROUP = "priority_group"
    HIGH_IMPACT_PERSON = "high_impact_person"
    PREVIOUS_VIOLATION = "previous_violation"


# Boosters whose presence in the explanation names a risk factor of its own.
_BOOSTER_FACTORS = {
    "booster_above_baseline": RiskFactor.ABOVE_USUAL_ACTIVITY,
    "booster_priority_group": RiskFactor.PRIORITY_GROUP,
    "booster_high_impact": RiskFactor.HIGH_IMPACT_PERSON,
    "booster_previous_violation": RiskFactor.PREVIOUS_VIOLATION,
}
_KNOWN = {f.value for f in RiskFactor}

SEVERITY_POINTS = {"high": 30, "medium": 18, "low": 6}
SCORE_DIVISOR = 4  # score 0-100 gives 0-25 points
FACTOR_POINTS = {RiskFactor.PRIORITY_CONTENT: 8, RiskFactor.SEQUENCE: 8}
EXFILTRATION_POINTS = 4  # cumulative exfiltration or unallowed domains
RELATED_POINTS_EACH, RELATED_POINTS_MAX = 3, 10
SLA_POINTS_MAX = 15
OPEN = "needs_review"


def _contributions(explanation: dict[str, Any]) -> list[dict[str, Any]]:
    rows = explanation.get("contributions") or []
    return [r for r in rows if isinstance(r, dict)]


def risk_factors(explanation: dict[str, Any]) -> list[str]:
    """The explanation's own risk factors (what scoring names) plus those its boosters carry,
    sorted; anything outside the vocabulary is dropped."""
    found = {f for f in explanation.get("risk_factors") or [] if f in _KNOWN}
    for row in _contributions(explanation):
        kind = row.get("kind")
        if kind == "booster" and row.get("booster") in _BOOSTER_FACTORS:
            found.add(_BOOSTER_FACTORS[row["booster"]].value)
        elif kind == "sequence":
            found.add(RiskFactor.SEQUENCE.value)
        elif kind == "cumulative":
            found.add(RiskFactor.CUMULATIVE_EXFILTRATION.value)
    return sorted(found)


def base_components(severity: str, score: int, factors: list[str]) -> list[dict[str, Any]]:
    """The parts of the priority that only change when scoring updates the alert."""
    out = [{"name": "severity", "points": SEVERITY_POINTS.get(severity, 0), "detail": severity},
           {"name": "score", "points": max(0, min(100, score)) // SCORE_DIVISOR,
            "detail": f"score {score} / {SCORE_DIVISOR}"}]
    for factor, points in FACTOR_POINTS.items():
        if factor.value in factors:
            out.append({"name": factor.value, "points": points, "detail": "present"})
    exfil = [f for f in ("cumulative_exfiltration", "unallowed_domains") if f in factors]
    if exfil:
        out.append({"name": "exfiltration", "points": EXFILTRATION_POINTS,
                    "detail": ", ".join(exfil)})
    return out


def priority_base(severity: str, score: int, factors: list[str]) -> int:
    return sum(c["points"] for c in base_components(severity, score, factors))


def related_points(related_count: int) -> int:
    return min(RELATED_POINTS_MAX, RELATED_POINTS_EACH * max(0, related_count))


def sla_points(status: str, detected_at: datetime, due_at: datetime, as_of: datetime) -> int:
    """Up to 15 points as the triage SLA runs out (the share of it elapsed), for open alerts
    only. The queue's SQL sort computes the same value (services/cases/alerts/repository.py)."""
    total = (due_at - detected_at).total_seconds()
    if status != OPEN or total <= 0:
        return 0
    elapsed = min(1.0, max(0.0, (as_of - detected_at).total_seconds() / total))
    return math.floor(SLA_POINTS_MAX * elapsed)


def priority(severity: str, score: int, factors: list[str], related_count: int,
             sla: int) -> tuple[int, list[dict[str, Any]]]:
    """The priority (0-100) and the components that add up to it."""
    parts = base_components(severity, score, factors)
    parts.append({"name": "related_alerts", "points": related_points(related_count),
                  "detail": f"{related_count} other alert(s) about this person"})
    parts.append({"name": "sla", "points": sla, "detail": "share of the triage SLA elapsed"})
    return sum(p["points"] for p in parts), parts


def _humanize(key: str) -> str:
    return key.replace("_", " ")


def _indicator_phrase(row: dict[str, Any]) -> str:
    text = f"{row.get('count', 0)} x {_humanize(str(row.get('indicator', 'activity')))}"
    if row.get("day"):
        text += f" on {row['day']}"
    extras = []
    if row.get("priority_count"):
        extras.append(f"{row['priority_count']} with priority content")
    if row.get("unallowed_count"):
        extras.append(f"{row['unallowed_count']} to unallowed domains")
    if extras:
        text += f" ({', '.join(extras)})"
    return text + f", {row.get('level', '?')} level"


def summary(explanation: dict[str, Any], severity: str, score: int, policy_name: str) -> str:
    """A few plain sentences: what happened, how unusual it is against the person's usual
    activity, which sequence or cumulative pattern was seen. Names no file, person or place
    (the explanation carries none)."""
    rows = _contributions(explanation)
    sentences = [f"{severity.capitalize()}-severity alert (score {score}) under "
                 f"“{policy_name}”."]
    trigger = explanation.get("trigger") or {}
    if trigger.get("kind"):
        sentences.append(f"Scored after the triggering event {trigger['kind']}"
                         + (f" on {trigger['day']}." if trigger.get("day") else "."))
    indicators = sorted((r for r in rows if r.get("kind") == "indicator"),
                        key=lambda r: (-int(r.get("points", 0)), str(r.get("day", "")),
                                       str(r.get("indicator", ""))))
    if indicators:
        shown = "; ".join(_indicator_phrase(r) for r in indicators[:3])
        more = f" and {len(indicators) - 3} more" if len(indicators) > 3 else ""
        sentences.append(f"What happened: {shown}{more}.")
    above = next((r.get("evidence") for r in rows if r.get("kind") == "booster"
                  and r.get("booster") == "booster_above_baseline"), None)
    if isinstance(above, dict):
        usual = float(above.get("baseline") or 0)
        times = above.get("count", 0) / max(usual, 1.0)
        sentences.append(f"Unusual: {above.get('count')} x "
                         f"{_humanize(str(above.get('indicator')))} on {above.get('day')} is "
                         f"{times:.0f}x their usual daily activity ({usual:g}).")
    else:
        sentences.append("Not far above their usual activity (no above-usual booster).")
    for row in rows:
        if row.get("kind") == "sequence":
            sentences.append(f"Sequence: {row.get('name') or row.get('sequence')} on "
                             f"{row.get('file_count', 0)} file(s).")
        elif row.get("kind") == "cumulative":
            sentences.append(f"Cumulative exfiltration above the {row.get('percentile')}th "
                             f"percentile of the {row.get('scope')} group.")
    return " ".join(sentences)
