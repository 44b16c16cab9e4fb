from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AlertStatus(StrEnum):
    NEEDS_REVIEW = "needs_review"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    RESOLVED = "resolved"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class DismissReason(StrEnum):
    FALSE_POSITIVE = "false_positive"
    EXPECTED_ACTIVITY = "expected_activity"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"
    OTHER = "other"


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    policy_id: uuid.UUID
    policy_name: str
    subject_id: uuid.UUID
    alias: str
    status: AlertStatus
    severity: Severity
    score: int
    explanation: dict[str, Any]
    case_id: uuid.UUID | None
    dismiss_reason: DismissReason | None
    dismiss_comment: str | None
    created_at: datetime
    updated_at: datetime


class AlertPage(BaseModel):
    items: list[AlertRead]
    next_cursor: str | None = None


class AlertConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: uuid.UUID | None = Field(default=None, description="Add to this active case; a "
                                      "new case is opened when omitted.")
    title: str | None = Field(default=None, min_length=1, max_length=300)


class AlertDismiss(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: DismissReason
    comment: str | None = Field(default=None, max_length=2000)


class AlertBulkDismiss(AlertDismiss):
    alert_ids: list[uuid.UUID] = Field(min_length=1, max_length=400, description=(
        "Up to 400 alerts, dismissed with the same reason and comment."))


class AlertRefusal(BaseModel):
    alert_id: uuid.UUID
    code: str = Field(description="alert_not_found or alert_not_open")
    current_status: str | None = None


class AlertBulkResult(BaseModel):
    """Each alert is dismissed or refused on its own; one audit row per dismissed alert."""

    dismissed: list[uuid.UUID]
    refused: list[AlertRefusal]
