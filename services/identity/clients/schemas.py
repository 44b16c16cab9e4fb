from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

# The roles a client can hold: the staff roles; `Integrator` (sending activity: the events
# and connector endpoints of ingest, nothing else); and `service` (the internal calls the
# services make to each other), reserved for OpenIRM's own clients, which the launcher
# provisions.
ClientRole = Literal["Admin", "Analyst", "Investigator", "Auditor", "Integrator", "service"]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class ClientCreate(BaseModel):
    name: str = Field(pattern=NAME_PATTERN, max_length=100, description=(
        "Letters, digits, dot, dash, underscore; unique among clients that are not revoked."))
    description: str = Field(default="", max_length=1000)
    roles: list[ClientRole] = Field(default_factory=list, max_length=5)


class ClientRead(BaseModel):
    id: uuid.UUID = Field(description="The client id to present; its subject is client:<id>.")
    name: str
    description: str
    roles: list[ClientRole]
    created_by: str
    created_at: datetime | None = None
    secret_rotated_at: datetime | None = None
    last_used_at: datetime | None = Field(default=None,
                                          description="When it last obtained a token.")
    revoked_at: datetime | None = None


class ClientSecretRead(ClientRead):
    client_secret: str = Field(description=(
        "Shown this once: only a hash is kept. Rotate it if it is lost."))


class ClientRolesUpdate(BaseModel):
    roles: list[ClientRole] = Field(max_length=5)


class ClientTokenRequest(BaseModel):
    """OAuth 2.0 client credentials grant (RFC 6749 §4.4). As form fields (the standard) or
    JSON; client_id and client_secret may come in an HTTP Basic header instead."""

    grant_type: str = Field(max_length=100, examples=["client_credentials"], description=(
        "Must be `client_credentials`; anything else is refused with 400."))
    client_id: str | None = Field(default=None, min_length=1, max_length=100, description=(
        "The client's id (as POST /clients answered it)."))
    client_secret: str | None = Field(default=None, min_length=1, max_length=200)
    scope: str | None = Field(default=None, max_length=1000, description=(
        "Accepted and ignored: what a client may do is decided by its roles."))


class ClientTokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
