"""Physical badging records in the reference product's JSON shape (an array of UserId, AssetId,
AssetName, EventTime, AccessStatus). Pure: no I/O, so it can be fuzzed."""

from __future__ import annotations

import re
from datetime import UTC

from services.ingest.connectors.parsing import Parsed, RecordError, build_event, parse_time
from services.ingest.events.catalogue import ActivityType
from services.ingest.events.schemas import is_unicode

SOURCE = "badging"
# The caller refuses a larger array before mapping any of it.
MAX_RECORDS = 50_000
FIELDS = ("UserId", "AssetId", "AssetName", "EventTime", "AccessStatus")
# Badge systems word the outcome differently; the catalogue knows only success and failed.
_STATUSES = {"success": "success", "succeeded": "success", "granted": "success",
             "failed": "failed", "failure": "failed", "denied": "failed"}
_TYPES = {"success": ActivityType.BADGE_SUCCEEDED, "failed": ActivityType.BADGE_FAILED}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def map_badge(index: int, record: object) -> Parsed | RecordError:
    """One record of the upload as a canonical event, or the first thing wrong with it. Never
    raises: every input, however malformed, gets an outcome."""
    if not isinstance(record, dict):
        return RecordError(index, "(record)", "must be a JSON object")
    values: dict[str, str] = {}
    for name in FIELDS:
        raw = record.get(name)
        if raw is not None and not isinstance(raw, str):
            return RecordError(index, name, "must be a string")
        if raw is None or not raw.strip():
            return RecordError(index, name, "is required")
        if not is_unicode(raw):
            return RecordError(index, name, "has characters that are not valid Unicode")
        values[name] = raw.strip()

    status = _STATUSES.get(values["AccessStatus"].casefold())
    if status is None:
        return RecordError(index, "AccessStatus",
                           "must be Success or Failed (or Succeeded, Granted, Failure, Denied)")
    if not _EMAIL.fullmatch(values["UserId"]):
        return RecordError(index, "UserId", "must be an email address or user principal name")
    try:
        when = parse_time(values["EventTime"])
    except (ValueError, OverflowError):
        return RecordError(index, "EventTime", "must be an ISO 8601 time")
    if not 1970 <= when.year < 2100:  # checked as written: converting year 1 would overflow
        return RecordError(index, "EventTime", "must be between 1970 and 2100")
    when = when.astimezone(UTC)

    asset_id, asset_name = values["AssetId"], values["AssetName"]
    data = {"type": _TYPES[status].value, "occurred_at": when, "actor": values["UserId"],
            "source": SOURCE,
            "attributes": {"asset_id": asset_id, "asset_name": asset_name,
                           "access_status": status}}
    longest = "AssetName" if len(asset_name) >= len(asset_id) else "AssetId"
    names = {"actor": "UserId", "occurred_at": "EventTime", "type": "AccessStatus",
             "attributes": longest}
    return build_event(index, data, natural_key=(asset_id, when.isoformat(), status),
                       field_names=names)

