"""The triage assistant's pure functions: risk factors, summary and priority from an
explanation, as docs/triage.md states them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.cases.alerts import assistant

# The worked example of docs/scoring.md, as scoring writes its explanation.
EXPLANATION = {
    "template": "data_theft_departing_users",
    "trigger": {"kind": "hr.resignation", "day": "2026-11-18", "event_id": "e1"},
    "window": {"start": "2026-08-20", "end": "2026-12-18"},
    "base": 60, "score": 75,
    "contributions": [
        {"kind": "indicator", "indicator": "email_external_attachment", "day": "2026-11-20",
         "count": 6, "weighted_count": 12, "priority_count": 0, "unallowed_count": 6,
         "level": "medium", "points": 20},
        {"kind": "indicator", "indicator": "usb_copy", "day": "2026-11-20", "count": 15,
         "weighted_count": 18, "priority_count": 3, "unallowed_count": 0, "level": "medium",
         "points": 20},
        {"kind": "sequence", "sequence": "collect_exfiltrate", "name": "Collect, then exfiltrate",
         "steps": 2, "file_count": 1, "files": ["f-1"], "points": 20},
        {"kind": "booster", "booster": "booster_above_baseline", "percent": 25, "points": 15,
         "evidence": {"indicator": "usb_copy", "day": "2026-11-20", "count": 15,
                      "baseline": 0.0}},
    ],
    "risk_factors": ["priority_content", "sequence", "unallowed_domains"],
}


def test_risk_factors_add_what_the_boosters_carry_and_drop_unknown_ones() -> None:
    assert assistant.risk_factors(EXPLANATION) == [
        "above_usual_activity", "priority_content", "sequence", "unallowed_domains"]
    other = {"risk_factors": ["high_impact_person", "made_up"], "contributions": [
        {"kind": "booster", "booster": "booster_previous_violation", "points": 5},
        {"kind": "cumulative", "scope": "org", "percentile": 96.0, "points": 20}]}
    assert assistant.risk_factors(other) == ["cumulative_exfiltration", "high_impact_person",
                                             "previous_violation"]
    assert assistant.risk_factors({}) == []


def test_summary_says_what_happened_how_unusual_and_which_sequence() -> None:
    text = assistant.summary(EXPLANATION, "high", 75, "Departing staff")
    assert text.startswith("High-severity alert (score 75) under “Departing staff”.")
    assert "hr.resignation on 2026-11-18" in text
    assert "6 x email external attachment on 2026-11-20 (6 to unallowed domains)" in text
    assert "15 x usb copy on 2026-11-20 (3 with priority content), medium level" in text
    assert "is 15x their usual daily activity (0)" in text
    assert "Sequence: Collect, then exfiltrate on 1 file(s)." in text
    # Deterministic: the same explanation, the same words.
    assert text == assistant.summary(EXPLANATION, "high", 75, "Departing staff")
    plain = assistant.summary({"contributions": []}, "low", 12, "P")
    assert "Not far above their usual activity" in plain and "Sequence" not in plain


def test_priority_components_add_up_and_follow_the_documented_weights() -> None:
    factors = assistant.risk_factors(EXPLANATION)
    total, parts = assistant.priority("high", 75, factors, related_count=2, sla=6)
    points = {p["name"]: p["points"] for p in parts}
    assert points == {"severity": 30, "score": 18, "priority_content": 8, "sequence": 8,
                      "exfiltration": 4, "related_alerts": 6, "sla": 6}
    assert total == sum(points.values()) == 80
    assert assistant.priority_base("high", 75, factors) == 30 + 18 + 8 + 8 + 4
    # The most a priority can reach is 100.
    top, _ = assistant.priority("high", 100, ["priority_content", "sequence",
                                               "cumulative_exfiltration"], 9, 15)
    assert top == 100
    low, _ = assistant.priority("low", 10, [], 0, 0)
    assert low == 6 + 2


def test_sla_points_grow_as_the_sla_runs_out_for_open_alerts_only() -> None:
    t0 = datetime(2026, 11, 20, tzinfo=UTC)
    due = t0 + timedelta(hours=24)
    assert assistant.sla_points("needs_review", t0, due, t0) == 0
    assert assistant.sla_points("needs_review", t0, due, t0 + timedelta(hours=12)) == 7
    assert assistant.sla_points("needs_review", t0, due, t0 + timedelta(hours=24)) == 15
    assert assistant.sla_points("needs_review", t0, due, t0 + timedelta(days=9)) == 15
    assert assistant.sla_points("dismissed", t0, due, t0 + timedelta(hours=23)) == 0
