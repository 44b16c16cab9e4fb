from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Label = Annotated[str, Field(min_length=1, max_length=200)]


class AccessScopeUpdate(BaseModel):
    """Limit an account to people of some departments or regions (either matches); empty
    lists mean everyone. A case viewer's cases are shared through the cases service
    (`POST /cases/{case_id}/viewers`)."""

    model_config = ConfigDict(extra="forbid")

    departments: list[Label] = Field(default_factory=list, max_length=200)
    regions: list[Label] = Field(default_factory=list, max_length=200)


class AccessScopeRead(AccessScopeUpdate):
    restricted: bool = Field(description=(
        "true when the account sees only part of the population"))


class ResolvedScope(BaseModel):
    """A caller's scope as the services apply it (services only)."""

    restricted: bool
    subject_ids: list[uuid.UUID] = Field(default_factory=list)
