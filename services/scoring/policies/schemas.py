from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PriorityKind = Literal["sites", "labels", "info_types", "extensions"]
ScopeKind = Literal["all", "groups", "people", "priority_groups"]


class PolicyIndicator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(max_length=64)
    mode: Literal["default", "custom", "baseline"] | None = Field(
        default=None, description="default: the indicator's thresholds; custom: the three "
        "daily levels given here; baseline: levels at 2, 4 and 8 times the person's usual "
        "daily activity. Omitted: custom when thresholds are given, else default.")
    thresholds: list[int] | None = Field(
        default=None, min_length=3, max_length=3,
        description="Daily counts for low, medium and high (custom mode).")
    byte_thresholds: list[int] | None = Field(
        default=None, min_length=3, max_length=3,
        description="Daily bytes for low, medium and high; the indicator's defaults if "
        "omitted (where it has any). The higher of the two levels counts.")

    @model_validator(mode="after")
    def _consistent(self) -> PolicyIndicator:
        for name, t in (("thresholds", self.thresholds), ("byte_thresholds",
                                                          self.byte_thresholds)):
            if t is not None and not (1 <= t[0] < t[1] < t[2] <= 10**15):
                raise ValueError(f"{name} must be three strictly ascending numbers from 1 "
                                 "(low, medium, high)")
        if self.mode is None:
            self.mode = "custom" if self.thresholds is not None else "default"
        if self.mode == "custom" and self.thresholds is None:
            raise ValueError("custom mode needs thresholds")
        if self.mode != "custom" and self.thresholds is not None:
            raise ValueError(f"{self.mode} mode takes no thresholds")
        return self


class PolicyScope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ScopeKind = "all"
    groups: list[str] = Field(default_factory=list, max_length=200,
                              description="Departments (kind groups).")
    people: list[uuid.UUID] = Field(default_factory=list, max_length=10_000,
                                    description="Subjects (kind people).")
    priority_groups: list[uuid.UUID] = Field(default_factory=list, max_length=100,
                                             description="Priority user groups.")

    @model_validator(mode="after")
    def _named(self) -> PolicyScope:
        needs = {"groups": self.groups, "people": self.people,
                 "priority_groups": self.priority_groups}
        if self.kind != "all" and not needs[self.kind]:
            raise ValueError(f"a scope of kind {self.kind} must list at least one")
        return self


class _PolicyFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=2000)
    scope: PolicyScope | None = None
    priority_content: list[PriorityKind] | None = Field(
        default=None, max_length=4, description="Which kinds of the global priority content "
        "this policy weighs more.")
    indicators: list[PolicyIndicator] | None = Field(
        default=None, min_length=1, max_length=60,
        description="Indicators to score; the template's defaults that are enabled if omitted.")
    boosters: list[str] | None = Field(default=None, max_length=10)
    sequences: list[str] | None = Field(default=None, max_length=30)
    cumulative: list[str] | None = Field(default=None, max_length=2)
    alert_threshold: int | None = Field(default=None, ge=1, le=100)
    activation_days: int | None = Field(default=None, ge=1, le=30)
    past_days: int | None = Field(default=None, ge=0, le=90)
    active: bool | None = None


class PolicyCreate(_PolicyFields):
    name: str = Field(min_length=1, max_length=200, description="Immutable after creation.")
    template: str = Field(max_length=64)


class PolicyUpdate(_PolicyFields):
    name: str | None = Field(default=None, description="Immutable: only accepted unchanged.")
    template: str | None = Field(default=None, description="Immutable: only accepted "
                                 "unchanged.")


class PolicyDraft(_PolicyFields):
    """A policy that need not exist: what a what-if replay runs."""

    name: str = Field(default="draft", min_length=1, max_length=200)
    template: str = Field(max_length=64)


class PolicyIndicatorRead(BaseModel):
    key: str
    mode: str
    thresholds: list[int] | None
    byte_thresholds: list[int] | None


class PolicyRead(BaseModel):
    id: uuid.UUID
    name: str
    template: str
    description: str
    scope: PolicyScope
    priority_content: list[str]
    indicators: list[PolicyIndicatorRead]
    boosters: list[str]
    sequences: list[str]
    cumulative: list[str]
    triggering_events: list[str]
    alert_threshold: int
    activation_days: int
    past_days: int
    active: bool
    created_at: datetime | None
    updated_at: datetime | None


class PolicyBatch(BaseModel):
    """Policies read in one call, each exactly as `GET /policies/{policy_id}` shows it."""

    items: list[PolicyRead] = Field(description="The policies found, in the order asked.")
    missing: list[uuid.UUID] = Field(description="Ids of no policy (deleted or never made).")


class TemplateRead(BaseModel):
    key: str
    name: str
    description: str
    triggering_events: list[str]
    default_indicators: list[str]
    prerequisites: list[str]
    sequences: bool
    cumulative: bool
    scope: str
    default_alert_threshold: int


class HealthReason(BaseModel):
    level: Literal["warning", "recommendation"]
    code: str
    message: str


class PolicyHealth(BaseModel):
    policy_id: uuid.UUID
    status: Literal["healthy", "recommendations", "warnings"]
    reasons: list[HealthReason]


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_id: uuid.UUID
    reason: str = Field(min_length=5, max_length=2000)
    days: int | None = Field(default=None, ge=1, le=30, description="How long the person stays "
                             "in scope; the policy's activation window if omitted.")


class MemberRead(BaseModel):
    id: uuid.UUID
    policy_id: uuid.UUID
    subject_id: uuid.UUID
    reason: str
    starts_on: date
    until: date
    added_by: str
    active: bool
    created_at: datetime | None
