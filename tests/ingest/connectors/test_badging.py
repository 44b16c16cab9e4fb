"""Physical badging records in the reference product's JSON shape: every record gets an event
or an error naming its field, whatever the upload holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ingest.connectors.badging import FIELDS, MAX_RECORDS, map_badge
from services.ingest.connectors.parsing import PENDING_ID, Parsed, RecordError

RECORD = {"UserId": "sarad@contoso.com", "AssetId": "Mid-Sec-7",
          "AssetName": "Main Building 1st Floor Mid Section", "EventTime": "2026-07-04T01:57:49",
          "AccessStatus": "Failed"}


def test_failed_badge() -> None:
    parsed = map_badge(3, RECORD)
    assert isinstance(parsed, Parsed)
    assert parsed.index == 3
    event = parsed.event
    assert event.type == "physical.badge_failed"
    assert event.id == PENDING_ID
    assert event.actor == "sarad@contoso.com"
    assert event.source == "badging"
    assert event.occurred_at == datetime(2026, 7, 4, 1, 57, 49, tzinfo=UTC)  # naive is UTC
    assert event.attributes == {"asset_id": "Mid-Sec-7",
                                "asset_name": "Main Building 1st Floor Mid Section",
                                "access_status": "failed"}
    assert parsed.natural_key == ("Mid-Sec-7", "2026-07-04T01:57:49+00:00", "failed")


@pytest.mark.parametrize(("status", "kind", "normalised"), [
    ("Success", "physical.badge_succeeded", "success"),
    ("succeeded", "physical.badge_succeeded", "success"),
    ("GRANTED", "physical.badge_succeeded", "success"),
    ("failure", "physical.badge_failed", "failed"),
    (" Denied ", "physical.badge_failed", "failed"),
])
def test_access_status_words(status: str, kind: str, normalised: str) -> None:
    parsed = map_badge(0, {**RECORD, "AccessStatus": status})
    assert isinstance(parsed, Parsed)
    assert parsed.event.type == kind
    assert parsed.event.attributes["access_status"] == normalised


def test_unknown_status_is_an_error() -> None:
    error = map_badge(1, {**RECORD, "AccessStatus": "Tailgated"})
    assert isinstance(error, RecordError)
    assert (error.index, error.field) == (1, "AccessStatus")


def test_time_with_offset_is_normalised_to_utc_in_the_key() -> None:
    parsed = map_badge(0, {**RECORD, "EventTime": "2026-07-04T03:57:49+02:00"})
    assert isinstance(parsed, Parsed)
    assert parsed.event.occurred_at == datetime(2026, 7, 4, 1, 57, 49, tzinfo=UTC)
    assert parsed.natural_key == map_badge(0, RECORD).natural_key  # type: ignore[union-attr]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", [None, "", "   ", 7, ["x"], {"a": 1}, True])
def test_missing_blank_or_non_string_field_is_named(field: str, value: object) -> None:
    record = {**RECORD, field: value}
    if value is None:
        del record[field]
    error = map_badge(2, record)
    assert isinstance(error, RecordError)
    assert (error.index, error.field) == (2, field)


@pytest.mark.parametrize(("field", "value"), [
    ("EventTime", "04/07/2026 01:57"),
    ("EventTime", "1969-12-31T23:59:59Z"),
    ("EventTime", "0001-01-01T00:00:00+14:00"),
    ("UserId", "Sara Davis"),
    ("AssetId", json.loads('"\\ud800"')),
])
def test_bad_value_is_named(field: str, value: str) -> None:
    error = map_badge(0, {**RECORD, field: value})
    assert isinstance(error, RecordError)
    assert error.field == field


@pytest.mark.parametrize("record", [None, 1, "x", [RECORD], [], 2.5])
def test_non_object_record(record: object) -> None:
    assert map_badge(4, record) == RecordError(4, "(record)", "must be a JSON object")


def test_max_records_is_exported() -> None:
    assert MAX_RECORDS == 50_000


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_VALUE = st.one_of(
    _JSON,
    st.sampled_from(["sarad@contoso.com", "Mid-Sec-7", "2026-07-04T01:57:49", "Success",
                     "failed", "Denied", "2099-12-31T23:00:00-05:00", "1970-01-01T00:30+01:00",
                     "0001-01-01T00:00:00+14:00", "x" * 20_000, "\ud800", ""]),
)
_GOOD = {"UserId": ["sarad@contoso.com", " pilarp@contoso.com "],
         "AssetId": ["Mid-Sec-7", "Door 12"],
         "AssetName": ["Main Building 1st Floor Mid Section", "Lab"],
         "EventTime": ["2026-07-04T01:57:49", "2026-07-04T01:57:49.123456Z",
                       "2026-07-04T03:57:49+02:00"],
         "AccessStatus": ["Success", "failed", "GRANTED", "Denied"]}
_RECORD = st.one_of(
    _JSON,
    st.fixed_dictionaries({}, optional={name: _VALUE for name in FIELDS}),
    # Mostly valid records, so the property also reaches the event-building path.
    st.fixed_dictionaries({name: st.sampled_from(range(8)).flatmap(
        lambda k, good=good: _VALUE if k == 0 else st.sampled_from(good))
        for name, good in _GOOD.items()}),
)


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, MAX_RECORDS), record=_RECORD)
def test_map_badge_never_raises(index: int, record: object) -> None:
    outcome = map_badge(index, record)
    assert isinstance(outcome, Parsed | RecordError)
    assert outcome.index == index
    if isinstance(outcome, Parsed):
        assert outcome.natural_key is not None
        # The key holds the asset, time and status, never the person (unless an asset is
        # literally named after them, which the generator can do).
        if outcome.event.actor != outcome.event.attributes["asset_id"]:
            assert outcome.event.actor not in outcome.natural_key
