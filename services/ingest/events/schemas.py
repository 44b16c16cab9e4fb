"""The canonical activity event (version 1), published as JSON schema in contracts/."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.ingest.events.catalogue import ActivityType, Category

MAX_BATCH = 5000
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
DATE_ATTRIBUTES: dict[ActivityType, tuple[str, ...]] = {
    ActivityType.HR_RESIGNATION: ("resignation_date", "last_working_date"),
    ActivityType.HR_TERMINATION: ("termination_date",),
}
MAX_ATTRIBUTES_BYTES = 16_384


class ActivityEvent(BaseModel):
    """One thing a person did. `id` is the idempotency key: the same id is stored once."""

    model_config = ConfigDict(extra="forbid", title="ActivityEvent")

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

    @field_validator("attributes")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, default=str)) > MAX_ATTRIBUTES_BYTES:
            raise ValueError(f"attributes exceed {MAX_ATTRIBUTES_BYTES} bytes")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        # By the year as written: converting a year-1 time to UTC would itself overflow.
        if not EARLIEST.year <= value.year < LATEST.year:
            raise ValueError("occurred_at must be between 1970 and 2100")
        return value

    @model_validator(mode="after")
    def _dates(self) -> ActivityEvent:
        """Date attributes that scoring reads must be real ISO 8601 dates in range."""
        for key in DATE_ATTRIBUTES.get(self.type, ()):
            raw = self.attributes.get(key)
            if raw is None:
                continue
            try:
                day = date.fromisoformat(str(raw))
            except ValueError as exc:
                raise ValueError(f"attributes.{key} must be an ISO 8601 date") from exc
            if not EARLIEST.date() <= day < LATEST.date():
                raise ValueError(f"attributes.{key} must be between 1970 and 2100")
        return self


class EventBatch(BaseModel):
    """A batch is accepted whole or refused whole: one invalid event refuses the batch (422,
    naming the event's index and field) and nothing of it is stored."""

    model_config = ConfigDict(extra="forbid")

    events: list[ActivityEvent] = Field(min_length=1, max_length=MAX_BATCH)


class BatchReceipt(BaseModel):
    receipt_id: uuid.UUID
    accepted: int = Field(description="events stored by this request")
    duplicates: int = Field(description="events already stored before (same id)")


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
