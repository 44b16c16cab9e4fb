from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.cases.alerts.schemas import Severity


class Level(StrEnum):
    ELEVATED = "elevated"
    MODERATE = "moderate"
    MINOR = "minor"
    NONE = "none"


RANK = {Level.NONE: 0, Level.MINOR: 1, Level.MODERATE: 2, Level.ELEVATED: 3}
CountedStatus = Literal["needs_review", "confirmed", "resolved"]


class RiskLevelSettings(BaseModel):
    """The rules deriving each person's level from their alerts and cases (docs/webhooks.md,
    "Risk levels"). The highest level any rule gives wins."""

    model_config = ConfigDict(extra="forbid")

    expiry_days: float = Field(default=7, gt=0, le=365, description=(
        "An alert or case counts until this long after it last changed (fractions allowed)."))
    alert_statuses: list[CountedStatus] = Field(
        default_factory=lambda: ["needs_review", "confirmed"], min_length=1, max_length=3,
        description="Alerts in these statuses count.")
    elevated_severities: list[Severity] = Field(default_factory=lambda: [Severity.HIGH],
                                                max_length=3)
    moderate_severities: list[Severity] = Field(default_factory=lambda: [Severity.MEDIUM],
                                                max_length=3)
    minor_severities: list[Severity] = Field(default_factory=lambda: [Severity.LOW],
                                             max_length=3)
    confirmed_violation_level: Literal["elevated", "moderate", "minor"] | None = Field(
        default="elevated", description="The level a case closed as a confirmed violation "
        "gives; null: none.")

    @field_validator("moderate_severities", "minor_severities")
    @classmethod
    def _one_level_per_severity(cls, value: list[Severity], info: ValidationInfo
                                ) -> list[Severity]:
        order = ["elevated_severities", "moderate_severities", "minor_severities"]
        for earlier in order[:order.index(info.field_name)]:
            both = set(value) & set(info.data.get(earlier) or [])
            if both:
                raise ValueError(f"{sorted(both)} already give a level in {earlier}")
        return value

    def level_of_severity(self, severity: str) -> Level:
        for level, severities in ((Level.ELEVATED, self.elevated_severities),
                                  (Level.MODERATE, self.moderate_severities),
                                  (Level.MINOR, self.minor_severities)):
            if severity in severities:
                return level
        return Level.NONE


class RiskLevelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    subject_id: uuid.UUID
    alias: str
    level: Level
    rule: str | None = Field(description="`alert.<severity>` or `case.confirmed_violation`; "
                             "null at level none.")
    source_type: Literal["alert", "case"] | None
    source_id: uuid.UUID | None
    policy_ids: list[uuid.UUID]
    set_at: datetime | None = Field(description="When the current level was reached.")
    expires_at: datetime | None = Field(description="When the level lapses unless an alert "
                                        "or case meets a rule again.")
    updated_at: datetime


class RiskLevelPage(BaseModel):
    items: list[RiskLevelRead]
    next_cursor: str | None = None


class RiskLevelChangeRead(BaseModel):
    change_id: int = Field(description="Unique per change; a re-read gives the same id.")
    subject_id: uuid.UUID
    alias: str
    level: Level
    previous_level: Level
    rule: str | None
    source_type: Literal["alert", "case"] | None
    source_id: uuid.UUID | None
    expires_at: datetime | None
    changed_at: datetime


class RiskLevelFeedPage(BaseModel):
    items: list[RiskLevelChangeRead]
    next_cursor: str | None = Field(default=None, description=(
        "Give it back as `cursor` for the changes after this page; unchanged when there "
        "are none yet."))
