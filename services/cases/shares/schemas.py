from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ViewerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: uuid.UUID = Field(description="A staff account holding the CaseViewer role.")
    reason: str = Field(min_length=1, max_length=500,
                        description="Why they need it, e.g. 'HR business partner'.")


class ViewerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_id: uuid.UUID
    account_id: uuid.UUID
    reason: str
    shared_by: str
    created_at: datetime
