from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEntry(BaseModel):
    seq: int
    at: datetime
    service: str
    actor: str
    action: str
    target: str | None
    outcome: str
    request_id: str | None
    detail: dict[str, Any]
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = None


class ChainVerification(BaseModel):
    valid: bool
    rows_checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
