from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator


class CaseStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Classification(StrEnum):
    BENIGN = "benign"
    CONFIRMED_VIOLATION = "confirmed_violation"


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    subject_id: uuid.UUID
    alias: str
    status: CaseStatus
    classification: Classification | None
    resolution: str | None = Field(description="The action taken (kept under its old name).")
    action_taken: str | None = Field(default=None, description=(
        "What was done when the case was closed, e.g. 'HR informed; access revoked'."))
    created_by: str
    created_at: datetime = Field(description="When the case was opened.")
    updated_at: datetime = Field(description=(
        "Last updated: opened, a note, evidence, an alert added, closed."))
    closed_at: datetime | None
    alert_count: int = Field(default=0, description="Alerts filed under the case.")


class CasePage(BaseModel):
    items: list[CaseRead]
    next_cursor: str | None = None


class CaseBatch(BaseModel):
    """Cases read in one call, each exactly as `GET /cases/{case_id}` shows it."""

    items: list[CaseRead] = Field(description="The cases found, in the order asked.")
    missing: list[uuid.UUID] = Field(description=(
        "Ids of no case the caller may see (unknown, about someone outside their scope and "
        "not shared with them): what the single read answers 404 for."))


class CaseSort(StrEnum):
    OPENED_DESC = "-opened_at"
    OPENED_ASC = "opened_at"
    UPDATED_DESC = "-updated_at"
    UPDATED_ASC = "updated_at"


class CaseClose(BaseModel):
    """Closing needs the classification and the action taken (required, not blank); the
    field's old name `resolution` is still accepted."""

    model_config = ConfigDict(extra="forbid")

    classification: Classification
    action_taken: str = Field(
        min_length=1, max_length=2000,
        validation_alias=AliasChoices("action_taken", "resolution"),
        description="What was done, e.g. 'HR informed; access revoked' (also accepted as "
                    "`resolution`).")

    @field_validator("action_taken")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the action taken must not be blank")
        return value.strip()


class CaseStats(BaseModel):
    by_status: dict[str, int] = Field(description="Cases in scope by status (all time).")
    by_classification: dict[str, int] = Field(description=(
        "Cases closed in the window, by classification."))
    closed_in_window: int
    mean_time_to_close_s: float | None = Field(description=(
        "Mean of (closed_at - opened_at) over the cases closed in the window; null if none."))
    median_time_to_close_s: float | None
    window_from: datetime
    window_to: datetime


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"


class OpenCasesPoint(BaseModel):
    bucket_start: datetime
    bucket_end: datetime
    open: int = Field(description="Cases open at bucket_end: opened before it, not closed by "
                                  "then.")


class OpenCasesSeries(BaseModel):
    bucket: Bucket
    points: list[OpenCasesPoint]


class CaseAlertRead(BaseModel):
    """An alert of a case as a case viewer may see it: metadata only (no explanation, no
    activity)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    policy_id: uuid.UUID
    policy_name: str
    subject_id: uuid.UUID
    alias: str
    status: str
    severity: str
    created_at: datetime = Field(description="Time detected.")
    updated_at: datetime


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20000)


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    author: str
    body: str
    created_at: datetime
