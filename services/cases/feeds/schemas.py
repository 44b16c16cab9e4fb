from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field


class FeedFormat(StrEnum):
    OPENIRM = "openirm"
    O365 = "o365"


class AlertChangeRead(BaseModel):
    """One change of an alert in OpenIRM's own schema: the alert as it stood after it."""

    change_id: int = Field(description="Unique per change; a re-read gives the same id.")
    operation: Literal["created", "updated"]
    changed_at: datetime
    alert_id: uuid.UUID
    subject_id: uuid.UUID
    alias: str
    policy_id: uuid.UUID
    policy_name: str
    status: str
    severity: str
    score: int
    case_id: uuid.UUID | None
    detected_at: datetime
    risk_factors: list[str]
    explanation: dict[str, Any]


class O365AlertRecord(BaseModel):
    """A Security and Compliance Alerts record (RecordType 40) as the Office 365 Management
    Activity API exports it, carrying the pseudonym instead of a user principal name."""

    Id: uuid.UUID
    RecordType: int = 40
    CreationTime: str
    Operation: Literal["AlertTriggered", "AlertUpdated"]
    OrganizationId: uuid.UUID
    UserType: int
    UserKey: str
    UserId: str
    Workload: str
    ResultStatus: str
    ObjectId: str
    Version: int
    AlertId: uuid.UUID
    AlertType: str
    Name: str
    PolicyId: uuid.UUID
    Status: Literal["Active", "Investigating", "Resolved", "Dismissed"]
    Severity: Literal["Low", "Medium", "High"]
    Category: str
    Source: str
    Comments: Literal["New alert", "Alert updated"]
    Data: str = Field(description="JSON-encoded: the OpenIRM change (see docs/siem.md).")
    EntityType: str
    AlertEntityId: str


class AlertFeedPage(BaseModel):
    items: list[AlertChangeRead] | list[O365AlertRecord]
    next_cursor: str | None = Field(default=None, description=(
        "Give it back as `cursor` for the changes after this page; unchanged when there "
        "are none yet."))
