from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, Field


class PersonUpsert(BaseModel):
    """A monitored person; `email` (or UPN) is the stable key."""

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    display_name: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    job_title: str | None = Field(default=None, max_length=200)


class PersonUpserted(BaseModel):
    created: bool = Field(description="true when the person was not in the directory before")


class PersonRef(BaseModel):
    subject_id: uuid.UUID
    alias: str


class ResolveRequest(BaseModel):
    identifiers: list[Annotated[str, Field(min_length=1, max_length=320)]] = Field(
        min_length=1, max_length=10000)


class ResolvedActor(PersonRef):
    identifier: str


class ResolveResponse(BaseModel):
    items: list[ResolvedActor]


class Identity(BaseModel):
    email: str
    display_name: str | None = None
    department: str | None = None
    job_title: str | None = None


class PersonRead(PersonRef):
    """What a reviewer sees: the alias, and the identity only under an active reveal grant."""

    revealed: bool = False
    identity: Identity | None = None
    revealed_for_cases: list[uuid.UUID] = Field(default_factory=list)

