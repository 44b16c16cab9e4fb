from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ExportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class ExportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    created_by: str
    content_included: bool = Field(description=(
        "Whether content.json (file names, URLs, labels) is in the bundle: only when its "
        "creator may see content (Investigators)."))
    state: ExportState
    progress: int = Field(ge=0, le=100, description="Percent of the sections built.")
    error: str | None
    size_bytes: int | None
    sha256: str | None = Field(description="SHA-256 of the stored (pseudonymous) bundle.")
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class SigningKey(BaseModel):
    algorithm: str = "Ed25519"
    key_id: str
    public_key_pem: str
