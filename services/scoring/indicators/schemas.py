from __future__ import annotations

from pydantic import BaseModel


class IndicatorRead(BaseModel):
    key: str
    name: str
    group: str
    category: str
    activity_types: list[str]
    default_thresholds: list[int]
    data_source: str
    enabled: bool


class IndicatorUpdate(BaseModel):
    enabled: bool
