from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from services.cases.alerts.schemas import AlertRead


class RiskLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Contribution(BaseModel):
    """An explanation row that counted the activity (see docs/investigation.md)."""

    policy_id: uuid.UUID
    policy_name: str
    kind: str = Field(description="indicator, sequence or cumulative")
    key: str = Field(description="The indicator, sequence or cumulative scope.")
    day: date | None
    level: RiskLevel
    points: int
    alert_ids: list[uuid.UUID] = Field(description="Alerts whose explanation holds the row.")


class Exclusion(BaseModel):
    """Why scoring does not count an activity: a suppression rule or a benign mark."""

    kind: str = Field(description="suppression or benign")
    suppression_id: uuid.UUID | None = None
    benign_mark_id: uuid.UUID | None = None


class PersonActivity(BaseModel):
    id: str
    subject_id: uuid.UUID
    alias: str
    type: str
    category: str
    group: str
    source: str
    occurred_at: datetime
    attributes: dict[str, Any] = Field(description="Without content (file names, paths, "
                                       "subjects, URLs) unless `content_visible`.")
    content_visible: bool
    risk_level: RiskLevel
    policies: list[uuid.UUID] = Field(description="Policies whose score counted it.")
    excluded: list[Exclusion] = Field(default_factory=list, description=(
        "The suppression rules or benign marks covering it: it stays on the timeline, "
        "marked, but scoring does not count it, so its risk level is none."))


class PersonActivityPage(BaseModel):
    subject_id: uuid.UUID
    since: datetime
    until: datetime
    items: list[PersonActivity]
    next_cursor: str | None = Field(description="Absent at the end. With a risk-level "
                                    "filter a page may be short and still have a cursor: "
                                    "one request reads at most 5,000 activities.")


class ActivityDetail(PersonActivity):
    contributions: list[Contribution]
    alerts: list[AlertRead] = Field(description="Alerts this activity fed, every policy.")


class PolicyDayScore(BaseModel):
    policy_id: uuid.UUID
    points: int


class ChartDay(BaseModel):
    day: date
    counts: dict[RiskLevel, int] = Field(description="Activities of the day by risk level.")
    total: int
    scores: list[PolicyDayScore] = Field(description="Per policy, the points its latest "
                                         "explanation gives this day.")


class ChartPolicy(BaseModel):
    policy_id: uuid.UUID
    policy_name: str
    score: int | None = Field(description="The person's current score; None when only "
                              "alerts explain the policy.")
    severity: str | None


class ActivityChart(BaseModel):
    subject_id: uuid.UUID
    since: datetime
    until: datetime
    days: list[ChartDay] = Field(description="Every UTC day of the window, oldest first.")
    policies: list[ChartPolicy]
    total: int


class ContentKind(StrEnum):
    FILE = "file"
    EMAIL = "email"
    URL = "url"


class ContentItem(BaseModel):
    """A file, email or URL the person's activity involved, once however often."""

    kind: ContentKind
    key: str = Field(description="Stable within the list: the item's identity.")
    name: str
    location: str | None = Field(description="Path, site or domain, where known.")
    sources: list[str]
    file_type: str | None
    labels: list[str]
    conversation: str | None
    activity_types: list[str]
    count: int
    first_seen: datetime
    last_seen: datetime


class ContentPage(BaseModel):
    case_id: uuid.UUID
    since: datetime
    until: datetime
    items: list[ContentItem]
    next_cursor: str | None = None
