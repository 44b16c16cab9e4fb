"""The canonical activity event (version 1), published as JSON schema in contracts/."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticSerializationError, to_json

from services.ingest.events.catalogue import (
    CATALOGUE,
    SCHEMA_VERSION,
    ActivityType,
    Category,
    Group,
)

MAX_BATCH = 5000
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_ATTRIBUTES_BYTES = 16_384


def is_unicode(text: str) -> bool:
    """False for strings holding lone surrogates (JSON `\\ud800` escapes can make them),
    which PostgreSQL cannot store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _finite_json(encoded: bytes) -> bool:
    """False if the JSON holds a NaN or Infinity token (not merely such text in a string)."""

    def refuse(name: str) -> None:
        raise ValueError(name)

    try:
        json.loads(encoded, parse_constant=refuse)
    except ValueError:
        return False
    return True


RESERVED_IDS = frozenset({"summary", "chart"})

class ActivityEvent(BaseModel):
    """One thing a person did. `id` is the idempotency key: the same id is stored once."""

    model_config = ConfigDict(extra="forbid", title="ActivityEvent")

    schema_version: Literal[1] = Field(
        default=SCHEMA_VERSION, description="Version of this schema the event is written in.")
    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$",
                    description="Unique id of the event at its source; the idempotency key.")
    type: ActivityType
    occurred_at: AwareDatetime = Field(description="When it happened (ISO 8601, with offset), "
                                       "between 1970 and 2100.")
    actor: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$",
                       description="The person's email or user principal name.")
    source: str = Field(default="api", min_length=1, max_length=64)
    attributes: dict[str, Any] = Field(
        default_factory=dict,
        description="Type-specific fields, e.g. file_name, path, bytes, recipient_domain; "
                    "for hr.resignation: resignation_date, last_working_date; for "
                    "hr.termination: termination_date (ISO 8601 dates).")

    @field_validator("id")
    @classmethod
    def _not_a_route(cls, value: str) -> str:
        """An event is read back at `/activity/{id}` (ingest) and
        `/people/{subject}/activity/{id}` (cases), beside `/activity/summary` and
        `/activity/chart`: an event with one of those ids could never be read."""
        if value.lower() in RESERVED_IDS:
            raise ValueError(f"'{value}' is reserved (it names a route); choose another id")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        # By the year as written: converting a year-1 time to UTC would itself overflow.
        if not EARLIEST.year <= value.year < LATEST.year:
            raise ValueError("occurred_at must be between 1970 and 2100")
        return value

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Size, storability, and each type's required attributes and allowed values (see
        the catalogue); date attributes that scoring reads must be real ISO 8601 dates in
        range. One validator, as it runs for every event. (`type` is declared first, so it
        is validated by now; if it was invalid there is nothing to check against.) Actor and
        source need no such check: every body is parsed by pydantic-core, which refuses the
        lone surrogates PostgreSQL cannot store."""
        try:
            encoded = to_json(value)  # UTF-8, as stored; refuses lone surrogates
        except PydanticSerializationError:
            raise ValueError("attributes contain text that is not valid Unicode") from None
        if len(encoded) > MAX_ATTRIBUTES_BYTES:
            raise ValueError(f"attributes exceed {MAX_ATTRIBUTES_BYTES} bytes")
        if (b"NaN" in encoded or b"Infinity" in encoded) and not _finite_json(encoded):
            raise ValueError("attributes must not hold NaN or Infinity (JSON has neither)")
        kind = info.data.get("type")
        if kind is None:
            return value
        spec = CATALOGUE[kind]
        for key in spec.required:
            if value.get(key) in (None, ""):
                raise ValueError(f"attributes.{key} is required for {kind.value}")
        for key, allowed in spec.choices.items():
            if key in value and value[key] not in allowed:
                raise ValueError(f"attributes.{key} must be one of {', '.join(allowed)}")
        for key in spec.dates:
            raw = value.get(key)
            if raw is None:
                continue
            try:
                day = date.fromisoformat(str(raw))
            except ValueError as exc:
                raise ValueError(f"attributes.{key} must be an ISO 8601 date") from exc
            if not EARLIEST.date() <= day < LATEST.date():
                raise ValueError(f"attributes.{key} must be between 1970 and 2100")
        return value


class EventBatch(BaseModel):
    """A JSON batch of up to 5,000 events. By default it is accepted whole or refused whole:
    one invalid event refuses the batch (422, naming each bad event's index and field) and
    nothing of it is stored; `on_error=skip_invalid` stores the valid ones instead."""

    model_config = ConfigDict(extra="forbid")

    events: list[ActivityEvent] = Field(min_length=1, max_length=MAX_BATCH)


class RecordProblem(BaseModel):
    """Why one record was refused: its 0-based index in the upload, the field, the reason."""

    index: int
    field: str
    reason: str


class BatchReceipt(BaseModel):
    receipt_id: uuid.UUID
    accepted: int = Field(description="events stored by this request")
    duplicates: int = Field(description="events already stored before (same id)")
    rejected: int = Field(default=0, description="invalid records skipped "
                          "(only with on_error=skip_invalid)")
    errors: list[RecordProblem] = Field(default_factory=list,
                                        description="the first invalid records, at most 100")


class StoredEvent(BaseModel):
    id: str
    subject_id: uuid.UUID
    alias: str
    type: ActivityType
    category: Category
    occurred_at: datetime
    received_at: datetime
    source: str
    attributes: dict[str, Any]


class EventFeedPage(BaseModel):
    """Committed events in commit order after a cursor; `next_cursor` resumes after the last."""

    items: list[StoredEvent]
    next_cursor: str | None


class ActivityTypeRead(BaseModel):
    type: ActivityType
    category: Category
    group: Group
    description: str
    required_attributes: list[str]
    choices: dict[str, list[str]]
    date_attributes: list[str]
