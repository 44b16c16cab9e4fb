"""Suppression rules, benign marks and the excluded events they produce."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

# The activity types ingest accepts, from the published event contract (services share
# contracts, not code).
_CONTRACT = (Path(__file__).resolve().parents[3] / "contracts" / "events"
             / "activity-event.v1.schema.json")
ACTIVITY_TYPES: tuple[str, ...] = tuple(
    json.loads(_CONTRACT.read_text())["$defs"]["ActivityType"]["enum"])
ActivityType = Literal[ACTIVITY_TYPES]  # type: ignore[valid-type]

MAX_DAYS = 90
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
EventId = Annotated[str, Field(min_length=1, max_length=128)]


def _future_until(value: datetime) -> datetime:
    now = datetime.now(UTC)
    if value <= now:
        raise ValueError("must be in the future")
    if value > now + timedelta(days=MAX_DAYS):
        raise ValueError(f"must be at most {MAX_DAYS} days ahead")
    return value


class SuppressionState(StrEnum):
    active = "active"
    review_required = "review_required"
    ended = "ended"


class SuppressionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: uuid.UUID
    activity_types: list[ActivityType] = Field(min_length=1, max_length=20, description=(
        "Ingest's activity types (contracts/events/activity-event.v1.schema.json)."))
    since: AwareDatetime | None = Field(default=None, description=(
        "Suppress activity from this time (default: now); at most 90 days back, so that the "
        "activity that prompted an alert can be covered."))
    until: AwareDatetime = Field(description="Future, at most 90 days ahead. Activity from "
                                 "then on counts again and the rule waits for a review.")
    reason: Reason
    alert_id: uuid.UUID | None = Field(default=None,
                                       description="The alert that prompted the rule.")

    _until = field_validator("until")(_future_until)

    @field_validator("since")
    @classmethod
    def _since(cls, value: datetime | None) -> datetime | None:
        if value is not None and value < datetime.now(UTC) - timedelta(days=MAX_DAYS):
            raise ValueError(f"must be at most {MAX_DAYS} days back")
        return value

    @model_validator(mode="after")
    def _window(self) -> SuppressionCreate:
        if self.since is not None and self.since >= self.until:
            raise ValueError("since must be before until")
        return self


class SuppressionEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=2000)


class ReviewDecision(StrEnum):
    renew = "renew"
    end = "end"


class SuppressionReview(BaseModel):
    """The forced review of an expired rule: renew it for a new period, or end it."""

    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    until: AwareDatetime | None = Field(default=None, description=(
        "With renew (required): the end of the new period, future, at most 90 days ahead."))
    comment: Reason

    @field_validator("until")
    @classmethod
    def _until(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _future_until(value)

    @model_validator(mode="after")
    def _needs_until(self) -> SuppressionReview:
        if self.decision == ReviewDecision.renew and self.until is None:
            raise ValueError("until is required to renew")
        if self.decision == ReviewDecision.end and self.until is not None:
            raise ValueError("until is only for renew")
        return self


class Period(BaseModel):
    start: datetime
    end: datetime


class SuppressionRead(BaseModel):
    id: uuid.UUID
    subject_id: uuid.UUID
    alias: str
    activity_types: list[str]
    periods: list[Period]
    until: datetime
    state: SuppressionState
    reason: str
    alert_id: uuid.UUID | None
    hit_count: int = Field(description="Events this rule has kept from counting.")
    last_hit_at: datetime | None = Field(description="When the latest of them happened.")
    created_by: str
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_decision: ReviewDecision | None
    review_comment: str | None


class SuppressionPage(BaseModel):
    items: list[SuppressionRead]
    next_cursor: str | None


class BenignMarkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_ids: list[EventId] = Field(min_length=1, max_length=500)
    reason: Reason
    report_id: uuid.UUID | None = Field(default=None, description=(
        "The user activity report the events were reviewed in."))


class BenignMarkRead(BaseModel):
    id: uuid.UUID
    subject_id: uuid.UUID
    event_id: str
    occurred_at: datetime
    reason: str
    report_id: uuid.UUID | None
    marked_by: str
    created_at: datetime


class BenignMarkResult(BaseModel):
    marked: list[BenignMarkRead] = Field(description="Marked by this request.")
    already_marked: list[str] = Field(description="Event ids that were marked before.")


class BenignMarkPage(BaseModel):
    items: list[BenignMarkRead]
    next_cursor: str | None


class ExclusionKind(StrEnum):
    suppression = "suppression"
    benign = "benign"


class ExcludedEventRead(BaseModel):
    event_id: str
    subject_id: uuid.UUID
    occurred_at: datetime
    type: str
    kind: ExclusionKind
    suppression_id: uuid.UUID | None = Field(description="With kind suppression: the rule.")
    benign_mark_id: uuid.UUID | None = Field(description="With kind benign: the mark.")


class ExcludedEventPage(BaseModel):
    items: list[ExcludedEventRead]
    next_cursor: str | None
