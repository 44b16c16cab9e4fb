from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AlertCandidateRead(BaseModel):
    policy_id: uuid.UUID
    policy_name: str
    subject_id: uuid.UUID
    alias: str
    score: int
    severity: str
    version: int
    explanation: dict[str, Any]
    computed_at: datetime


class AlertCandidatePage(BaseModel):
    items: list[AlertCandidateRead]
    next_cursor: str | None
