"""Scoring's indicators and ingest's activity catalogue describe the same activities: every
activity an indicator counts exists, with the same category, and every activity that could
be a risk is counted by an indicator, is a triggering event, a sequence step, or is named
here as not (yet) counted."""

from __future__ import annotations

from services.ingest.events.catalogue import CATALOGUE, ActivityType
from services.scoring.engine.catalogue import (
    ACTIVITY,
    ACTIVITY_TYPES,
    CATEGORIES,
    GROUPS,
    INDICATORS,
    PREREQUISITE_SOURCES,
    SEQUENCES,
    TEMPLATES,
    TRIGGER_KINDS,
)
from services.scoring.engine.classify import TRIGGER_DATE_ATTRIBUTE

# Activities no counting indicator scores: inputs to triggering events, sequences or nothing.
NOT_COUNTED = {
    "file.copied", "file.uploaded", "file.renamed", "email.sent_with_attachment",
    "chat.external_message", "physical.badge_succeeded", "dlp.rule_match",
    "endpoint_security.alert", "hr.resignation", "hr.termination", "hr.job_level_change",
    "hr.performance_review", "hr.performance_improvement_plan",
}


def test_scoring_knows_every_activity_type_ingest_accepts() -> None:
    assert {t.value for t in ActivityType} == ACTIVITY_TYPES


def test_every_counted_activity_exists_with_the_same_category() -> None:
    for ind in INDICATORS.values():
        assert ind.group in GROUPS, ind.key
        if ind.kind != ACTIVITY:
            assert not ind.activity_types and ind.default_thresholds is None, ind.key
            continue
        assert ind.category in CATEGORIES, ind.key
        low, medium, high = ind.default_thresholds
        assert 0 < low < medium < high, ind.key
        for activity in ind.activity_types:
            spec = CATALOGUE[ActivityType(activity)]
            assert spec.category.value == ind.category, (ind.key, activity)
            for attribute, values in ind.where:
                assert set(values) <= set(spec.choices[attribute]), (ind.key, attribute)


def test_every_activity_is_counted_or_named() -> None:
    counted = {a for ind in INDICATORS.values() for a in ind.activity_types}
    for kind in CATALOGUE:
        assert (kind.value in counted) != (kind.value in NOT_COUNTED), kind.value


def test_every_group_has_indicators_and_templates_are_consistent() -> None:
    assert {i.group for i in INDICATORS.values()} == set(GROUPS) - {"custom"}
    assert len(TEMPLATES) == 11
    for t in TEMPLATES.values():
        assert set(t.triggering_events) <= set(TRIGGER_KINDS), t.key
        assert set(t.prerequisites) <= set(PREREQUISITE_SOURCES), t.key
        for key in t.default_indicators:
            assert INDICATORS[key].kind == ACTIVITY, (t.key, key)
        for key in t.default_boosters:
            assert INDICATORS[key].group == "risk_score_boosters", (t.key, key)


def test_sequence_steps_and_trigger_dates_exist() -> None:
    for seq in SEQUENCES.values():
        for step in seq.steps:
            assert step <= ACTIVITY_TYPES, seq.key
    for kind, attribute in TRIGGER_DATE_ATTRIBUTE.items():
        assert attribute in CATALOGUE[ActivityType(kind)].dates
