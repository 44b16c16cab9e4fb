from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.cases.alerts.assistant import RiskFactor


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


class AlertSort(StrEnum):
    DETECTED = "detected"
    SEVERITY = "severity"
    SCORE = "score"
    PRIORITY = "priority"
    SLA_DUE = "sla_due"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"


class PriorityComponent(BaseModel):
    name: str = Field(description="severity, score, priority_content, sequence, exfiltration, "
                      "related_alerts or sla")
    points: int
    detail: str


class AlertRead(BaseModel):
    """An alert as the queue shows it; `alias` and `subject_id`, never a name or address."""

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
    created_at: datetime = Field(description="When the alert was detected (raised).")
    updated_at: datetime
    case_status: str | None = Field(default=None, description="active or closed")
    risk_factors: list[RiskFactor] = Field(default_factory=list)
    sla_due_at: datetime = Field(description="Detection + the triage SLA of its severity.")
    sla_breached: bool = Field(description="Still needs review past its due time.")
    triaged_at: datetime | None = Field(default=None, description=(
        "When it first left needs_review (confirmed or dismissed)."))
    reviewer_id: uuid.UUID | None = Field(default=None, description=(
        "The staff account it was sent to for review."))
    review_requested_by: str | None = None
    review_requested_at: datetime | None = None
    review_comment: str | None = None
    related_count: int = Field(description="The person's other alerts, under any policy.")
    summary: str = Field(description="The triage assistant's plain-language summary.")
    priority: int = Field(ge=0, le=100, description="Sum of `priority_components`.")
    priority_components: list[PriorityComponent]


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


class AlertReview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewer: uuid.UUID = Field(description="The staff account id of the reviewer: active, "
                                "allowed to triage alerts, and seeing the alert's person.")
    comment: str | None = Field(default=None, max_length=2000)


class AlertCounts(BaseModel):
    total: int
    by_severity: dict[Severity, int]
    by_status: dict[AlertStatus, int]


class OpenPoint(BaseModel):
    start: datetime
    end: datetime = Field(description="The count is taken at this time (the bucket's end, "
                          "or `to` for the last one).")
    open: int


class OpenOverTime(BaseModel):
    bucket: Bucket
    points: list[OpenPoint]


class AlertVersion(BaseModel):
    """The alert as it stood after one change (from the alert change log)."""

    change_id: int
    operation: str = Field(description="created or updated")
    status: AlertStatus
    severity: Severity
    score: int
    case_id: uuid.UUID | None
    reviewer_id: uuid.UUID | None
    changed_at: datetime


class AlertBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: AlertStatus
    severity: Severity
    score: int
    case_id: uuid.UUID | None
    created_at: datetime


class RelatedGroup(BaseModel):
    policy_id: uuid.UUID
    policy_name: str
    status: AlertStatus
    alerts: list[AlertBrief]


class RelatedAlerts(BaseModel):
    """The same person's other alerts under every policy, grouped by policy and status."""

    subject_id: uuid.UUID
    alias: str
    total: int
    groups: list[RelatedGroup]


class AlertQuery(BaseModel):
    """The queue's filters (each repeatable one: any of its values; risk factors: all)."""

    status: list[AlertStatus] | None = None
    severity: list[Severity] | None = None
    policy_id: list[uuid.UUID] | None = None
    detected_from: AwareDatetime | None = None
    detected_to: AwareDatetime | None = None
    risk_factor: list[RiskFactor] | None = None
    reviewer: str | None = None
    sla_breached: bool | None = None
