"""Staff accounts, their roles and access scopes, and the role assignments every service
enforces (Admins)."""

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
from gateway.schema.privacy import AccessScope, scope_of

MAX_PAGE = 500


@strawberry.enum(description="A role: the reference product's four, their combined group, "
                             "and the case viewer.")
class Role(Enum):
    ADMIN = strawberry.enum_value(
        "Admin", description="Policies, global settings, indicators, role assignments.")
    ANALYST = strawberry.enum_value(
        "Analyst", description="Alerts, cases, triage and notes; no content, no reveal.")
    INVESTIGATOR = strawberry.enum_value(
        "Investigator", description="As Analyst, plus the content explorer and reveal.")
    AUDITOR = strawberry.enum_value("Auditor", description="The audit log only.")
    INSIDER_RISK_MANAGEMENT = strawberry.enum_value(
        "InsiderRiskManagement", description="The combined group: all four roles above.")
    CASE_VIEWER = strawberry.enum_value(
        "CaseViewer", description="Reads the cases shared with it (an HR or Legal contact), "
                                  "nothing else.")


@strawberry.type(description="A staff account.")
class Account(Node):
    email: str = strawberry.field(description="Sign-in email.")
    display_name: str = strawberry.field(description="Name shown to colleagues.")
    active: bool = strawberry.field(description="Whether the account may sign in.")
    roles: list[Role] = strawberry.field(description="Roles assigned to the account.")
    created_at: datetime | None = strawberry.field(description="When it was created.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Account:
        return cls(key=str(data["id"]), email=data["email"],
                   display_name=data["display_name"], active=bool(data.get("active", True)),
                   roles=[Role(r) for r in data.get("roles") or []],
                   created_at=parse_optional_datetime(data.get("created_at")))

    @strawberry.field(description="The audit log's and role assignments' name for this "
                                  "account: `user:<rawId>`.")
    def subject(self) -> str:
        return f"user:{self.key}"

    @strawberry.field(description="Which people the account sees (Admins; null with a "
                                  "FORBIDDEN error for others, e.g. on `me`).",
                      metadata=operation("accounts:get_scope"))
    async def access_scope(self, info: Info) -> AccessScope | None:
        return await scope_of(info, self.key)


async def _accounts(info: Info) -> list[dict[str, Any]]:
    return await info.context.services.call("identity", "GET", "/accounts")


async def _account(info: Info, key: str) -> Account:
    seg = uuid_segment(key, "id")
    return Account.from_service(
        await info.context.services.call("identity", "GET", f"/accounts/{seg}"))


@node_resolver("Account")
async def account_node(info: Info, key: str) -> Account:
    return await _account(info, key)


@strawberry.enum(description="What kind of caller a role assignment is for.")
class SubjectKind(Enum):
    ACCOUNT = strawberry.enum_value("user", description="A staff account (`user:<id>`).")
    CLIENT = strawberry.enum_value("client", description="A service client "
                                                         "(`client:<id>`).")
    OTHER = strawberry.enum_value("other", description="Anything else (none expected).")


@strawberry.type(description="One role held by one caller, as every service's enforcer "
                             "loads it.")
class RoleAssignment:
    subject: str = strawberry.field(description="Who holds it: `user:<id>` or "
                                                "`client:<id>`.")
    subject_kind: SubjectKind = strawberry.field(description="Account or client.")
    role: str = strawberry.field(description="The role: a `Role` value for accounts, a "
                                             "`ClientRole` value (Integrator, service…) for "
                                             "clients.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> RoleAssignment:
        kind = str(data["subject"]).partition(":")[0]
        return cls(subject=data["subject"], role=data["role"],
                   subject_kind=SubjectKind(kind) if kind in ("user", "client")
                   else SubjectKind.OTHER)


@strawberry.input(description="A new staff account.")
class CreateAccountInput:
    email: str = strawberry.field(description="Sign-in email.")
    display_name: str = strawberry.field(description="Name (1 to 200 characters).")
    password: str = strawberry.field(description="Initial password (at least 12 characters).")
    roles: list[Role] = strawberry.field(default_factory=list,
                                         description="Roles to assign.")


@strawberry.type(description="The result of createAccount.")
class CreateAccountPayload(Payload):
    account: Account | None = strawberry.field(default=None, description="The new account.")


@strawberry.input(description="Replace an account's roles.")
class SetRolesInput:
    account_id: strawberry.ID = strawberry.field(description="The account.")
    roles: list[Role] = strawberry.field(description="The complete new set of roles (empty: "
                                                     "none).")


@strawberry.type(description="The result of setRoles.")
class SetRolesPayload(Payload):
    account: Account | None = strawberry.field(default=None,
                                               description="The account with its new roles.")


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in staff account (NOT_FOUND for a service "
                                  "client's token).",
                      metadata=operation("accounts:me"))
    async def me(self, info: Info) -> Account:
        return Account.from_service(
            await info.context.services.call("identity", "GET", "/accounts/me"))

    @strawberry.field(description="Staff accounts, by email (Admins).",
                      metadata=operation("accounts:list"))
    async def accounts(
        self, info: Info,
        role: Annotated[Role | None, strawberry.argument(
            description="Only accounts holding this role.")] = None,
        active: Annotated[bool | None, strawberry.argument(
            description="Only active (true) or deactivated (false) accounts.")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 100,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[Account]:
        items = [a for a in await _accounts(info)
                 if (role is None or role.value in (a.get("roles") or []))
                 and (active is None or bool(a.get("active", True)) == active)]
        items.sort(key=lambda a: (str(a["email"]).lower(), str(a["id"])))
        return list_connection(items, Account.from_service, first=first, after=after,
                               maximum=MAX_PAGE)

    @strawberry.field(description="A staff account (Admins).",
                      metadata=operation("accounts:get"))
    async def account(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The account's id.")],
    ) -> Account:
        return await _account(info, decode_id(id, "Account", "id"))

    @strawberry.field(description="Every role assignment, of accounts and service clients, "
                                  "as the services enforce them (Admins).",
                      metadata=operation("roles:assignments"))
    async def role_assignments(
        self, info: Info,
        subject_kind: Annotated[SubjectKind | None, strawberry.argument(
            description="Only assignments of accounts, or of clients.")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 100,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[RoleAssignment]:
        items = [RoleAssignment.from_service(a) for a in
                 await info.context.services.call("identity", "GET", "/roles/assignments")]
        items = sorted((a for a in items if subject_kind in (None, a.subject_kind)),
                       key=lambda a: (a.subject, a.role))
        return list_connection(items, lambda a: a, first=first, after=after,
                               maximum=MAX_PAGE)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Create a staff account (Admins; audited). An email in "
                                     "use is a ConflictError.",
                         metadata=operation("accounts:create"))
    async def create_account(
        self, info: Info, input: Annotated[CreateAccountInput, INPUT],
    ) -> CreateAccountPayload:
        async def work() -> CreateAccountPayload:
            body = {"email": input.email, "display_name": input.display_name,
                    "password": input.password, "roles": [r.value for r in input.roles]}
            data = await info.context.services.call("identity", "POST", "/accounts",
                                                    json=body)
            return CreateAccountPayload(account=Account.from_service(data))

        return await attempt(CreateAccountPayload, work)

    @strawberry.mutation(description="Replace an account's roles (Admins; audited; effective "
                                     "in every service without a restart).",
                         metadata=operation("accounts:set_roles"))
    async def set_roles(
        self, info: Info, input: Annotated[SetRolesInput, INPUT],
    ) -> SetRolesPayload:
        async def work() -> SetRolesPayload:
            seg = uuid_segment(decode_id(input.account_id, "Account", "accountId"),
                               "accountId")
            data = await info.context.services.call(
                "identity", "PUT", f"/accounts/{seg}/roles",
                json={"roles": [r.value for r in input.roles]})
            return SetRolesPayload(account=Account.from_service(data))

        return await attempt(SetRolesPayload, work)
