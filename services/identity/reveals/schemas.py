from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.identity.people.schemas import Identity

RevealStatus = Literal["pending", "granted", "refused", "expired"]


class RevealCreate(BaseModel):
    case_id: uuid.UUID
    justification: str = Field(min_length=10, max_length=2000)


class RevealDecision(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


class RevealRefusal(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)


class RevealGrantRead(BaseModel):
    id: uuid.UUID
    expires_at: datetime


class RevealRead(BaseModel):
    """A reveal request and what became of it. `identity` is filled only in the answer to
    the requester when the reveal is granted at once."""

    id: uuid.UUID
    subject_id: uuid.UUID
    case_id: uuid.UUID
    requested_by: str
    justification: str
    status: RevealStatus
    decided_by: str | None = None
    decision_reason: str | None = None
    created_at: datetime
    decided_at: datetime | None = None
    grant: RevealGrantRead | None = None
    identity: Identity | None = None


class RevealPage(BaseModel):
    items: list[RevealRead]
    next_cursor: str | None = None
