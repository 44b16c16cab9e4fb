from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from services.ingest.events.schemas import RecordProblem


class Connector(StrEnum):
    M365 = "m365"
    HR_CSV = "hr_csv"
    BADGING = "badging"


class RunStatus(StrEnum):
    """`running` while the upload streams in; `succeeded` once committed (rejected records,
    if `skip_invalid` was asked for, are counted); `rejected` when bad records refused the
    whole upload; `failed` on an unexpected error; `interrupted` when a running upload has
    not reported progress for two minutes (its process died; nothing of it was stored)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    REJECTED = "rejected"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class RunRead(BaseModel):
    id: uuid.UUID
    connector: Connector
    principal: str
    status: RunStatus
    options: dict[str, object]
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    bytes_total: int | None = Field(description="Content-Length of the upload, if sent.")
    bytes_received: int
    progress: float | None = Field(description="Share of the upload received, 0 to 1 "
                                   "(when its size is known).")
    records: int = Field(description="Records read so far.")
    accepted: int
    duplicates: int
    rejected: int
    unmapped: int = Field(description="Well-formed records of operations OpenIRM does not "
                          "map (Microsoft 365), counted by operation below.")
    unmapped_operations: dict[str, int]
    errors: list[RecordProblem] = Field(description="The first rejected records (at most "
                                        "100), or why the run failed.")


class RunPage(BaseModel):
    items: list[RunRead]
    next_cursor: str | None
