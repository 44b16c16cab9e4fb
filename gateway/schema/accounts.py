"""Staff accounts and their roles."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.context import Info
from gateway.schema.common import INPUT, parse_optional_datetime


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
class Account:
    id: strawberry.ID = strawberry.field(description="Account id.")
    email: str = strawberry.field(description="Sign-in email.")
    display_name: str = strawberry.field(description="Name shown to colleagues.")
    active: bool = strawberry.field(description="Whether the account may sign in.")
    roles: list[Role] = strawberry.field(description="Roles assigned to the account.")
    created_at: datetime | None = strawberry.field(description="When it was created.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Account:
        return cls(id=strawberry.ID(str(data["id"])), email=data["email"],
                   display_name=data["display_name"], active=bool(data.get("active", True)),
                   roles=[Role(r) for r in data.get("roles") or []],
                   created_at=parse_optional_datetime(data.get("created_at")))


@strawberry.input(description="A new staff account.")
class CreateAccountInput:
    email: str = strawberry.field(description="Sign-in email.")
    display_name: str = strawberry.field(description="Name (1 to 200 characters).")
    password: str = strawberry.field(description="Initial password (at least 12 characters).")
    roles: list[Role] = strawberry.field(default_factory=list,
                                         description="Roles to assign.")


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in account.")
    async def me(self, info: Info) -> Account:
        return Account.from_service(await info.context.services.me())

    @strawberry.field(description="Every staff account (Admins).")
    async def accounts(self, info: Info) -> list[Account]:
        return [Account.from_service(a) for a in await info.context.services.accounts_list()]


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Create a staff account (Admins; audited).")
    async def create_account(
        self, info: Info, input: Annotated[CreateAccountInput, INPUT],
    ) -> Account:
        body = {"email": input.email, "display_name": input.display_name,
                "password": input.password, "roles": [r.value for r in input.roles]}
        return Account.from_service(await info.context.services.account_create(body))

    @strawberry.mutation(description="Replace an account's roles (Admins; audited; effective "
                                     "in every service without a restart).")
    async def set_roles(
        self, info: Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(description="The account.")],
        roles: Annotated[list[Role], strawberry.argument(
            description="The complete new set of roles.")],
    ) -> Account:
        data = await info.context.services.account_set_roles(account_id,
                                                             [r.value for r in roles])
        return Account.from_service(data)
