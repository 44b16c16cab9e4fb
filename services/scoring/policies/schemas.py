from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class IndicatorThresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(max_length=64)
    thresholds: list[int] | None = Field(
        default=None, min_length=3, max_length=3,
        description="Daily counts for low, medium and high; the indicator's defaults if omitted.")

    @model_validator(mode="after")
    def _ascending(self) -> IndicatorThresholds:
        t = self.thresholds
        if t is not None and not (1 <= t[0] < t[1] < t[2] <= 1_000_000):
            raise ValueError("thresholds must be strictly ascending counts from 1")
        return self


class PolicyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Immutable after creation.")
    template: str = Field(max_length=64)
    description: str = Field(default="", max_length=2000)
    indicators: list[IndicatorThresholds] | None = Field(
        default=None, max_length=50,
        description="Indicators to score; the template's defaults that are enabled if omitted.")
    alert_threshold: int = Field(default=30, ge=1, le=100)
    activation_days: int = Field(default=30, ge=1, le=30)
    past_days: int = Field(default=90, ge=0, le=90)
    active: bool = True


class PolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=2000)
    indicators: list[IndicatorThresholds] | None = Field(default=None, min_length=1,
                                                          max_length=50)
    alert_threshold: int | None = Field(default=None, ge=1, le=100)
    activation_days: int | None = Field(default=None, ge=1, le=30)
    past_days: int | None = Field(default=None, ge=0, le=90)
    active: bool | None = None


class PolicyRead(BaseModel):
    id: uuid.UUID
    name: str
    template: str
    description: str
    indicators: list[IndicatorThresholds]
    alert_threshold: int
    activation_days: int
    past_days: int
    active: bool
    created_at: datetime | None
    updated_at: datetime | None


class TemplateRead(BaseModel):
    key: str
    name: str
    description: str
    triggering_events: list[str]
    default_indicators: list[str]
