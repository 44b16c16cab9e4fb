"""Service clients: machine callers (integrators, OpenIRM's own services) with client
credentials, bound to roles like staff accounts. Admins only."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.clients import uuid_segment
from gateway.context import Info
from gateway.schema.common import (
    INPUT,
    Connection,
    Node,
    decode_id,
    list_connection,
    node_resolver,
    operation,
    parse_optional_datetime,
)
from gateway.schema.payloads import Payload, attempt

MAX_PAGE = 500


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
                             "`POST /auth/client-token` (OAuth 2.0 client credentials) with "
                             "`rawId` as its client_id; its subject is `client:<rawId>`.")
class ServiceClient(Node):
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
        return cls(key=str(data["id"]), name=data["name"],
                   description=data.get("description") or "",
                   roles=[ClientRole(r) for r in data.get("roles") or []],
                   created_by=data["created_by"],
                   created_at=parse_optional_datetime(data.get("created_at")),
                   secret_rotated_at=parse_optional_datetime(data.get("secret_rotated_at")),
                   last_used_at=parse_optional_datetime(data.get("last_used_at")),
                   revoked_at=parse_optional_datetime(data.get("revoked_at")))

    @strawberry.field(description="Whether the client was revoked.")
    def revoked(self) -> bool:
        return self.revoked_at is not None


async def _client(info: Info, key: str) -> ServiceClient:
    seg = uuid_segment(key, "id")
    return ServiceClient.from_service(
        await info.context.services.call("identity", "GET", f"/clients/{seg}"))


@node_resolver("ServiceClient")
async def client_node(info: Info, key: str) -> ServiceClient:
    return await _client(info, key)


def _client_seg(value: strawberry.ID) -> str:
    return uuid_segment(decode_id(value, "ServiceClient", "clientId"), "clientId")


@strawberry.input(description="A new service client.")
class CreateClientInput:
    name: str = strawberry.field(description="Letters, digits, dot, dash, underscore "
                                             "(1 to 100).")
    description: str = strawberry.field(default="", description="What it is for.")
    roles: list[ClientRole] = strawberry.field(default_factory=list,
                                               description="Roles to assign.")


@strawberry.type(description="The result of createClient: the client and its secret, shown "
                             "this once (only a hash is kept).")
class CreateClientPayload(Payload):
    client: ServiceClient | None = strawberry.field(default=None, description="The client.")
    client_secret: str | None = strawberry.field(
        default=None, description="The secret, to store now: it is never shown again.")


@strawberry.input(description="Replace a client's roles.")
class SetClientRolesInput:
    client_id: strawberry.ID = strawberry.field(description="The client.")
    roles: list[ClientRole] = strawberry.field(description="The complete new set of roles.")


@strawberry.type(description="The result of setClientRoles.")
class SetClientRolesPayload(Payload):
    client: ServiceClient | None = strawberry.field(
        default=None, description="The client with its new roles.")


@strawberry.input(description="Give a client a new secret.")
class RotateClientSecretInput:
    client_id: strawberry.ID = strawberry.field(description="The client.")


@strawberry.type(description="The result of rotateClientSecret: the new secret, shown this "
                             "once.")
class RotateClientSecretPayload(Payload):
    client: ServiceClient | None = strawberry.field(default=None, description="The client.")
    client_secret: str | None = strawberry.field(
        default=None, description="The new secret, to store now; the old one no longer "
                                  "works.")


@strawberry.input(description="Revoke a client.")
class RevokeClientInput:
    client_id: strawberry.ID = strawberry.field(description="The client.")


@strawberry.type(description="The result of revokeClient.")
class RevokeClientPayload(Payload):
    client: ServiceClient | None = strawberry.field(default=None,
                                                    description="The client, now revoked.")


@strawberry.type
class ClientQuery:
    @strawberry.field(description="Service clients, by name (Admins).",
                      metadata=operation("clients:list"))
    async def clients(
        self, info: Info,
        include_revoked: Annotated[bool, strawberry.argument(
            description="Also list revoked clients (kept for the audit trail).")] = True,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 100,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[ServiceClient]:
        items = [c for c in await info.context.services.call("identity", "GET", "/clients")
                 if include_revoked or not c.get("revoked_at")]
        items.sort(key=lambda c: (str(c["name"]).lower(), str(c["id"])))
        return list_connection(items, ServiceClient.from_service, first=first, after=after,
                               maximum=MAX_PAGE)

    @strawberry.field(description="One service client (Admins).",
                      metadata=operation("clients:get"))
    async def client(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The client's id.")],
    ) -> ServiceClient:
        return await _client(info, decode_id(id, "ServiceClient", "id"))


@strawberry.type
class ClientMutation:
    @strawberry.mutation(description="Create a service client (Admins; audited). The payload "
                                     "carries its secret, this once.",
                         metadata=operation("clients:create"))
    async def create_client(
        self, info: Info, input: Annotated[CreateClientInput, INPUT],
    ) -> CreateClientPayload:
        async def work() -> CreateClientPayload:
            body = {"name": input.name, "description": input.description,
                    "roles": [r.value for r in input.roles]}
            data = await info.context.services.call("identity", "POST", "/clients", json=body)
            return CreateClientPayload(client=ServiceClient.from_service(data),
                                       client_secret=data["client_secret"])

        return await attempt(CreateClientPayload, work)

    @strawberry.mutation(description="Replace a client's roles (Admins; audited; effective "
                                     "in every service at once).",
                         metadata=operation("clients:set_roles"))
    async def set_client_roles(
        self, info: Info, input: Annotated[SetClientRolesInput, INPUT],
    ) -> SetClientRolesPayload:
        async def work() -> SetClientRolesPayload:
            data = await info.context.services.call(
                "identity", "PUT", f"/clients/{_client_seg(input.client_id)}/roles",
                json={"roles": [r.value for r in input.roles]})
            return SetClientRolesPayload(client=ServiceClient.from_service(data))

        return await attempt(SetClientRolesPayload, work)

    @strawberry.mutation(description="Give a client a new secret, shown once; the old one "
                                     "stops working (Admins; audited).",
                         metadata=operation("clients:rotate_secret"))
    async def rotate_client_secret(
        self, info: Info, input: Annotated[RotateClientSecretInput, INPUT],
    ) -> RotateClientSecretPayload:
        async def work() -> RotateClientSecretPayload:
            data = await info.context.services.call(
                "identity", "POST", f"/clients/{_client_seg(input.client_id)}/secret")
            return RotateClientSecretPayload(client=ServiceClient.from_service(data),
                                             client_secret=data["client_secret"])

        return await attempt(RotateClientSecretPayload, work)

    @strawberry.mutation(description="Revoke a client: its secret and roles go at once, its "
                                     "tokens are refused everywhere; it stays listed for the "
                                     "audit trail (Admins; audited).",
                         metadata=operation("clients:revoke"))
    async def revoke_client(
        self, info: Info, input: Annotated[RevokeClientInput, INPUT],
    ) -> RevokeClientPayload:
        async def work() -> RevokeClientPayload:
            data = await info.context.services.call(
                "identity", "DELETE", f"/clients/{_client_seg(input.client_id)}")
            return RevokeClientPayload(client=ServiceClient.from_service(data))

        return await attempt(RevokeClientPayload, work)
