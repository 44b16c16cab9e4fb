from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

MAX_SLA_HOURS = 24 * 365


class SlaHours(BaseModel):
    """Hours from detection within which an alert of each severity should be triaged."""

    model_config = ConfigDict(extra="forbid")

    high: int = Field(ge=1, le=MAX_SLA_HOURS, description="Default 24.")
    medium: int = Field(ge=1, le=MAX_SLA_HOURS, description="Default 72.")
    low: int = Field(ge=1, le=MAX_SLA_HOURS, description="Default 168 (7 days).")


class TriageSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sla_hours: SlaHours


class TriageSettingsRead(BaseModel):
    sla_hours: SlaHours
    updated_at: datetime | None = None
