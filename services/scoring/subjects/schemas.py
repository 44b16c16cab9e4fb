from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SubjectAttributes(BaseModel):
    """What scoring knows of a person besides their activity: their department (peer group,
    policy scope by group) and whether the directory marks them potentially high impact."""

    model_config = ConfigDict(extra="forbid")

    department: str | None = Field(default=None, min_length=1, max_length=200)
    high_impact: bool = False


class SubjectRead(BaseModel):
    subject_id: uuid.UUID
    alias: str
    department: str | None
    high_impact: bool
    violations: int


class ViolationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: uuid.UUID = Field(description="The case closed as a confirmed policy violation.")


class ScoreRead(BaseModel):
    policy_id: uuid.UUID
    policy_name: str
    subject_id: uuid.UUID
    score: int
    severity: str
    version: int
    settings_version: int
    contributions: list[dict[str, Any]]
    computed_at: datetime | None
