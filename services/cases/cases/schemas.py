from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class CaseStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Classification(StrEnum):
    BENIGN = "benign"
    CONFIRMED_VIOLATION = "confirmed_violation"


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    subject_id: uuid.UUID
    alias: str
    status: CaseStatus
    classification: Classification | None
    resolution: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class CasePage(BaseModel):
    items: list[CaseRead]
    next_cursor: str | None = None


class CaseClose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    classification: Classification
    resolution: str = Field(min_length=1, max_length=2000,
                            description="What was done, e.g. 'HR informed; access revoked'.")


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20000)


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    author: str
    body: str
    created_at: datetime
