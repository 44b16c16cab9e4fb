"""Policy templates, the global indicator catalogue, and policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from gateway.context import Info
from gateway.schema.common import INPUT, Node, parse_optional_datetime


@strawberry.type(description="A policy template: what a policy made from it watches for.")
class PolicyTemplate:
    key: str = strawberry.field(description="Template key, used in `createPolicy`.")
    name: str = strawberry.field(description="Display name.")
    description: str = strawberry.field(description="What it detects.")
    triggering_events: list[str] = strawberry.field(
        description="Event kinds that bring a person into scope.")
    default_indicators: list[str] = strawberry.field(
        description="Indicators a policy uses when none are listed.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PolicyTemplate:
        return cls(key=data["key"], name=data["name"], description=data["description"],
                   triggering_events=list(data.get("triggering_events") or []),
                   default_indicators=list(data.get("default_indicators") or []))


@strawberry.type(description="An indicator of the global catalogue; policies may use only "
                             "enabled ones.")
class Indicator:
    key: str = strawberry.field(description="Indicator key.")
    name: str = strawberry.field(description="Display name.")
    group: str = strawberry.field(description="Indicator group.")
    category: str = strawberry.field(description="Indicator category.")
    activity_types: list[str] = strawberry.field(
        description="Activity types counted by this indicator.")
    default_thresholds: list[int] = strawberry.field(
        description="Default daily counts for the low, medium and high levels.")
    data_source: str = strawberry.field(description="Where its activity comes from.")
    enabled: bool = strawberry.field(description="Whether it is enabled globally.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Indicator:
        return cls(key=data["key"], name=data["name"], group=data["group"],
                   category=data["category"],
                   activity_types=list(data.get("activity_types") or []),
                   default_thresholds=list(data.get("default_thresholds") or []),
                   data_source=data["data_source"], enabled=bool(data["enabled"]))


@strawberry.type(description="An indicator as a policy scores it.")
class PolicyIndicator:
    key: str = strawberry.field(description="Indicator key.")
    thresholds: list[int] | None = strawberry.field(
        description="Daily counts for low, medium and high; null means the indicator's "
                    "defaults.")


@strawberry.type(description="A policy: a template, the indicators it scores and when it "
                             "alerts.")
class Policy(Node):
    name: str = strawberry.field(description="Name; immutable after creation.")
    template: str = strawberry.field(description="Template key.")
    description: str = strawberry.field(description="Description.")
    indicators: list[PolicyIndicator] = strawberry.field(description="Indicators scored.")
    alert_threshold: int = strawberry.field(
        description="Risk score (1 to 100) at which an alert is raised.")
    activation_days: int = strawberry.field(
        description="Days after the triggering event that count.")
    past_days: int = strawberry.field(description="Days before the triggering event that count.")
    active: bool = strawberry.field(description="Whether the policy is scoring.")
    created_at: datetime | None = strawberry.field(description="When it was created.")
    updated_at: datetime | None = strawberry.field(description="When it last changed.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Policy:
        return cls(
            key=str(data["id"]), name=data["name"], template=data["template"],
            description=data.get("description") or "",
            indicators=[PolicyIndicator(key=i["key"], thresholds=i.get("thresholds"))
                        for i in data.get("indicators") or []],
            alert_threshold=data["alert_threshold"], activation_days=data["activation_days"],
            past_days=data["past_days"], active=bool(data["active"]),
            created_at=parse_optional_datetime(data.get("created_at")),
            updated_at=parse_optional_datetime(data.get("updated_at")))


@strawberry.input(description="An indicator for a new policy.")
class PolicyIndicatorInput:
    key: str = strawberry.field(description="Indicator key; it must be enabled globally.")
    thresholds: list[int] | None = strawberry.field(
        default=None, description="Three strictly ascending daily counts (low, medium, high); "
                                  "the indicator's defaults when omitted.")


@strawberry.input(description="A new policy. Omitted fields take the service's defaults.")
class CreatePolicyInput:
    name: str = strawberry.field(description="Name (1 to 200 characters); immutable.")
    template: str = strawberry.field(description="Template key (see `templates`).")
    description: str | None = strawberry.field(default=None, description="Description.")
    indicators: list[PolicyIndicatorInput] | None = strawberry.field(
        default=None, description="Indicators to score; the template's enabled defaults "
                                  "when omitted.")
    alert_threshold: int | None = strawberry.field(
        default=None, description="Risk score (1 to 100) that raises an alert; default 30.")
    activation_days: int | None = strawberry.field(
        default=None, description="Days after the triggering event (1 to 30); default 30.")
    past_days: int | None = strawberry.field(
        default=None, description="Days before the triggering event (0 to 90); default 90.")
    active: bool | None = strawberry.field(
        default=None, description="Start scoring at once; default true.")

    def to_service(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "template": self.template}
        optional = {"description": self.description, "alert_threshold": self.alert_threshold,
                    "activation_days": self.activation_days, "past_days": self.past_days,
                    "active": self.active}
        body.update({k: v for k, v in optional.items() if v is not None})
        if self.indicators is not None:
            body["indicators"] = [
                {"key": i.key, **({"thresholds": i.thresholds} if i.thresholds is not None
                                  else {})}
                for i in self.indicators]
        return body


@strawberry.type
class PolicyQuery:
    @strawberry.field(description="The policy templates.")
    async def templates(self, info: Info) -> list[PolicyTemplate]:
        return [PolicyTemplate.from_service(t) for t in await info.context.services.templates()]

    @strawberry.field(description="The global indicator catalogue.")
    async def indicators(self, info: Info) -> list[Indicator]:
        return [Indicator.from_service(i) for i in await info.context.services.indicators()]

    @strawberry.field(description="Every policy.")
    async def policies(self, info: Info) -> list[Policy]:
        return [Policy.from_service(p) for p in await info.context.services.policies()]

    @strawberry.field(description="A policy by id.")
    async def policy(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The policy id.")],
    ) -> Policy:
        return Policy.from_service(await info.context.services.policy_get(id))


@strawberry.type
class PolicyMutation:
    @strawberry.mutation(description="Enable or disable an indicator globally (Admins).")
    async def set_indicator_enabled(
        self, info: Info,
        key: Annotated[str, strawberry.argument(description="Indicator key.")],
        enabled: Annotated[bool, strawberry.argument(description="Enable or disable it.")],
    ) -> Indicator:
        return Indicator.from_service(await info.context.services.indicator_set(key, enabled))

    @strawberry.mutation(description="Create a policy from a template (Admins); its indicators "
                                     "must be enabled globally.")
    async def create_policy(
        self, info: Info, input: Annotated[CreatePolicyInput, INPUT],
    ) -> Policy:
        return Policy.from_service(await info.context.services.policy_create(input.to_service()))
