from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, Field

Label = Annotated[str, Field(min_length=1, max_length=200)]


class AccessScopeUpdate(BaseModel):
    """Limit an account to people of some departments or regions (either matches); empty
    lists mean everyone. `case_ids` are the cases shared with a case viewer."""

    departments: list[Label] = Field(default_factory=list, max_length=200)
    regions: list[Label] = Field(default_factory=list, max_length=200)
    case_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class AccessScopeRead(AccessScopeUpdate):
    restricted: bool = Field(description=(
        "true when the account sees only part of the population"))


class ResolvedScope(BaseModel):
    """A caller's scope as the services apply it (services only)."""

    restricted: bool
    subject_ids: list[uuid.UUID] = Field(default_factory=list)
    case_ids: list[uuid.UUID] = Field(default_factory=list)
