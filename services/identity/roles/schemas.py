from __future__ import annotations

from pydantic import BaseModel


class RoleAssignment(BaseModel):
    subject: str
    role: str


class AccountDirectoryEntry(BaseModel):
    """An active staff account, as services find the account of an external sign-in."""

    email: str
    subject: str
