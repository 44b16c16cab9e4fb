"""The scoring rules on plain data: windows, indicator levels, sequences, cumulative standing,
boosters, and the explanation rows that add up to the score."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.scoring.engine.catalogue import SEQUENCES, SequenceDef
from services.scoring.engine.classify import (
    PRIORITY_LABEL,
    PRIORITY_SITE,
    THIRD_PARTY,
    UNALLOWED,
)
from services.scoring.engine.rules import (
    CUMULATIVE_MIN_EVENTS,
    DailyCount,
    Evaluation,
    Facts,
    FileEvent,
    IndicatorRule,
    Person,
    PolicyRule,
    Standing,
    Trigger,
    alert_allowed,
    evaluate,
    level_for,
    percentile,
    severity_for,
    window,
)

START = date(2026, 3, 1)


def day(n: int) -> date:
    return START + timedelta(days=n)


def at(n: int, hour: int = 9, seconds: int = 0) -> datetime:
    return datetime(2026, 3, 1, hour, tzinfo=UTC) + timedelta(days=n, seconds=seconds)


RESIGNED = Trigger("hr.resignation", day(0), "hr-1")
USB = IndicatorRule("usb_copy", (1, 10, 30))
CLOUD = IndicatorRule("cloud_upload", (1, 10, 30), (100, 1_000, 5_000))
POLICY = PolicyRule(triggering_events=("hr.resignation", "manual"), indicators=(USB, CLOUD),
                    alert_threshold=30, activation_days=30, past_days=10)


def policy(**changes: object) -> PolicyRule:
    return replace(POLICY, **changes)  # type: ignore[arg-type]


def person(*counts: DailyCount, triggers: tuple[Trigger, ...] = (RESIGNED,),
           files: tuple[FileEvent, ...] = (), facts: Facts | None = None) -> Person:
    return Person(list(triggers), list(counts), list(files), facts or Facts())


def usb(n: int, count: int, flags: int = 0, size: int = 0) -> DailyCount:
    return DailyCount("usb_copy", day(n), count, flags, size)


def scored(rule: PolicyRule, who: Person) -> Evaluation:
    ev = evaluate(rule, who)
    assert ev is not None
    # Whatever else a test checks: the explanation adds up to the score, exactly.
    assert sum(r["points"] for r in ev.contributions) == ev.score
    assert ev.base == sum(r["points"] for r in ev.contributions
                          if r["kind"] in ("indicator", "sequence", "cumulative"))
    return ev


def rows(ev: Evaluation, kind: str) -> list[dict]:
    return [r for r in ev.contributions if r["kind"] == kind]


def levels(ev: Evaluation) -> list[tuple[str, str, str, int]]:
    return [(r["indicator"], r["day"], r["level"], r["points"]) for r in rows(ev, "indicator")]


# --- Bands ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "level"), [
    (0, None), (1, "low"), (9, "low"), (10, "medium"), (29, "medium"), (30, "high"),
    (10_000, "high")])
def test_level_for_bands(value: int, level: str | None) -> None:
    assert level_for(value, (1, 10, 30)) == level


def test_severity_bands() -> None:
    assert [severity_for(s) for s in (0, 39, 40, 69, 70, 100)] == \
        ["low", "low", "medium", "medium", "high", "high"]


def test_no_trigger_no_evaluation() -> None:
    assert evaluate(POLICY, person(usb(1, 50), triggers=())) is None
    # A trigger of a kind the policy does not use does not put anyone in scope either.
    assert evaluate(POLICY, person(usb(1, 50),
                                   triggers=(Trigger("dlp.high", day(0), "dlp-1"),))) is None


def test_a_trigger_without_activity_scores_zero_and_raises_nothing() -> None:
    ev = scored(policy(alert_threshold=0), person())
    assert (ev.score, ev.base, ev.contributions, ev.raises_alert) == (0, 0, (), False)


def test_alert_threshold_is_inclusive() -> None:
    ev = scored(policy(alert_threshold=30), person(usb(1, 10), usb(2, 1)))
    assert (ev.score, ev.severity, ev.raises_alert) == (30, "low", True)
    ev = scored(policy(alert_threshold=31), person(usb(1, 10), usb(2, 1)))
    assert ev.raises_alert is False


# --- Window ---------------------------------------------------------------------------------

def test_latest_trigger_of_the_policys_kinds_wins() -> None:
    later = Trigger("hr.resignation", day(20), "hr-2")
    other = Trigger("dlp.high", day(40), "dlp-1")  # not one of the policy's kinds
    ev = scored(POLICY, person(usb(5, 1), usb(9, 1), usb(10, 1),
                               triggers=(later, RESIGNED, other)))
    assert ev.trigger == later
    assert (ev.window_start, ev.window_end) == (day(10), day(50))
    assert [r["day"] for r in rows(ev, "indicator")] == [day(10).isoformat()]


def test_activity_outside_past_and_activation_days_does_not_count() -> None:
    ev = scored(POLICY, person(usb(-11, 30), usb(-10, 1), usb(30, 10), usb(31, 30)))
    assert (ev.window_start, ev.window_end) == (day(-10), day(30))
    assert levels(ev) == [("usb_copy", "2026-02-19", "low", 10),
                          ("usb_copy", "2026-03-31", "medium", 20)]
    assert ev.score == 30


def test_manual_trigger_ends_on_until() -> None:
    manual = Trigger("manual", day(5), "manual:1", until=day(8))
    ev = scored(policy(triggering_events=("manual",)),
                person(usb(-5, 1), usb(-6, 30), usb(8, 10), usb(9, 30), triggers=(manual,)))
    assert ev.trigger == manual
    assert (ev.window_start, ev.window_end) == (day(-5), day(8))
    assert [r["day"] for r in rows(ev, "indicator")] == [day(-5).isoformat(),
                                                         day(8).isoformat()]
    assert ev.score == 30


def test_manual_trigger_without_until_ends_on_its_day() -> None:
    manual = Trigger("manual", day(5), "manual:1")
    ev = scored(policy(triggering_events=("manual",)), person(usb(5, 1), usb(6, 30),
                                                              triggers=(manual,)))
    assert (ev.window_start, ev.window_end, ev.score) == (day(-5), day(5), 10)


def test_priority_group_window_ends_at_last_activity() -> None:
    rule = policy(triggering_events=("priority_group", "manual"), activation_days=30,
                  past_days=10)
    member = Trigger("priority_group", date.min, "priority_group")
    # Activity on an indicator the policy does not use does not move the window.
    other = DailyCount("print", day(70), 5)
    ev = scored(rule, person(usb(0, 30), usb(19, 30), usb(40, 1), usb(50, 10), other,
                             triggers=(member,)))
    assert ev.trigger == Trigger("priority_group", day(50), "priority_group")
    # start = last activity - past_days
    assert (ev.window_start, ev.window_end) == (day(40), day(50))
    assert levels(ev) == [("usb_copy", "2026-04-10", "low", 10),
                          ("usb_copy", "2026-04-20", "medium", 20)]


def test_priority_group_counts_past_activity_before_joining_like_any_trigger() -> None:
    rule = policy(triggering_events=("priority_group",), activation_days=30, past_days=25)
    member = Trigger("priority_group", day(40), "pg")
    ev = scored(rule, person(usb(24, 30), usb(29, 30), usb(30, 1), usb(50, 10),
                             triggers=(member,)))
    assert (ev.window_start, ev.window_end) == (day(25), day(50))
    assert ev.score == 65  # high 35 (day 29) + low 10 (day 30) + medium 20 (day 50)


def test_priority_group_without_activity_since_membership_is_out_of_scope() -> None:
    rule = policy(triggering_events=("priority_group",))
    assert window(rule, person(usb(10, 5),
                               triggers=(Trigger("priority_group", day(11), "pg"),))) is None
    assert window(rule, person(triggers=(Trigger("priority_group", date.min, "pg"),))) is None


def test_indicator_activity_triggers_on_the_last_active_day() -> None:
    rule = policy(triggering_events=("indicator_activity", "manual"), past_days=10)
    ev = scored(rule, person(usb(-6, 30), usb(-5, 1), usb(5, 10), triggers=()))
    assert ev.trigger == Trigger("indicator_activity", day(5), "activity:2026-03-06")
    assert (ev.window_start, ev.window_end) == (day(-5), day(5))
    assert ev.score == 30
    assert evaluate(rule, person(DailyCount("print", day(5), 50), triggers=())) is None


# --- Indicator contributions ----------------------------------------------------------------

def test_indicator_row_in_full() -> None:
    ev = scored(POLICY, person(usb(1, 1)))
    assert ev.contributions == ({
        "kind": "indicator", "indicator": "usb_copy", "day": "2026-03-02", "count": 1,
        "weighted_count": 1, "bytes": 0, "priority_count": 0, "unallowed_count": 0,
        "thresholds": [1, 10, 30], "level": "low", "basis": "count", "points": 10},)


def test_levels_by_count_per_indicator_and_day() -> None:
    ev = scored(POLICY, person(usb(1, 12), DailyCount("cloud_upload", day(1), 40), usb(2, 1)))
    assert levels(ev) == [("cloud_upload", "2026-03-02", "high", 35),
                          ("usb_copy", "2026-03-02", "medium", 20),
                          ("usb_copy", "2026-03-03", "low", 10)]
    assert (ev.score, ev.severity, ev.raises_alert) == (65, "medium", True)


def test_counts_of_one_day_add_up_across_rows() -> None:
    # The pipeline stores one row per flags value; the day's count is their sum.
    ev = scored(POLICY, person(usb(1, 6), usb(1, 4, THIRD_PARTY)))
    assert [(r["count"], r["weighted_count"], r["level"]) for r in rows(ev, "indicator")] == \
        [(10, 10, "medium")]


@pytest.mark.parametrize(("count", "size", "level", "basis", "points"), [
    (1, 5_000, "high", "bytes", 35),
    (1, 4_999, "medium", "bytes", 20),
    (10, 1_000, "medium", "count", 20),  # both reach medium: counted by count
    (30, 100, "high", "count", 35),
    (1, 99, "low", "count", 10),
])
def test_bytes_thresholds(count: int, size: int, level: str, basis: str, points: int) -> None:
    ev = scored(POLICY, person(DailyCount("cloud_upload", day(1), count, 0, size)))
    (row,) = rows(ev, "indicator")
    assert (row["bytes"], row["level"], row["basis"], row["points"]) == \
        (size, level, basis, points)


def test_bytes_alone_do_not_count_without_byte_thresholds() -> None:
    ev = scored(POLICY, person(usb(1, 1, size=10**12)))
    assert [(r["level"], r["basis"]) for r in rows(ev, "indicator")] == [("low", "count")]


def _weights(rule: PolicyRule, *counts: DailyCount) -> list[tuple[int, int, int, int, str]]:
    return [(r["count"], r["weighted_count"], r["priority_count"], r["unallowed_count"],
             r["level"]) for r in rows(scored(rule, person(*counts)), "indicator")]


def test_priority_content_counts_double_only_for_the_kinds_the_policy_weighs() -> None:
    labelled = usb(1, 5, PRIORITY_LABEL)
    assert _weights(policy(priority_content=PRIORITY_LABEL), labelled) == \
        [(5, 10, 5, 0, "medium")]
    assert _weights(policy(priority_content=PRIORITY_SITE), labelled) == [(5, 5, 0, 0, "low")]
    assert _weights(policy(priority_content=0), labelled) == [(5, 5, 0, 0, "low")]
    # Two priority kinds on one event still count it twice, not three times.
    both = usb(1, 5, PRIORITY_LABEL | PRIORITY_SITE)
    assert _weights(policy(priority_content=PRIORITY_LABEL | PRIORITY_SITE), both) == \
        [(5, 10, 5, 0, "medium")]


def test_unallowed_counts_double_third_party_does_not() -> None:
    assert _weights(POLICY, usb(1, 5, UNALLOWED)) == [(5, 10, 0, 5, "medium")]
    assert _weights(POLICY, usb(1, 5, THIRD_PARTY)) == [(5, 5, 0, 0, "low")]


def test_priority_and_unallowed_count_three_times() -> None:
    rule = policy(priority_content=PRIORITY_LABEL)
    assert _weights(rule, usb(1, 4, PRIORITY_LABEL | UNALLOWED)) == [(4, 12, 4, 4, "medium")]
    mixed = (usb(1, 4), usb(1, 3, PRIORITY_LABEL), usb(1, 2, UNALLOWED),
             usb(1, 1, PRIORITY_LABEL | UNALLOWED))
    # 10 events; 4 priority, 3 unallowed: 10 + 4 + 3 = 17
    assert _weights(rule, *mixed) == [(10, 17, 4, 3, "medium")]


BASELINE_POLICY = policy(indicators=(IndicatorRule("usb_copy", None),), past_days=0)


@pytest.mark.parametrize(("history", "count", "thresholds", "level", "baseline"), [
    (0, 1, [2, 4, 8], None, 0.0),
    (0, 2, [2, 4, 8], "low", 0.0),
    (15, 4, [2, 4, 8], "medium", 0.5),  # an average under 1 counts as 1
    (30, 8, [2, 4, 8], "high", 1.0),
    (45, 6, [3, 6, 12], "medium", 1.5),
    (60, 7, [4, 8, 16], "low", 2.0),
    (60, 16, [4, 8, 16], "high", 2.0),
    (100, 7, [7, 13, 27], "low", 3.333),
])
def test_baseline_thresholds_are_multiples_of_the_30_day_average(
        history: int, count: int, thresholds: list[int], level: str | None,
        baseline: float) -> None:
    # The history lies before the window (past_days 0): it sets the average, scores nothing.
    counts = [usb(-1, history)] if history else []
    ev = scored(BASELINE_POLICY, person(*counts, usb(0, count)))
    if level is None:
        assert rows(ev, "indicator") == []
        return
    (row,) = rows(ev, "indicator")
    assert (row["thresholds"], row["level"], row["baseline"]) == (thresholds, level, baseline)


def test_baseline_uses_only_the_30_days_before_and_the_same_indicator() -> None:
    counts = (usb(-31, 300), DailyCount("cloud_upload", day(-1), 300), usb(-30, 30), usb(0, 2))
    (row,) = rows(scored(BASELINE_POLICY, person(*counts)), "indicator")
    assert (row["baseline"], row["thresholds"], row["level"]) == (1.0, [2, 4, 8], "low")


def test_baseline_of_a_later_day_includes_earlier_days_in_the_window() -> None:
    ev = scored(BASELINE_POLICY, person(usb(0, 60), usb(1, 8)))
    assert [(r["day"], r["baseline"], r["thresholds"], r["level"])
            for r in rows(ev, "indicator")] == [
        ("2026-03-01", 0.0, [2, 4, 8], "high"), ("2026-03-02", 2.0, [4, 8, 16], "medium")]


def test_baseline_thresholds_use_the_weighted_count() -> None:
    ev = scored(BASELINE_POLICY, person(usb(0, 2, UNALLOWED)))
    assert [(r["weighted_count"], r["level"]) for r in rows(ev, "indicator")] == [(4, "medium")]


# --- Sequences ------------------------------------------------------------------------------

COLLECT_EXFIL = SEQUENCES["collect_exfiltrate"]
SEQ_POLICY = policy(sequences=(COLLECT_EXFIL,))


def fe(file: str, kind: str, when: datetime, event_id: str | None = None) -> FileEvent:
    return FileEvent(file, kind, when, event_id or f"{file}:{kind}:{when.isoformat()}")


def sequence_rows(rule: PolicyRule, *files: FileEvent) -> list[dict]:
    return rows(scored(rule, person(files=files)), "sequence")


def test_collect_then_exfiltrate_on_one_file_within_7_days() -> None:
    found = sequence_rows(SEQ_POLICY, fe("f-a", "file.downloaded", at(1)),
                          fe("f-a", "device.file_copied_to_usb", at(8)))  # exactly 7 days
    assert found == [{"kind": "sequence", "sequence": "collect_exfiltrate",
                      "name": "Collect, then exfiltrate", "steps": 2, "file_count": 1,
                      "files": ["f-a"], "points": 20}]


@pytest.mark.parametrize("files", [
    # a second too late
    (fe("f-a", "file.downloaded", at(1)),
     fe("f-a", "device.file_copied_to_usb", at(8, seconds=1))),
    # out of order
    (fe("f-a", "device.file_copied_to_usb", at(1)), fe("f-a", "file.downloaded", at(2))),
    # different files
    (fe("f-a", "file.downloaded", at(1)), fe("f-b", "device.file_copied_to_usb", at(2))),
    # two collections are not a sequence
    (fe("f-a", "file.downloaded", at(1)), fe("f-a", "file.synced", at(2))),
])
def test_sequence_not_detected(files: tuple[FileEvent, ...]) -> None:
    assert sequence_rows(SEQ_POLICY, *files) == []


def test_sequence_steps_must_fit_the_window() -> None:
    # The download lies before the window (day -10 .. day 30).
    assert sequence_rows(SEQ_POLICY, fe("f-a", "file.downloaded", at(-11, hour=23)),
                         fe("f-a", "device.file_copied_to_usb", at(-10))) == []


def test_a_later_collection_restarts_the_clock() -> None:
    found = sequence_rows(SEQ_POLICY, fe("f-a", "file.downloaded", at(1)),
                          fe("f-a", "file.synced", at(5)),
                          fe("f-a", "email.sent_to_personal_address", at(11)))
    assert [r["files"] for r in found] == [["f-a"]]


def test_sequence_points_by_number_of_steps_and_files_listed() -> None:
    five = SequenceDef("custom_five", "Five steps", (
        frozenset({"file.downloaded"}), frozenset({"file.renamed"}),
        frozenset({"file.label_removed"}), frozenset({"file.shared_externally"}),
        frozenset({"file.deleted"})), built_in=False)
    rule = policy(sequences=(SEQUENCES["collect_exfiltrate"],
                             SEQUENCES["collect_obfuscate_exfiltrate"],
                             SEQUENCES["collect_obfuscate_exfiltrate_delete"], five))
    files = []
    for name in ("f-b", "f-a"):
        files += [fe(name, "file.downloaded", at(1)), fe(name, "file.renamed", at(2)),
                  fe(name, "file.label_removed", at(2, hour=10)),
                  fe(name, "file.shared_externally", at(3)), fe(name, "file.deleted", at(4))]
    files.append(fe("f-c", "file.synced", at(1)))
    files.append(fe("f-c", "device.file_printed", at(1, hour=10)))
    ev = scored(rule, person(files=tuple(files)))
    assert [(r["sequence"], r["steps"], r["file_count"], r["files"], r["points"])
            for r in rows(ev, "sequence")] == [
        ("collect_exfiltrate", 2, 3, ["f-a", "f-b", "f-c"], 20),
        ("collect_obfuscate_exfiltrate", 3, 2, ["f-a", "f-b"], 30),
        ("collect_obfuscate_exfiltrate_delete", 4, 2, ["f-a", "f-b"], 40),
        ("custom_five", 5, 2, ["f-a", "f-b"], 50)]
    assert ev.score == 100 and ev.base == 140
    assert rows(ev, "cap") == [{"kind": "cap", "points": -40}]


def test_sequence_counts_once_however_many_files() -> None:
    files = []
    for i in range(25):
        files += [fe(f"f-{i:02}", "file.downloaded", at(1)),
                  fe(f"f-{i:02}", "device.file_uploaded_to_cloud", at(2))]
    (row,) = sequence_rows(SEQ_POLICY, *files)
    assert (row["file_count"], len(row["files"]), row["files"][0], row["points"]) == \
        (25, 20, "f-00", 20)


# --- Cumulative exfiltration ----------------------------------------------------------------

def test_percentile_is_the_share_strictly_below() -> None:
    assert percentile(5, [1, 2, 3, 5, 8]) == 60.0
    assert percentile(10, [10, 10, 10]) == 0.0
    assert round(percentile(2, [1, 2, 3]), 2) == 33.33
    # Not rounded before the thresholds: 89.995 is below the 90th percentile.
    assert percentile(1, [0] * 17999 + [1] * 2001) < 90.0
    assert percentile(9, [1, 2, 3]) == 100.0
    assert percentile(1, []) == 0.0


def _cumulative(rule: PolicyRule, *standings: Standing, min_group_size: int = 5
                ) -> list[tuple[str, str, int]]:
    facts = Facts(standings=standings, min_group_size=min_group_size)
    return [(r["scope"], r["level"], r["points"])
            for r in rows(scored(rule, person(facts=facts)), "cumulative")]


ORG_POLICY = policy(cumulative=frozenset({"cumulative_exfiltration_org"}))
BOTH_POLICY = policy(cumulative=frozenset({"cumulative_exfiltration_org",
                                           "cumulative_exfiltration_peers"}))


@pytest.mark.parametrize(("pct", "expected"), [
    (89.99, []), (90.0, [("org", "low", 10)]), (94.99, [("org", "low", 10)]),
    (95.0, [("org", "medium", 20)]), (99.0, [("org", "high", 35)]),
    (100.0, [("org", "high", 35)])])
def test_org_standing_levels(pct: float, expected: list) -> None:
    assert _cumulative(ORG_POLICY, Standing("org", 40, pct, 500)) == expected


def test_org_standing_row_in_full() -> None:
    ev = scored(ORG_POLICY, person(facts=Facts(standings=(Standing("org", 40, 96.5, 500),))))
    assert ev.contributions == ({"kind": "cumulative", "scope": "org", "total": 40,
                                 "percentile": 96.5, "group_size": 500, "level": "medium",
                                 "points": 20},)


def test_too_few_events_never_stand_out() -> None:
    assert _cumulative(ORG_POLICY, Standing("org", CUMULATIVE_MIN_EVENTS - 1, 99.9, 500)) == []
    assert _cumulative(ORG_POLICY, Standing("org", CUMULATIVE_MIN_EVENTS, 99.9, 500)) == \
        [("org", "high", 35)]


def test_small_peer_groups_are_ignored() -> None:
    org, peers = Standing("org", 40, 91.0, 500), Standing("peers", 40, 99.0, 4)
    assert _cumulative(BOTH_POLICY, org, peers) == [("org", "low", 10)]
    assert _cumulative(BOTH_POLICY, org, replace(peers, group_size=5)) == \
        [("org", "low", 10), ("peers", "high", 35)]
    assert _cumulative(BOTH_POLICY, org, replace(peers, group_size=5), min_group_size=6) == \
        [("org", "low", 10)]


def test_only_the_scopes_the_policy_asks_for() -> None:
    standings = (Standing("org", 40, 91.0, 500), Standing("peers", 40, 99.0, 50))
    assert _cumulative(ORG_POLICY, *standings) == [("org", "low", 10)]
    assert _cumulative(POLICY, *standings) == []


# --- Boosters and the cap -------------------------------------------------------------------

ALL_BOOSTERS = frozenset({"booster_above_baseline", "booster_priority_group",
                          "booster_previous_violation", "booster_high_impact"})
EVERYTHING = Facts(priority_group=True, previous_violation=True, high_impact=True)


def boosters(ev: Evaluation) -> list[tuple[str, int, int]]:
    return [(r["booster"], r["percent"], r["points"]) for r in rows(ev, "booster")]


def test_each_booster_adds_its_percent_of_the_base() -> None:
    ev = scored(policy(boosters=ALL_BOOSTERS), person(usb(1, 10), facts=EVERYTHING))
    assert ev.base == 20
    assert boosters(ev) == [("booster_above_baseline", 25, 5), ("booster_high_impact", 25, 5),
                            ("booster_previous_violation", 50, 10),
                            ("booster_priority_group", 25, 5)]
    assert ev.score == 45 and rows(ev, "cap") == []


def test_boosters_apply_once_however_many_reasons_and_the_cap_row_balances() -> None:
    # Three days each far above the person's usual activity: the booster still applies once.
    ev = scored(policy(boosters=ALL_BOOSTERS), person(usb(1, 10), usb(2, 10), usb(3, 10),
                                                      facts=EVERYTHING))
    assert ev.base == 60
    assert boosters(ev) == [("booster_above_baseline", 25, 15), ("booster_high_impact", 25, 15),
                            ("booster_previous_violation", 50, 30),
                            ("booster_priority_group", 25, 15)]
    assert ev.contributions[-1] == {"kind": "cap", "points": -35}
    assert (ev.score, ev.severity) == (100, "high")


def test_booster_points_round_down() -> None:
    ev = scored(policy(boosters=frozenset({"booster_high_impact"})),
                person(usb(1, 1), usb(2, 10), facts=Facts(high_impact=True)))
    assert (ev.base, boosters(ev), ev.score) == (30, [("booster_high_impact", 25, 7)], 37)


def test_above_baseline_needs_three_times_the_usual_daily_count() -> None:
    rule = policy(boosters=frozenset({"booster_above_baseline"}), past_days=0)
    # 300 events the day before: an average of 10 a day.
    assert boosters(scored(rule, person(usb(-1, 300), usb(0, 29)))) == []
    assert boosters(scored(rule, person(usb(-1, 300), usb(0, 30)))) == \
        [("booster_above_baseline", 25, 8)]
    # With no history the usual activity counts as 1 a day.
    assert boosters(scored(rule, person(usb(0, 2)))) == []
    assert boosters(scored(rule, person(usb(0, 3)))) == [("booster_above_baseline", 25, 2)]


def test_priority_group_booster_not_applied_when_the_policy_scopes_to_priority_groups() -> None:
    rule = policy(boosters=frozenset({"booster_priority_group"}))
    member = Facts(priority_group=True)
    assert boosters(scored(rule, person(usb(1, 10), facts=member))) == \
        [("booster_priority_group", 25, 5)]
    ev = scored(replace(rule, scope_is_priority=True), person(usb(1, 10), facts=member))
    assert (boosters(ev), ev.score) == ([], 20)


def test_boosters_need_the_policy_and_a_base() -> None:
    assert boosters(scored(POLICY, person(usb(1, 10), facts=EVERYTHING))) == []
    ev = scored(policy(boosters=ALL_BOOSTERS), person(facts=EVERYTHING))
    assert (ev.contributions, ev.score) == ((), 0)


def test_cap_row_when_the_base_alone_exceeds_100() -> None:
    ev = scored(POLICY, person(usb(1, 30), usb(2, 30), usb(3, 30)))
    assert (ev.base, ev.score, rows(ev, "cap")) == (105, 100, [{"kind": "cap", "points": -5}])


def test_cap_row_with_a_sequence() -> None:
    ev = scored(policy(sequences=(SEQUENCES["collect_obfuscate_exfiltrate_delete"],)),
                person(usb(1, 30), usb(2, 10), usb(3, 10), files=(
                    fe("f-a", "file.synced", at(1)), fe("f-a", "device.file_renamed", at(1, 10)),
                    fe("f-a", "device.file_printed", at(1, 11)),
                    fe("f-a", "device.file_deleted", at(1, 12)))))
    assert (ev.base, ev.score, rows(ev, "cap")) == (115, 100, [{"kind": "cap", "points": -15}])


def test_no_cap_row_at_exactly_100() -> None:
    ev = scored(POLICY, person(*(usb(i, 1) for i in range(10))))
    assert (ev.base, ev.score, rows(ev, "cap")) == (100, 100, [])


# --- Risk factors ---------------------------------------------------------------------------

def test_risk_factors() -> None:
    rule = policy(priority_content=PRIORITY_LABEL, sequences=(COLLECT_EXFIL,),
                  cumulative=frozenset({"cumulative_exfiltration_org"}))
    facts = Facts(priority_group=True, high_impact=True, previous_violation=True,
                  standings=(Standing("org", 40, 99.0, 500),))
    ev = scored(rule, person(usb(1, 1, PRIORITY_LABEL), usb(2, 1, UNALLOWED), facts=facts,
                             files=(fe("f-a", "file.downloaded", at(1)),
                                    fe("f-a", "device.file_copied_to_usb", at(2)))))
    assert ev.risk_factors == ("cumulative_exfiltration", "high_impact_person",
                               "priority_content", "priority_group", "sequence",
                               "unallowed_domains")


def test_risk_factors_only_from_what_counted() -> None:
    # Priority content the policy does not weigh, a third-party domain, a cumulative standing
    # it does not use: no factor.
    facts = Facts(previous_violation=True, standings=(Standing("org", 40, 99.0, 500),))
    ev = scored(policy(priority_content=PRIORITY_SITE),
                person(usb(1, 1, PRIORITY_LABEL | THIRD_PARTY), facts=facts))
    assert ev.risk_factors == ()
    # An unallowed day below the low threshold is not a row, so not a factor.
    ev = scored(policy(indicators=(IndicatorRule("usb_copy", (5, 10, 30)),)),
                person(usb(1, 2, UNALLOWED)))
    assert (ev.contributions, ev.risk_factors) == ((), ())


# --- Alert volume ---------------------------------------------------------------------------

@pytest.mark.parametrize(("volume", "cap"), [("fewer", 10), ("default", 50), ("more", 200),
                                             ("unknown", 50)])
def test_alert_volume_caps_new_alerts_per_day(volume: str, cap: int) -> None:
    assert alert_allowed(volume, "medium", cap - 1) is True
    assert alert_allowed(volume, "high", cap) is False


def test_fewer_refuses_low_severity() -> None:
    assert alert_allowed("fewer", "low", 0) is False
    assert alert_allowed("default", "low", 0) is True
    assert alert_allowed("more", "low", 199) is True
