"""The scoring rules on plain data."""

from __future__ import annotations

import random
from datetime import date, timedelta

from services.scoring.engine.rules import (
    DailyCount,
    IndicatorRule,
    PolicyRule,
    Trigger,
    evaluate,
    level_for,
    severity_for,
)

POLICY = PolicyRule(triggering_events=("hr.resignation",),
                    indicators=(IndicatorRule("usb_copy", (1, 10, 30)),
                                IndicatorRule("cloud_upload", (1, 10, 30))),
                    alert_threshold=30, activation_days=30, past_days=10)
RESIGNED = Trigger("hr.resignation", date(2026, 11, 1), "hr-1")


def test_levels_follow_thresholds() -> None:
    assert level_for(0, (1, 10, 30)) is None
    assert level_for(1, (1, 10, 30)) == "low"
    assert level_for(9, (1, 10, 30)) == "low"
    assert level_for(10, (1, 10, 30)) == "medium"
    assert level_for(30, (1, 10, 30)) == "high"


def test_severity_bands() -> None:
    assert [severity_for(s) for s in (0, 39, 40, 69, 70, 100)] == \
        ["low", "low", "medium", "medium", "high", "high"]


def test_no_trigger_no_score() -> None:
    counts = [DailyCount("usb_copy", date(2026, 11, 2), 50)]
    assert evaluate(POLICY, [], counts) is None
    assert evaluate(POLICY, [Trigger("dlp.rule_match", date(2026, 11, 1), "x")], counts) is None


def test_contributions_add_up_to_the_score() -> None:
    counts = [DailyCount("usb_copy", date(2026, 11, 2), 12),
              DailyCount("cloud_upload", date(2026, 11, 2), 40),
              DailyCount("usb_copy", date(2026, 11, 3), 1)]
    ev = evaluate(POLICY, [RESIGNED], counts)
    assert ev is not None
    assert [(c.indicator, c.day.day, c.level, c.points) for c in ev.contributions] == [
        ("cloud_upload", 2, "high", 35), ("usb_copy", 2, "medium", 20),
        ("usb_copy", 3, "low", 10)]
    assert ev.score == 65 == sum(c.points for c in ev.contributions)
    assert ev.severity == "medium" and ev.raises_alert


def test_activity_outside_the_window_does_not_count() -> None:
    before = RESIGNED.day - timedelta(days=11)
    after = RESIGNED.day + timedelta(days=31)
    inside = RESIGNED.day - timedelta(days=10)
    counts = [DailyCount("usb_copy", before, 50), DailyCount("usb_copy", after, 50),
              DailyCount("usb_copy", inside, 50)]
    ev = evaluate(POLICY, [RESIGNED], counts)
    assert ev is not None and [c.day for c in ev.contributions] == [inside]


def test_indicators_not_in_the_policy_do_not_count() -> None:
    ev = evaluate(POLICY, [RESIGNED], [DailyCount("print", date(2026, 11, 2), 99)])
    assert ev is not None and ev.score == 0 and not ev.raises_alert


def test_score_is_capped_and_below_threshold_raises_nothing() -> None:
    many = [DailyCount("usb_copy", RESIGNED.day + timedelta(days=d), 40) for d in range(5)]
    assert evaluate(POLICY, [RESIGNED], many).score == 100
    one = [DailyCount("usb_copy", RESIGNED.day, 1)]
    ev = evaluate(POLICY, [RESIGNED], one)
    assert ev.score == 10 and not ev.raises_alert


def test_same_events_same_score_whatever_the_order() -> None:
    counts = [DailyCount(ind, RESIGNED.day + timedelta(days=d), n)
              for d in range(10) for ind, n in (("usb_copy", d * 3), ("cloud_upload", 30 - d))]
    triggers = [RESIGNED, Trigger("hr.resignation", date(2026, 11, 5), "hr-2")]
    first = evaluate(POLICY, triggers, counts)
    rng = random.Random(7)
    for _ in range(20):
        rng.shuffle(counts)
        rng.shuffle(triggers)
        # Counts of one day may arrive split across batches; they add up the same.
        split = [DailyCount(c.indicator, c.day, part) for c in counts
                 for part in (c.count // 2, c.count - c.count // 2)]
        assert evaluate(POLICY, triggers, split) == first


def test_odd_trigger_dates_never_stop_scoring() -> None:
    from datetime import UTC, datetime

    from services.scoring.engine.rules import trigger_day

    at = datetime(2026, 11, 3, 12, tzinfo=UTC)
    assert trigger_day("hr.termination", at, {"termination_date": "not-a-date"}) == at.date()
    assert trigger_day("hr.resignation", at, {"resignation_date": "2026-10-30"}) == \
        date(2026, 10, 30)
    for extreme in (date.min, date.max):
        ev = evaluate(POLICY, [Trigger("hr.resignation", extreme, "x")],
                      [DailyCount("usb_copy", extreme, 40)])
        assert ev is not None and ev.score == 35
