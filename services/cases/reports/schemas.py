from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.cases.activity.schemas import RiskLevel

MAX_REPORT_DAYS = 90
CLOCK_SKEW = timedelta(minutes=1)


class ReportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class ReportCreate(BaseModel):
    """Any person, any window of up to 90 days ending no later than now, no policy needed."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    subject_id: uuid.UUID
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime = Field(description="End (exclusive); not in the future.")

    @field_validator("to")
    @classmethod
    def _window(cls, to: datetime, info: ValidationInfo) -> datetime:
        if to > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("must not be in the future")
        start = info.data.get("from_")
        if start is not None:
            if to <= start:
                raise ValueError("must be after from")
            if to - start > timedelta(days=MAX_REPORT_DAYS):
                raise ValueError(f"the window may span at most {MAX_REPORT_DAYS} days")
        return to


class ReportRead(BaseModel):
    id: uuid.UUID
    subject_id: uuid.UUID
    alias: str
    window_from: datetime
    window_to: datetime
    state: ReportState
    progress: int = Field(description="Percent of the window read so far.")
    error: str | None
    total: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    shared_with: list[str] = Field(default_factory=list,
                                   description="Accounts (user:<id>) it is shared with.")


class ReportPage(BaseModel):
    items: list[ReportRead]
    next_cursor: str | None = None


class DayLevelCount(BaseModel):
    day: date
    risk_level: RiskLevel
    count: int


class ReportSummary(ReportRead):
    by_day: list[DayLevelCount] = Field(default_factory=list)
    by_category: dict[str, int] = Field(default_factory=dict)
    by_type: dict[str, int] = Field(default_factory=dict)
    by_risk_level: dict[str, int] = Field(default_factory=dict)


class ReportActivity(BaseModel):
    id: str
    occurred_at: datetime
    type: str
    category: str
    source: str
    risk_level: RiskLevel = Field(description="As the report's job found it, or none once "
                                  "marked benign from the report.")
    attributes: dict[str, Any] = Field(description="Without content (names, paths, URLs).")
    excluded: list[ReportExclusion] = Field(default_factory=list, description=(
        "Suppression rules or benign marks covering it now: scoring does not count it."))


class ReportExclusion(BaseModel):
    kind: str = Field(description="suppression or benign")
    suppression_id: uuid.UUID | None = None
    benign_mark_id: uuid.UUID | None = None


class ReportActivityPage(BaseModel):
    items: list[ReportActivity]
    next_cursor: str | None = None


class ShareCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: uuid.UUID = Field(description="An Investigator's staff account whose scope "
                                  "holds the person.")


class MembershipCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy_id: uuid.UUID
    days: int = Field(ge=1, le=30, description="How long the person stays in the policy.")
    reason: str = Field(min_length=5, max_length=1000)


class MembershipRead(BaseModel):
    """Scoring's record of the addition."""

    id: uuid.UUID
    policy_id: uuid.UUID
    subject_id: uuid.UUID
    reason: str
    starts_on: date
    until: date
    active: bool


class BenignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_ids: list[str] = Field(min_length=1, max_length=500, description=(
        "Activities of this report, marked benign: scoring stops counting them."))
    reason: str = Field(min_length=5, max_length=1000)


class BenignResult(BaseModel):
    marked: list[str] = Field(description="Event ids marked by this request.")
    already_marked: list[str] = Field(description="Event ids that were marked before.")
