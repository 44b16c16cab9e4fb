from __future__ import annotations

from pydantic import BaseModel, Field


class IndicatorRead(BaseModel):
    key: str
    name: str
    description: str
    group: str
    kind: str = Field(description="activity (counted per day), cumulative or booster")
    category: str | None
    activity_types: list[str]
    default_thresholds: list[int] | None
    default_byte_thresholds: list[int] | None
    data_source: str
    enabled: bool


class IndicatorUpdate(BaseModel):
    enabled: bool


class SequenceRead(BaseModel):
    key: str
    name: str
    steps: list[list[str]]
    within_days: int
    built_in: bool
