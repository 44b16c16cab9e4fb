"""Scoring's indicators and ingest's activity catalogue describe the same activities: every
activity an indicator counts exists, with the same category, and every activity that could
be a risk is counted by an indicator, triggers a policy, or is named here as not (yet)."""

from __future__ import annotations

from services.ingest.events.catalogue import CATALOGUE, ActivityType, Category
from services.scoring.engine.catalogue import GROUPS, INDICATORS, TRIGGER_ACTIVITIES

# Activities no counting indicator scores: triggering events, and signals that are inputs to
# the scoring model's own parts (priority content, sequences) rather than daily counts.
NOT_COUNTED = {
    "file.copied", "file.uploaded", "file.renamed", "email.sent_with_attachment",
    "chat.external_message", "physical.badge_succeeded", "dlp.rule_match",
    "endpoint_security.alert", "hr.job_level_change", "hr.performance_review",
    "hr.performance_improvement_plan",
}


def test_every_counted_activity_exists_with_the_same_category() -> None:
    known = {t.value for t in ActivityType}
    for ind in INDICATORS.values():
        assert ind.group in GROUPS, ind.key
        low, medium, high = ind.default_thresholds
        assert 0 < low < medium < high, ind.key
        for activity in ind.activity_types:
            assert activity in known, (ind.key, activity)
            assert CATALOGUE[ActivityType(activity)].category.value == ind.category, \
                (ind.key, activity)


def test_every_activity_is_counted_triggering_or_named() -> None:
    counted = {a for ind in INDICATORS.values() for a in ind.activity_types}
    for kind, spec in CATALOGUE.items():
        if spec.category is Category.HR and kind.value not in NOT_COUNTED:
            assert kind.value in TRIGGER_ACTIVITIES, kind.value
            continue
        assert (kind.value in counted) != (kind.value in NOT_COUNTED), kind.value
