"""The exclusion rule as plain data: which rules and marks cover an event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.scoring.engine.exclusions import exclusions, rule_of

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
PERSON, OTHER = uuid.uuid4(), uuid.uuid4()


def _rule(*periods: tuple[datetime, datetime], types=("device.file_copied_to_usb",)):
    return rule_of(uuid.uuid4(), PERSON, types,
                   [{"start": a.isoformat(), "end": b.isoformat()} for a, b in periods])


def test_a_rule_covers_its_person_types_and_periods_only() -> None:
    rule = _rule((T0, T0 + timedelta(days=1)))
    usb = "device.file_copied_to_usb"
    assert exclusions([rule], {}, PERSON, "e1", usb, T0) == [("suppression", rule.id)]
    # Expired at `until` (exclusive), not yet started, another type, another person.
    assert exclusions([rule], {}, PERSON, "e1", usb, T0 + timedelta(days=1)) == []
    assert exclusions([rule], {}, PERSON, "e1", usb, T0 - timedelta(seconds=1)) == []
    assert exclusions([rule], {}, PERSON, "e1", "file.downloaded", T0) == []
    assert exclusions([rule], {}, OTHER, "e1", usb, T0) == []


def test_a_renewed_rule_leaves_the_gap_between_its_periods_counting() -> None:
    rule = _rule((T0, T0 + timedelta(days=1)), (T0 + timedelta(days=2), T0 + timedelta(days=3)))
    usb = "device.file_copied_to_usb"
    hits = [bool(exclusions([rule], {}, PERSON, "e", usb, T0 + timedelta(hours=h)))
            for h in (12, 36, 60)]
    assert hits == [True, False, True]


def test_marks_and_every_covering_rule_are_reported() -> None:
    a, b = _rule((T0, T0 + timedelta(days=1))), _rule((T0, T0 + timedelta(days=2)))
    mark = uuid.uuid4()
    got = exclusions([a, b], {(PERSON, "e9"): mark}, PERSON, "e9", "device.file_copied_to_usb",
                     T0)
    assert got == [("benign", mark), ("suppression", a.id), ("suppression", b.id)]
    assert exclusions([], {(PERSON, "e9"): mark}, OTHER, "e9", "x", T0) == []
