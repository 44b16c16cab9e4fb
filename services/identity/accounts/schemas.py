from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,255}$"

# The four roles of the reference product, its combined group (all four), and the case viewer
# (an HR or Legal contact who reads the cases shared with them, nothing else).
Role = Literal["Admin", "Analyst", "Investigator", "Auditor", "InsiderRiskManagement",
               "CaseViewer"]


class SignIn(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str | None = Field(default=None, description=(
        "Exchange at POST /auth/refresh for a new pair; each one works once."))
    refresh_expires_in: int | None = None


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=16, max_length=200)


class AccountCreate(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=320)
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=12, max_length=1024)
    roles: list[Role] = Field(default_factory=list, max_length=6)


class AccountRead(BaseModel):
    id: uuid.UUID
    email: str
    display_name: str
    active: bool
    roles: list[Role]
    created_at: datetime | None = None


class RolesUpdate(BaseModel):
    roles: list[Role] = Field(max_length=6)
