"""Service clients: machine callers (integrators, OpenIRM's own services) with client
credentials, bound to roles like staff accounts. Admins only."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.context import Info
from gateway.schema.common import INPUT, parse_optional_datetime


@strawberry.enum(description="A role a service client can hold.")
class ClientRole(Enum):
    ADMIN = strawberry.enum_value("Admin", description="As an Admin account.")
    ANALYST = strawberry.enum_value("Analyst", description="As an Analyst account.")
    INVESTIGATOR = strawberry.enum_value("Investigator",
                                         description="As an Investigator account.")
    AUDITOR = strawberry.enum_value("Auditor", description="As an Auditor account.")
    INTEGRATOR = strawberry.enum_value(
        "Integrator", description="Sends activity: ingest's events and connector endpoints, "
                                  "nothing else.")
    SERVICE = strawberry.enum_value(
        "service", description="The calls services make to each other; reserved for "
                               "OpenIRM's own services (cannot be granted).")


@strawberry.type(description="A service client. It obtains tokens at identity's "
                             "`POST /auth/client-token` (OAuth 2.0 client credentials); its "
                             "subject is `client:<id>`.")
class ServiceClient:
    id: strawberry.ID = strawberry.field(description="The client id to present.")
    name: str = strawberry.field(description="Unique among clients that are not revoked.")
    description: str = strawberry.field(description="What it is for.")
    roles: list[ClientRole] = strawberry.field(description="Roles assigned to the client.")
    created_by: str = strawberry.field(description="Who created it, e.g. user:<id>.")
    created_at: datetime | None = strawberry.field(description="When it was created.")
    secret_rotated_at: datetime | None = strawberry.field(
        description="When its secret was last replaced.")
    last_used_at: datetime | None = strawberry.field(
        description="When it last obtained a token.")
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked (it can no longer obtain tokens, and has no roles).")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ServiceClient:
        return cls(id=strawberry.ID(str(data["id"])), name=data["name"],
                   description=data.get("description") or "",
                   roles=[ClientRole(r) for r in data.get("roles") or []],
                   created_by=data["created_by"],
                   created_at=parse_optional_datetime(data.get("created_at")),
                   secret_rotated_at=parse_optional_datetime(data.get("secret_rotated_at")),
                   last_used_at=parse_optional_datetime(data.get("last_used_at")),
                   revoked_at=parse_optional_datetime(data.get("revoked_at")))


@strawberry.type(description="A client with its secret, shown this once (only a hash is "
                             "kept).")
class ClientSecretPayload:
    client: ServiceClient = strawberry.field(description="The client.")
    client_secret: str = strawberry.field(description="The secret; store it now.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ClientSecretPayload:
        return cls(client=ServiceClient.from_service(data), client_secret=data["client_secret"])


@strawberry.input(description="A new service client.")
class CreateClientInput:
    name: str = strawberry.field(description="Letters, digits, dot, dash, underscore "
                                             "(1 to 100).")
    description: str = strawberry.field(default="", description="What it is for.")
    roles: list[ClientRole] = strawberry.field(default_factory=list,
                                               description="Roles to assign.")


_CLIENT_ID = strawberry.argument(description="The client.")


@strawberry.type
class ClientQuery:
    @strawberry.field(description="Every service client, revoked ones included (Admins).")
    async def clients(self, info: Info) -> list[ServiceClient]:
        return [ServiceClient.from_service(c)
                for c in await info.context.services.clients_list()]

    @strawberry.field(description="One service client (Admins).")
    async def client(self, info: Info,
                     id: Annotated[strawberry.ID, _CLIENT_ID]) -> ServiceClient:
        return ServiceClient.from_service(await info.context.services.client_get(id))


@strawberry.type
class ClientMutation:
    @strawberry.mutation(description="Create a service client (Admins; audited). The answer "
                                     "carries its secret, this once.")
    async def create_client(
        self, info: Info, input: Annotated[CreateClientInput, INPUT],
    ) -> ClientSecretPayload:
        body = {"name": input.name, "description": input.description,
                "roles": [r.value for r in input.roles]}
        return ClientSecretPayload.from_service(
            await info.context.services.client_create(body))

    @strawberry.mutation(description="Replace a client's roles (Admins; audited; effective "
                                     "in every service at once).")
    async def set_client_roles(
        self, info: Info, client_id: Annotated[strawberry.ID, _CLIENT_ID],
        roles: Annotated[list[ClientRole], strawberry.argument(
            description="The complete new set of roles.")],
    ) -> ServiceClient:
        data = await info.context.services.client_set_roles(client_id,
                                                            [r.value for r in roles])
        return ServiceClient.from_service(data)

    @strawberry.mutation(description="Give a client a new secret, shown once; the old one "
                                     "stops working (Admins; audited).")
    async def rotate_client_secret(
        self, info: Info, client_id: Annotated[strawberry.ID, _CLIENT_ID],
    ) -> ClientSecretPayload:
        return ClientSecretPayload.from_service(
            await info.context.services.client_rotate_secret(client_id))

    @strawberry.mutation(description="Revoke a client: its secret and roles go at once, its "
                                     "tokens are refused everywhere; it stays listed for the "
                                     "audit trail (Admins; audited).")
    async def revoke_client(
        self, info: Info, client_id: Annotated[strawberry.ID, _CLIENT_ID],
    ) -> ServiceClient:
        return ServiceClient.from_service(await info.context.services.client_revoke(client_id))
