"""The privacy setting and scoped access: who sees names, and whom each account sees."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from gateway.clients import uuid_segment
from gateway.context import Info
from gateway.schema.common import INPUT, decode_id, operation, parse_optional_datetime
from gateway.schema.payloads import Payload, attempt


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
class UpdatePrivacySettingsInput:
    pseudonymise: bool | None = strawberry.field(default=None, description="Aliases or names.")
    two_person_reveal: bool | None = strawberry.field(
        default=None, description="Whether a reveal needs a second approver.")
    reveal_ttl_seconds: int | None = strawberry.field(
        default=None, description="How long a granted reveal lasts (300 s to 30 days).")


@strawberry.type(description="The result of updatePrivacySettings.")
class UpdatePrivacySettingsPayload(Payload):
    settings: PrivacySettings | None = strawberry.field(
        default=None, description="The setting as it now is.")


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


async def scope_of(info: Info, account_key: str) -> AccessScope:
    seg = uuid_segment(account_key, "accountId")
    return AccessScope.from_service(
        await info.context.services.call("identity", "GET", f"/accounts/{seg}/scope"))


@strawberry.input(description="Limit an account to people of some departments or regions "
                              "(either matches); both empty: everyone.")
class SetAccessScopeInput:
    account_id: strawberry.ID = strawberry.field(description="The account.")
    departments: list[str] = strawberry.field(default_factory=list,
                                              description="Departments (up to 200).")
    regions: list[str] = strawberry.field(default_factory=list,
                                          description="Regions (up to 200).")


@strawberry.type(description="The result of setAccessScope.")
class SetAccessScopePayload(Payload):
    scope: AccessScope | None = strawberry.field(default=None,
                                                 description="The account's scope now.")


@strawberry.type
class PrivacyQuery:
    @strawberry.field(description="The privacy setting (Admins, Analysts, Investigators).",
                      metadata=operation("privacy:get"))
    async def privacy_settings(self, info: Info) -> PrivacySettings:
        return PrivacySettings.from_service(
            await info.context.services.call("identity", "GET", "/privacy"))

    @strawberry.field(description="Which people an account sees (Admins); also "
                                  "`Account.accessScope`.",
                      metadata=operation("accounts:get_scope"))
    async def access_scope(
        self, info: Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(description="The account.")],
    ) -> AccessScope:
        return await scope_of(info, decode_id(account_id, "Account", "accountId"))


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(description="Change the privacy setting (Admins; audited with before "
                                     "and after).",
                         metadata=operation("privacy:update"))
    async def update_privacy_settings(
        self, info: Info, input: Annotated[UpdatePrivacySettingsInput, INPUT],
    ) -> UpdatePrivacySettingsPayload:
        async def work() -> UpdatePrivacySettingsPayload:
            body = {k: v for k, v in {"pseudonymise": input.pseudonymise,
                                      "two_person_reveal": input.two_person_reveal,
                                      "reveal_ttl_s": input.reveal_ttl_seconds}.items()
                    if v is not None}
            data = await info.context.services.call("identity", "PUT", "/privacy", json=body)
            return UpdatePrivacySettingsPayload(settings=PrivacySettings.from_service(data))

        return await attempt(UpdatePrivacySettingsPayload, work)

    @strawberry.mutation(description="Set which people an account sees (Admins; audited; "
                                     "effective in every service within a second).",
                         metadata=operation("accounts:set_scope"))
    async def set_access_scope(
        self, info: Info, input: Annotated[SetAccessScopeInput, INPUT],
    ) -> SetAccessScopePayload:
        async def work() -> SetAccessScopePayload:
            seg = uuid_segment(decode_id(input.account_id, "Account", "accountId"),
                               "accountId")
            data = await info.context.services.call(
                "identity", "PUT", f"/accounts/{seg}/scope",
                json={"departments": input.departments, "regions": input.regions})
            return SetAccessScopePayload(scope=AccessScope.from_service(data))

        return await attempt(SetAccessScopePayload, work)
