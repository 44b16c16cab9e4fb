from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator


class EventType(StrEnum):
    ALERT_RAISED = "alert.raised"
    ALERT_UPDATED = "alert.updated"
    ALERT_TRIAGED = "alert.triaged"
    CASE_OPENED = "case.opened"
    CASE_CLOSED = "case.closed"
    RISK_LEVEL_CHANGED = "risk_level.changed"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


Url = AnyHttpUrl


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url = Field(description="Where events are POSTed: http or https.")
    event_types: list[EventType] = Field(min_length=1, max_length=len(EventType))
    policy_ids: list[uuid.UUID] | None = Field(default=None, max_length=200, description=(
        "Only events about these policies (an alert's policy; a case's or a risk level's "
        "alerts' policies). Omitted: events of every policy."))
    description: str | None = Field(default=None, max_length=500)
    disable_after_failures: int | None = Field(default=None, ge=1, le=10_000, description=(
        "Disable after this many failed attempts in a row; omitted: the server's setting."))


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: list[EventType] | None = Field(default=None, min_length=1,
                                                max_length=len(EventType))
    policy_ids: list[uuid.UUID] | None = Field(default=None, max_length=200, description=(
        "Replaces the filter; an empty list removes it (every policy)."))
    description: str | None = Field(default=None, max_length=500)
    disable_after_failures: int | None = Field(default=None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _something(self) -> WebhookUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[EventType]
    policy_ids: list[uuid.UUID] | None
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    consecutive_failures: int
    disable_after_failures: int | None
    previous_secret_expires_at: datetime | None = Field(description=(
        "Until then deliveries carry a second signature made with the secret before the "
        "last rotation."))
    created_by: str
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookRead):
    secret: str = Field(description="`whsec_` + base64 of the key: shown only now.")


class WebhookPage(BaseModel):
    items: list[WebhookRead]
    next_cursor: str | None = None


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    succeeded: bool
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID = Field(description="The `webhook-id` header of every attempt.")
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    replay: bool
    next_attempt_at: datetime | None = Field(description="While pending.")
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptRead]


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None = None


class Replay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivery_id: uuid.UUID | None = Field(default=None, description="Send this one again.")
    since: datetime | None = Field(default=None, description=(
        "Send again every event since then that the subscription's filters match."))

    @model_validator(mode="after")
    def _one(self) -> Replay:
        if (self.delivery_id is None) == (self.since is None):
            raise ValueError("give either delivery_id or since")
        if self.since is not None and self.since.tzinfo is None:
            raise ValueError("since needs a time zone")
        return self


class ReplayResult(BaseModel):
    deliveries: int = Field(description="New deliveries queued.")


class WebhookEventRead(BaseModel):
    """What a receiver gets: the body of every delivery."""

    type: EventType
    timestamp: datetime
    data: dict[str, Any]
