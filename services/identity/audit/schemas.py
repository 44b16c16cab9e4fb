from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

HASH_PATTERN = r"^[0-9a-f]{64}$"


class AuditEntry(BaseModel):
    seq: int = Field(description="Position in the log: 1, 2, 3, ... with no gaps.")
    at: datetime
    service: str
    actor: str
    action: str
    target: str | None
    outcome: str
    request_id: str | None
    detail: dict[str, Any]
    prev_hash: str | None = Field(description="The previous row's hash (null for row 1).")
    hash: str = Field(description="sha256 over this row's fields and `prev_hash`.")


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = None


@dataclass(frozen=True)
class AuditFilters:
    """What the query and the export select; `action` matches by prefix, `until` excludes."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def given(self) -> dict[str, Any]:
        """The filters in use, as recorded in the export's own audit row."""
        return {k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in asdict(self).items() if v is not None}


class ExportFormat(StrEnum):
    ndjson = "ndjson"
    csv = "csv"


EXPORT_COLUMNS = ("seq", "at", "service", "actor", "action", "target", "outcome", "request_id",
                  "detail", "prev_hash", "hash")


class ChainVerification(BaseModel):
    valid: bool
    rows_checked: int = Field(description="Rows recomputed (from `since_seq` when given).")
    first_broken_seq: int | None = Field(default=None, description=(
        "The first row that is missing, altered or not linked to its predecessor."))
    reason: str | None = None
    since_seq: int | None = Field(default=None, description="The anchor verified from, if any.")
    head_seq: int | None = Field(default=None, description=(
        "The newest row when the check ran. Record it with `head_hash` outside OpenIRM (an "
        "anchor); a later check from it shows nothing up to it was changed or cut off."))
    head_hash: str | None = Field(default=None, description="That row's hash.")
