"""A score depends on the events, not on how they arrived: folding them in one batch, or
shuffled into several batches merged as the pipeline merges them (counts add, triggers
append), gives the same aggregates and the same evaluation for everyone."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.scoring.engine.catalogue import SEQUENCES
from services.scoring.engine.classify import PRIORITY_LABEL, PRIORITY_SITE, file_key
from services.scoring.engine.rules import (
    DailyCount,
    Evaluation,
    Facts,
    FileEvent,
    IndicatorRule,
    Person,
    PolicyRule,
    Standing,
    Trigger,
    evaluate,
)
from services.scoring.global_settings.schemas import GlobalSettings
from services.scoring.global_settings.service import Effective, effective
from services.scoring.pipeline.service import fold

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
SUBJECTS = tuple(uuid.UUID(int=i) for i in (1, 2, 3))
FILES = ("plan.docx", "Payroll.xlsx", "notes.txt", "roadmap.pdf")
DOMAINS = ("gmail.com", "contoso.com", "mail.contoso.com", "dropbox.com", "evil.example")
LABELS = ("Secret", "Public")
FILE_TYPES = (
    "file.downloaded", "file.synced", "device.file_archived", "device.file_renamed",
    "file.label_downgraded", "file.shared_externally", "device.file_copied_to_usb",
    "device.file_uploaded_to_cloud", "email.sent_external_with_attachment",
    "email.sent_to_personal_address", "file.deleted", "device.file_deleted")
OTHER_TYPES = ("hr.resignation", "hr.performance_review", "dlp.rule_match",
               "security.antivirus_disabled")

Event = tuple[uuid.UUID, str, str, datetime, dict[str, Any]]


@st.composite
def events(draw: st.DrawFn) -> list[Event]:
    out: list[Event] = []
    for n in range(draw(st.integers(5, 50))):
        kind = draw(st.sampled_from(FILE_TYPES + OTHER_TYPES))
        # Few distinct days and times: ties (same day, same instant) are common.
        occurred = EPOCH + timedelta(days=draw(st.integers(0, 29)),
                                     hours=draw(st.sampled_from((0, 9, 17))))
        attrs: dict[str, Any] = {}
        if kind in FILE_TYPES:
            attrs["file_name"] = draw(st.sampled_from(FILES))
            attrs["bytes"] = draw(st.integers(0, 3_000_000_000))
            for name, values in (("target_domain", DOMAINS), ("sensitivity_label", LABELS)):
                value = draw(st.none() | st.sampled_from(values))
                if value:
                    attrs[name] = value
        elif kind == "hr.resignation":
            days = draw(st.sampled_from((5, 15, 25)))
            attrs["resignation_date"] = (EPOCH + timedelta(days=days)).date().isoformat()
        elif kind == "hr.performance_review":
            attrs["rating"] = draw(st.integers(1, 5))
        elif kind == "dlp.rule_match":
            attrs["severity"] = draw(st.sampled_from(("high", "medium")))
        out.append((draw(st.sampled_from(SUBJECTS)), f"e-{n:03}", kind, occurred, attrs))
    return out


def _some(values: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), unique=True, max_size=2)


SETTINGS = st.builds(
    lambda excluded_types, keywords, allowed, unallowed, third, labels: GlobalSettings(
        detections={"excluded_file_types": excluded_types, "excluded_keywords": keywords,
                    "allowed_domains": allowed, "unallowed_domains": unallowed,
                    "third_party_domains": third},
        priority_content={"labels": labels}),
    _some(("txt", "pdf")), _some(("payroll", "roadmap")), _some(("contoso.com", "*.contoso.com")),
    _some(("gmail.com", "evil.example", "dropbox.com")), _some(("dropbox.com",)),
    _some(("secret", "public")))

POLICY = st.builds(
    lambda triggers, activation, past: PolicyRule(
        triggering_events=triggers,
        indicators=(IndicatorRule("download", (2, 4, 8), (10**8, 10**9, 5 * 10**9)),
                    IndicatorRule("usb_copy", None),
                    IndicatorRule("cloud_upload", (1, 3, 6), (10**8, 10**9, 5 * 10**9)),
                    IndicatorRule("email_external_attachment", None),
                    IndicatorRule("share_external", (1, 2, 3)),
                    IndicatorRule("label_downgrade", (1, 2, 3)),
                    IndicatorRule("delete", None)),
        alert_threshold=40, activation_days=activation, past_days=past,
        priority_content=PRIORITY_LABEL | PRIORITY_SITE,
        boosters=frozenset({"booster_above_baseline", "booster_priority_group",
                            "booster_previous_violation", "booster_high_impact"}),
        sequences=tuple(SEQUENCES.values()),
        cumulative=frozenset({"cumulative_exfiltration_org"})),
    st.sampled_from([("hr.resignation", "manual"), ("hr.resignation", "dlp.high", "hr.risky"),
                     ("indicator_activity", "hr.resignation")]),
    st.integers(1, 30), st.integers(0, 30))

FACTS = {SUBJECTS[0]: Facts(),
         SUBJECTS[1]: Facts(priority_group=True, previous_violation=True),
         SUBJECTS[2]: Facts(high_impact=True, standings=(Standing("org", 25, 96.0, 40),))}


def fold_in_batches(eff: Effective, batches: list[list[Event]]) -> tuple[dict, list]:
    """Each batch folded on its own, then merged into the stored aggregates."""
    counts: dict[tuple, list[int]] = {}
    triggers: list[tuple] = []
    for batch in batches:
        batch_counts: dict[tuple, list[int]] = {}
        batch_triggers: list[tuple] = []
        fold(eff, batch, batch_counts, batch_triggers)
        for key, (count, size) in batch_counts.items():
            row = counts.setdefault(key, [0, 0])
            row[0] += count
            row[1] += size
        triggers += batch_triggers
    return counts, triggers


def evaluations(rule: PolicyRule, counts: dict[tuple, list[int]], triggers: list[tuple],
                evs: list[Event]) -> dict[uuid.UUID, Evaluation | None]:
    people = {s: Person(facts=FACTS[s]) for s in SUBJECTS}
    for (subject, indicator, day, flags), (count, size) in counts.items():
        people[subject].counts.append(DailyCount(indicator, day, count, flags, size))
    for event_id, subject, kind, day in triggers:
        people[subject].triggers.append(Trigger(kind, day, event_id))
    for subject, event_id, kind, occurred, attrs in evs:
        key = file_key(attrs)
        if key:
            people[subject].files.append(FileEvent(key, kind, occurred, event_id))
    return {s: evaluate(rule, p) for s, p in people.items()}


@settings(max_examples=60, deadline=None)
@given(evs=events(), document=SETTINGS, rule=POLICY, data=st.data())
def test_batching_and_order_do_not_change_scores(evs: list[Event], document: GlobalSettings,
                                                 rule: PolicyRule, data: st.DataObject) -> None:
    eff = effective(1, document)
    whole_counts, whole_triggers = fold_in_batches(eff, [evs])

    shuffled = data.draw(st.permutations(evs))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(evs)), max_size=4)))
    bounds = [0, *cuts, len(evs)]
    batches = [shuffled[a:b] for a, b in itertools.pairwise(bounds)]
    counts, triggers = fold_in_batches(eff, batches)

    assert counts == whole_counts
    assert sorted(triggers) == sorted(whole_triggers)
    assert evaluations(rule, counts, triggers, shuffled) == \
        evaluations(rule, whole_counts, whole_triggers, evs)
