from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PriorityGroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    members: list[uuid.UUID] = Field(default_factory=list, max_length=10_000,
                                     description="People, by pseudonymous subject id.")
    reviewers: list[str] = Field(default_factory=list, max_length=100, description=(
        "Staff accounts (subjects) allowed to review alerts about these people."))


class PriorityGroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=2000)
    members: list[uuid.UUID] | None = Field(default=None, max_length=10_000)
    reviewers: list[str] | None = Field(default=None, max_length=100)


class PriorityGroupRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    members: list[uuid.UUID]
    reviewers: list[str]
    created_at: datetime | None
    updated_at: datetime | None
