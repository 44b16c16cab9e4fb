from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class PrivacyUpdate(BaseModel):
    """Only the fields sent change."""

    pseudonymise: bool | None = Field(default=None, description=(
        "On (the default): people are shown by alias; their identity only under a reveal "
        "grant. Off: reviewers see names."))
    two_person_reveal: bool | None = Field(default=None, description=(
        "A reveal needs a second Investigator or Admin to approve it."))
    reveal_ttl_s: int | None = Field(default=None, ge=300, le=30 * 86400, description=(
        "How long a granted reveal lasts."))


class PrivacyRead(BaseModel):
    pseudonymise: bool
    two_person_reveal: bool
    reveal_ttl_s: int
    updated_by: str | None = None
    updated_at: datetime | None = None
