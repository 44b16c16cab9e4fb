from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.scoring.global_settings.schemas import GlobalSettings
from services.scoring.policies.schemas import PolicyDraft

MAX_DAYS = 400

ReplayStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class ReplayCreate(BaseModel):
    """Replay a stored policy, or a draft, over stored history; optionally with draft global
    settings (thresholds, exclusions, custom indicators) in place of the ones in force."""

    model_config = ConfigDict(extra="forbid")

    policy_id: uuid.UUID | None = Field(default=None, description="An existing policy.")
    policy: PolicyDraft | None = Field(default=None, description="A draft policy.")
    settings: GlobalSettings | None = Field(default=None, description="Draft global settings; "
                                            "the ones in force if omitted.")
    start: date = Field(description="First day whose triggering events count.")
    end: date = Field(description="Last day (inclusive).")

    @model_validator(mode="after")
    def _valid(self) -> ReplayCreate:
        if (self.policy_id is None) == (self.policy is None):
            raise ValueError("give exactly one of policy_id and policy")
        if self.end < self.start:
            raise ValueError("end is before start")
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise ValueError(f"a replay covers at most {MAX_DAYS} days")
        if self.start.year < 1970 or self.end.year > 2100:
            raise ValueError("the range must fall within 1970-2100")
        return self


class ReplayAlert(BaseModel):
    subject_id: uuid.UUID
    alias: str
    score: int
    severity: str
    explanation: dict[str, Any]


class ReplayResult(BaseModel):
    alert_count: int
    by_severity: dict[str, int]
    people_in_scope: int
    people_scored: int
    events_read: int
    elapsed_s: float
    events_per_s: float
    alerts: list[ReplayAlert] = Field(description="The alerts, highest score first (first 1,000).")


class ReplayRead(BaseModel):
    id: uuid.UUID
    status: ReplayStatus
    requested_by: str
    policy: dict[str, Any]
    start: date
    end: date
    progress: float = Field(description="0 to 1.")
    people_total: int
    people_done: int
    events_read: int
    error: str | None
    result: ReplayResult | None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class ReplaySummary(BaseModel):
    id: uuid.UUID
    status: ReplayStatus
    requested_by: str
    policy_name: str
    start: date
    end: date
    progress: float
    created_at: datetime | None
    finished_at: datetime | None
