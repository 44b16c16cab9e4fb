"""The privacy setting and scoped access: who sees names, and whom each account sees."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from gateway.context import Info
from gateway.schema.common import INPUT, parse_optional_datetime


@strawberry.type(description="Whether people are shown by alias, and how reveals work.")
class PrivacySettings:
    pseudonymise: bool = strawberry.field(description=(
        "On (the default): people are shown by alias, their identity only under a reveal "
        "grant. Off: everyone with access to people sees names."))
    two_person_reveal: bool = strawberry.field(description=(
        "A reveal needs a second Investigator or an Admin to approve it."))
    reveal_ttl_seconds: int = strawberry.field(description="How long a granted reveal lasts.")
    updated_by: str | None = strawberry.field(description="Who changed it last.")
    updated_at: datetime | None = strawberry.field(description="When it was changed last.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PrivacySettings:
        return cls(pseudonymise=data["pseudonymise"],
                   two_person_reveal=data["two_person_reveal"],
                   reveal_ttl_seconds=data["reveal_ttl_s"], updated_by=data.get("updated_by"),
                   updated_at=parse_optional_datetime(data.get("updated_at")))


@strawberry.input(description="Change the privacy setting; fields left out stay as they are.")
class UpdatePrivacyInput:
    pseudonymise: bool | None = strawberry.field(default=None, description="Aliases or names.")
    two_person_reveal: bool | None = strawberry.field(
        default=None, description="Whether a reveal needs a second approver.")
    reveal_ttl_seconds: int | None = strawberry.field(
        default=None, description="How long a granted reveal lasts (300 s to 30 days).")


@strawberry.type(description="Which people an account sees.")
class AccessScope:
    restricted: bool = strawberry.field(
        description="true when the account sees only part of the population.")
    departments: list[str] = strawberry.field(
        description="People of these departments (empty, with no regions: everyone).")
    regions: list[str] = strawberry.field(description="People of these regions.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> AccessScope:
        return cls(restricted=data["restricted"], departments=data["departments"],
                   regions=data["regions"])


@strawberry.input(description="Limit an account to people of some departments or regions "
                              "(either matches).")
class AccessScopeInput:
    departments: list[str] = strawberry.field(default_factory=list,
                                              description="Departments.")
    regions: list[str] = strawberry.field(default_factory=list, description="Regions.")


@strawberry.type
class PrivacyQuery:
    @strawberry.field(description="The privacy setting (Admins, Analysts, Investigators).")
    async def privacy_settings(self, info: Info) -> PrivacySettings:
        return PrivacySettings.from_service(await info.context.services.privacy_get())

    @strawberry.field(description="Which people an account sees (Admins).")
    async def access_scope(
        self, info: Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(description="The account.")],
    ) -> AccessScope:
        return AccessScope.from_service(await info.context.services.scope_get(account_id))


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(description="Change the privacy setting (Admins; audited with before "
                                     "and after).")
    async def update_privacy_settings(
        self, info: Info, input: Annotated[UpdatePrivacyInput, INPUT],
    ) -> PrivacySettings:
        body = {"pseudonymise": input.pseudonymise,
                "two_person_reveal": input.two_person_reveal,
                "reveal_ttl_s": input.reveal_ttl_seconds}
        return PrivacySettings.from_service(await info.context.services.privacy_put(body))

    @strawberry.mutation(description="Set which people an account sees (Admins; audited; "
                                     "effective in every service within a second).")
    async def set_access_scope(
        self, info: Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(description="The account.")],
        input: Annotated[AccessScopeInput, INPUT],
    ) -> AccessScope:
        body = {"departments": input.departments, "regions": input.regions}
        return AccessScope.from_service(await info.context.services.scope_put(account_id, body))
