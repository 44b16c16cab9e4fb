"""Policy templates, the global indicator and sequence catalogues, and policies: their scope,
priority content, indicators, boosters and detections, their health, and the people added to
them by hand. The scoring service decides every call (Admins write; Admins, Analysts and
Investigators read policies)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.clients import drop_none, text_segment, uuid_segment
from gateway.context import Info, forget
from gateway.schema.common import (
    AFTER,
    FIRST,
    INPUT,
    MAX_PAGE,
    Connection,
    Node,
    decode_id,
    list_connection,
    node_resolver,
    operation,
    parse_optional_datetime,
    to_global_id,
)
from gateway.schema.payloads import Payload, attempt
from gateway.schema.people import Person, person_of

# REST calls (scoring) ------------------------------------------------------------------

async def scoring(info: Info, method: str, path: str, **kwargs: Any) -> Any:
    """A call to the scoring service as the caller (policies, settings, replays)."""
    return await info.context.services.call("scoring", method, path, **kwargs)


def _policy_path(policy_id: str, field: str) -> str:
    return f"/policies/{uuid_segment(policy_id, field)}"


def _opt(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


# Enums ---------------------------------------------------------------------------------

@strawberry.enum(description="What an indicator of the catalogue is.")
class IndicatorKind(Enum):
    ACTIVITY = strawberry.enum_value(
        "activity", description="Counted per day against low, medium and high thresholds.")
    CUMULATIVE = strawberry.enum_value(
        "cumulative", description="Cumulative exfiltration compared with the organisation "
                                  "or the person's peers.")
    BOOSTER = strawberry.enum_value(
        "booster", description="Raises a score by a share of its base (e.g. activity far "
                               "above the person's usual).")


@strawberry.enum(description="How a policy sets an indicator's daily thresholds.")
class IndicatorMode(Enum):
    DEFAULT = strawberry.enum_value("default", description="The indicator's own thresholds.")
    CUSTOM = strawberry.enum_value("custom",
                                   description="The three daily counts the policy gives.")
    BASELINE = strawberry.enum_value(
        "baseline", description="2, 4 and 8 times the person's usual daily activity.")


@strawberry.enum(description="Who a policy scores.")
class PolicyScopeKind(Enum):
    ALL = strawberry.enum_value("all", description="Everyone in the directory.")
    GROUPS = strawberry.enum_value("groups", description="People of the listed departments.")
    PEOPLE = strawberry.enum_value("people", description="The listed people.")
    PRIORITY_GROUPS = strawberry.enum_value(
        "priority_groups", description="Members of the listed priority user groups.")


@strawberry.enum(description="A kind of the global priority content (see `settings`) a policy "
                             "may weigh more: events on it count twice.")
class PriorityContentKind(Enum):
    SITES = strawberry.enum_value("sites", description="Priority SharePoint/web sites.")
    LABELS = strawberry.enum_value("labels", description="Sensitivity labels.")
    INFO_TYPES = strawberry.enum_value("info_types",
                                       description="Sensitive information types.")
    EXTENSIONS = strawberry.enum_value("extensions", description="File extensions.")


@strawberry.enum(description="A policy's health as a whole.")
class PolicyHealthStatus(Enum):
    HEALTHY = strawberry.enum_value("healthy", description="Nothing to act on.")
    RECOMMENDATIONS = strawberry.enum_value(
        "recommendations", description="It works; some changes would make it better.")
    WARNINGS = strawberry.enum_value(
        "warnings", description="It may not raise alerts it should (missing data, empty "
                                "scope…).")


@strawberry.enum(description="How serious a health reason is.")
class HealthReasonLevel(Enum):
    WARNING = strawberry.enum_value("warning", description="The policy may not work.")
    RECOMMENDATION = strawberry.enum_value("recommendation",
                                           description="A suggested improvement.")


# Catalogue types -----------------------------------------------------------------------

@strawberry.type(description="A policy template: what a policy made from it watches for.")
class PolicyTemplate:
    key: str = strawberry.field(description="Template key, used in `createPolicy`.")
    name: str = strawberry.field(description="Display name.")
    description: str = strawberry.field(description="What it detects.")
    triggering_events: list[str] = strawberry.field(
        description="Event kinds that bring a person into scope (e.g. hr.resignation).")
    default_indicators: list[str] = strawberry.field(
        description="Indicators a policy uses when none are listed.")
    prerequisites: list[str] = strawberry.field(
        description="Data sources or settings the template needs (hr, dlp, "
                    "endpoint_security, health_records, priority_groups).")
    supports_sequences: bool = strawberry.field(
        description="Whether policies from it may detect sequences.")
    supports_cumulative: bool = strawberry.field(
        description="Whether policies from it may detect cumulative exfiltration.")
    scope: str = strawberry.field(
        description="Who the template is about (e.g. departing, risky or priority users).")
    default_alert_threshold: int = strawberry.field(
        description="The alert threshold a policy from it gets when none is given.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PolicyTemplate:
        return cls(key=data["key"], name=data["name"], description=data["description"],
                   triggering_events=list(data.get("triggering_events") or []),
                   default_indicators=list(data.get("default_indicators") or []),
                   prerequisites=list(data.get("prerequisites") or []),
                   supports_sequences=bool(data.get("sequences")),
                   supports_cumulative=bool(data.get("cumulative")),
                   scope=str(data.get("scope") or ""),
                   default_alert_threshold=int(data["default_alert_threshold"]))


@strawberry.type(description="An indicator of the global catalogue (built-in or custom); "
                             "policies may use only enabled ones.")
class Indicator:
    key: str = strawberry.field(description="Indicator key.")
    name: str = strawberry.field(description="Display name.")
    description: str = strawberry.field(description="What it counts.")
    group: str = strawberry.field(description="Indicator group (office, device, "
                                              "endpoint_security, …).")
    kind: IndicatorKind = strawberry.field(description="What kind of indicator it is.")
    category: str | None = strawberry.field(
        description="Category (access, collection, exfiltration, …); null for boosters and "
                    "cumulative ones.")
    activity_types: list[str] = strawberry.field(
        description="Activity types counted by this indicator.")
    default_thresholds: list[int] | None = strawberry.field(
        description="Default daily counts for the low, medium and high levels; null when it "
                    "is not counted per day.")
    default_byte_thresholds: list[float] | None = strawberry.field(
        description="Default daily bytes for the low, medium and high levels, where it has "
                    "any.")
    data_source: str = strawberry.field(description="Where its activity comes from.")
    enabled: bool = strawberry.field(description="Whether it is enabled globally.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Indicator:
        byte_levels = data.get("default_byte_thresholds")
        return cls(key=data["key"], name=data["name"],
                   description=data.get("description") or "", group=data["group"],
                   kind=IndicatorKind(data.get("kind") or "activity"),
                   category=data.get("category"),
                   activity_types=list(data.get("activity_types") or []),
                   default_thresholds=data.get("default_thresholds"),
                   default_byte_thresholds=[float(b) for b in byte_levels]
                   if byte_levels is not None else None,
                   data_source=data["data_source"], enabled=bool(data["enabled"]))


@strawberry.type(description="A sequence policies can detect: steps of activity on one file, "
                             "in order, within some days.")
class Sequence:
    key: str = strawberry.field(description="Sequence key, used in a policy's `sequences`.")
    name: str = strawberry.field(description="Display name.")
    steps: list[list[str]] = strawberry.field(
        description="The steps in order; each step is the activity types any of which "
                    "makes it.")
    within_days: int = strawberry.field(description="Days within which the steps must happen.")
    built_in: bool = strawberry.field(
        description="Built in (true) or defined in the global settings' custom sequences.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Sequence:
        return cls(key=data["key"], name=data["name"],
                   steps=[list(s) for s in data.get("steps") or []],
                   within_days=int(data["within_days"]), built_in=bool(data["built_in"]))


# Policies ------------------------------------------------------------------------------

@strawberry.type(description="An indicator as a policy scores it.")
class PolicyIndicator:
    key: str = strawberry.field(description="Indicator key.")
    mode: IndicatorMode = strawberry.field(description="How its thresholds are set.")
    thresholds: list[int] | None = strawberry.field(
        description="Daily counts for low, medium and high as scored: the policy's own "
                    "(CUSTOM) or the indicator's defaults (DEFAULT); null in BASELINE mode "
                    "or for an indicator not counted per day.")
    byte_thresholds: list[float] | None = strawberry.field(
        description="Daily bytes for low, medium and high as scored: the policy's own or "
                    "the indicator's defaults; null when the indicator counts no bytes.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PolicyIndicator:
        byte_levels = data.get("byte_thresholds")
        return cls(key=data["key"], mode=IndicatorMode(data.get("mode") or "default"),
                   thresholds=data.get("thresholds"),
                   byte_thresholds=[float(b) for b in byte_levels]
                   if byte_levels is not None else None)


@strawberry.type(description="Who a policy scores.")
class PolicyScope:
    kind: PolicyScopeKind = strawberry.field(description="How the scope is given.")
    groups: list[str] = strawberry.field(description="Departments (kind GROUPS).")
    subject_ids: list[strawberry.ID] = strawberry.field(
        description="Pseudonymous subject ids of the people listed (kind PEOPLE); see "
                    "`person(subjectId:)`.")
    priority_group_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of the priority user groups listed (kind PRIORITY_GROUPS); "
                    "Admins may fetch them with `priorityGroup(id:)`.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PolicyScope:
        return cls(kind=PolicyScopeKind(data.get("kind") or "all"),
                   groups=list(data.get("groups") or []),
                   subject_ids=[strawberry.ID(str(p)) for p in data.get("people") or []],
                   priority_group_ids=[to_global_id("PriorityGroup", str(g))
                                       for g in data.get("priority_groups") or []])


@strawberry.type(description="One reason behind a policy's health status.")
class PolicyHealthReason:
    level: HealthReasonLevel = strawberry.field(description="How serious it is.")
    code: str = strawberry.field(description="Machine code, e.g. `no_hr_data`, `inactive`, "
                                             "`indicator_without_data`.")
    message: str = strawberry.field(description="What is wrong and what to do, to read.")


@strawberry.type(description="Whether a policy can work: data arriving for its triggering "
                             "events and indicators, a scope with people, a trigger that is "
                             "not too broad.")
class PolicyHealth:
    status: PolicyHealthStatus = strawberry.field(description="The health as a whole.")
    reasons: list[PolicyHealthReason] = strawberry.field(
        description="Why, warnings and recommendations; empty when healthy.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PolicyHealth:
        return cls(status=PolicyHealthStatus(data["status"]),
                   reasons=[PolicyHealthReason(level=HealthReasonLevel(r["level"]),
                                               code=r["code"], message=r["message"])
                            for r in data.get("reasons") or []])


@strawberry.type(description="A person added to a policy by hand (manual triggering) for a "
                             "limited time, with a reason.")
class PolicyMember:
    member_id: strawberry.ID = strawberry.field(
        description="Id of this addition; pass it to `removePolicyMember`.")
    policy_key: strawberry.Private[str]
    subject_id: strawberry.ID = strawberry.field(
        description="Pseudonymous subject id of the person.")
    reason: str = strawberry.field(description="Why the person was added.")
    starts_on: date = strawberry.field(description="First day the person is in scope.")
    until: date = strawberry.field(description="Last day the person is in scope.")
    added_by: str = strawberry.field(description="The staff account or service that added "
                                                 "them.")
    active: bool = strawberry.field(description="Whether the addition is in force today.")
    created_at: datetime | None = strawberry.field(description="When it was made.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PolicyMember:
        return cls(member_id=strawberry.ID(str(data["id"])), policy_key=str(data["policy_id"]),
                   subject_id=strawberry.ID(str(data["subject_id"])), reason=data["reason"],
                   starts_on=date.fromisoformat(str(data["starts_on"])),
                   until=date.fromisoformat(str(data["until"])),
                   added_by=str(data["added_by"]), active=bool(data["active"]),
                   created_at=parse_optional_datetime(data.get("created_at")))

    @strawberry.field(description="The person, pseudonymous unless revealed to the caller.",
                      metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, str(self.subject_id), "")

    @strawberry.field(description="The policy.", metadata=operation("policies:get"))
    async def policy(self, info: Info) -> Policy | None:
        return Policy.from_service(await info.context.loaders.policy.load(self.policy_key))


@strawberry.type(description="A policy: a template, who it scores, the indicators, boosters "
                             "and detections it scores them with, and when it alerts.")
class Policy(Node):
    name: str = strawberry.field(description="Name; immutable after creation.")
    template: str = strawberry.field(description="Template key (see `templates`).")
    description: str = strawberry.field(description="Description.")
    scope: PolicyScope = strawberry.field(description="Who it scores.")
    priority_content: list[PriorityContentKind] = strawberry.field(
        description="Kinds of the global priority content whose events count twice.")
    indicators: list[PolicyIndicator] = strawberry.field(description="Indicators scored.")
    boosters: list[str] = strawberry.field(
        description="Booster indicator keys applied to the score.")
    sequences: list[str] = strawberry.field(description="Sequence keys detected.")
    cumulative: list[str] = strawberry.field(
        description="Cumulative-exfiltration indicator keys detected.")
    triggering_events: list[str] = strawberry.field(
        description="Event kinds that bring a person into its scope (from the template).")
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
            scope=PolicyScope.from_service(data.get("scope") or {}),
            priority_content=[PriorityContentKind(k)
                              for k in data.get("priority_content") or []],
            indicators=[PolicyIndicator.from_service(i) for i in data.get("indicators") or []],
            boosters=list(data.get("boosters") or []),
            sequences=list(data.get("sequences") or []),
            cumulative=list(data.get("cumulative") or []),
            triggering_events=list(data.get("triggering_events") or []),
            alert_threshold=data["alert_threshold"], activation_days=data["activation_days"],
            past_days=data["past_days"], active=bool(data["active"]),
            created_at=parse_optional_datetime(data.get("created_at")),
            updated_at=parse_optional_datetime(data.get("updated_at")))

    @strawberry.field(description="Whether the policy can work, with the reasons.",
                      metadata=operation("policies:health"))
    async def health(self, info: Info) -> PolicyHealth | None:
        return PolicyHealth.from_service(
            await scoring(info, "GET", _policy_path(self.key, "id") + "/health"))

    @strawberry.field(description="People added to the policy by hand, oldest first; a "
                                  "reviewer limited to some people sees only those.",
                      metadata=operation("policies:list_members"))
    async def members(
        self, info: Info, first: Annotated[int, FIRST] = 50,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[PolicyMember]:
        items = await scoring(info, "GET", _policy_path(self.key, "id") + "/members")
        return list_connection(items, PolicyMember.from_service, first=first, after=after,
                               maximum=MAX_PAGE)


@node_resolver("Policy")
async def policy_node(info: Info, key: str) -> Policy:
    return Policy.from_service(await info.context.loaders.policy.load(key))


# Inputs --------------------------------------------------------------------------------

@strawberry.input(description="An indicator for a policy.")
class PolicyIndicatorInput:
    key: str = strawberry.field(description="Indicator key; it must be enabled globally.")
    mode: IndicatorMode | None = strawberry.field(
        default=None, description="How its thresholds are set; CUSTOM when `thresholds` are "
                                  "given, DEFAULT otherwise.")
    thresholds: list[int] | None = strawberry.field(
        default=None, description="Three strictly ascending daily counts (low, medium, high), "
                                  "for CUSTOM mode only.")
    byte_thresholds: list[float] | None = strawberry.field(
        default=None, description="Three strictly ascending daily byte counts (low, medium, "
                                  "high); the indicator's defaults when omitted.")

    def to_service(self) -> dict[str, Any]:
        return drop_none({
            "key": self.key, "mode": _opt(self.mode), "thresholds": self.thresholds,
            "byte_thresholds": [int(b) for b in self.byte_thresholds]
            if self.byte_thresholds is not None else None})


@strawberry.input(description="Who a policy scores.")
class PolicyScopeInput:
    kind: PolicyScopeKind = strawberry.field(description="How the scope is given.")
    groups: list[str] | None = strawberry.field(
        default=None, description="Departments (kind GROUPS; at least one).")
    people: list[strawberry.ID] | None = strawberry.field(
        default=None, description="People by subject id (kind PEOPLE; at least one).")
    priority_groups: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Priority user groups by id (kind PRIORITY_GROUPS; at "
                                  "least one).")

    def to_service(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "groups": list(self.groups or []),
                "people": [decode_id(p, "Person", "scope.people")
                           for p in self.people or []],
                "priority_groups": [decode_id(g, "PriorityGroup", "scope.priorityGroups")
                                    for g in self.priority_groups or []]}


@strawberry.input(description="What a policy scores and when it alerts. Omitted fields keep "
                              "their value (a change) or take the template's defaults and "
                              "the global timeframes (a new policy).")
class PolicyFieldsInput:
    description: str | None = strawberry.field(
        default=None, description="Description (up to 2000 characters).")
    scope: PolicyScopeInput | None = strawberry.field(
        default=None, description="Who it scores; everyone when a new policy has none.")
    priority_content: list[PriorityContentKind] | None = strawberry.field(
        default=None, description="Kinds of the global priority content to weigh more.")
    indicators: list[PolicyIndicatorInput] | None = strawberry.field(
        default=None, description="Indicators to score (1 to 60); the template's enabled "
                                  "defaults for a new policy when omitted.")
    boosters: list[str] | None = strawberry.field(
        default=None, description="Booster indicator keys (enabled globally).")
    sequences: list[str] | None = strawberry.field(
        default=None, description="Sequence keys to detect (see `sequences`).")
    cumulative: list[str] | None = strawberry.field(
        default=None, description="Cumulative-exfiltration indicator keys (enabled "
                                  "globally).")
    alert_threshold: int | None = strawberry.field(
        default=None, description="Risk score (1 to 100) that raises an alert.")
    activation_days: int | None = strawberry.field(
        default=None, description="Days after the triggering event (1 to 30).")
    past_days: int | None = strawberry.field(
        default=None, description="Days before the triggering event (0 to 90).")

    def fields_to_service(self) -> dict[str, Any]:
        return drop_none({
            "description": self.description,
            "scope": self.scope.to_service() if self.scope else None,
            "priority_content": [k.value for k in self.priority_content]
            if self.priority_content is not None else None,
            "indicators": [i.to_service() for i in self.indicators]
            if self.indicators is not None else None,
            "boosters": self.boosters, "sequences": self.sequences,
            "cumulative": self.cumulative, "alert_threshold": self.alert_threshold,
            "activation_days": self.activation_days, "past_days": self.past_days})


@strawberry.input(description="A new policy from a template.")
class CreatePolicyInput(PolicyFieldsInput):
    name: str = strawberry.field(description="Name (1 to 200 characters); immutable.")
    template: str = strawberry.field(description="Template key (see `templates`).")
    active: bool | None = strawberry.field(
        default=None, description="Start scoring at once; default true. Create it inactive "
                                  "to check its health or replay it first.")

    def to_service(self) -> dict[str, Any]:
        return {"name": self.name, "template": self.template, **self.fields_to_service(),
                **drop_none({"active": self.active})}


@strawberry.input(description="Changes to a policy; its name and template never change. The "
                              "policy is re-scored.")
class UpdatePolicyInput(PolicyFieldsInput):
    policy_id: strawberry.ID = strawberry.field(description="The policy.")
    active: bool | None = strawberry.field(default=None,
                                           description="Switch scoring on or off.")

    def to_service(self) -> dict[str, Any]:
        return {**self.fields_to_service(), **drop_none({"active": self.active})}


@strawberry.input(description="A draft policy that need not exist, for a what-if replay.")
class PolicyDraftInput(PolicyFieldsInput):
    template: str = strawberry.field(description="Template key (see `templates`).")
    name: str | None = strawberry.field(default=None,
                                        description="A name to show; `draft` when omitted.")

    def to_service(self) -> dict[str, Any]:
        return {"template": self.template, **drop_none({"name": self.name}),
                **self.fields_to_service()}


@strawberry.input(description="Enable or disable an indicator globally.")
class SetIndicatorEnabledInput:
    key: str = strawberry.field(description="Indicator key.")
    enabled: bool = strawberry.field(description="Enable (true) or disable (false) it; an "
                                                 "indicator a policy uses cannot be "
                                                 "disabled.")


@strawberry.input(description="A policy, by id.")
class PolicyIdInput:
    policy_id: strawberry.ID = strawberry.field(description="The policy.")


@strawberry.input(description="Add a person to a policy by hand (manual triggering).")
class AddPolicyMemberInput:
    policy_id: strawberry.ID = strawberry.field(description="The policy.")
    subject_id: strawberry.ID = strawberry.field(description="The person, by subject id.")
    reason: str = strawberry.field(description="Why (5 to 2000 characters); audited.")
    days: int | None = strawberry.field(
        default=None, description="Days the person stays in scope (1 to 30); the policy's "
                                  "activation window when omitted.")


@strawberry.input(description="End a manual addition now.")
class RemovePolicyMemberInput:
    policy_id: strawberry.ID = strawberry.field(description="The policy.")
    member_id: strawberry.ID = strawberry.field(
        description="The addition's `memberId` (see `Policy.members`).")


# Payloads ------------------------------------------------------------------------------

@strawberry.type(description="The indicator just enabled or disabled.")
class SetIndicatorEnabledPayload(Payload):
    indicator: Indicator | None = strawberry.field(default=None,
                                                   description="The indicator now.")


@strawberry.type(description="The policy just created, changed, activated or deactivated.")
class PolicyPayload(Payload):
    policy: Policy | None = strawberry.field(default=None, description="The policy now.")


@strawberry.type(description="The policy just created.")
class CreatePolicyPayload(PolicyPayload):
    pass


@strawberry.type(description="The policy just changed.")
class UpdatePolicyPayload(PolicyPayload):
    pass


@strawberry.type(description="The policy just activated.")
class ActivatePolicyPayload(PolicyPayload):
    pass


@strawberry.type(description="The policy just deactivated.")
class DeactivatePolicyPayload(PolicyPayload):
    pass


@strawberry.type(description="The policy just deleted, with its scores; alerts it raised "
                             "stay in cases.")
class DeletePolicyPayload(Payload):
    deleted_policy_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the deleted policy.")


@strawberry.type(description="The manual addition just made or ended.")
class PolicyMemberPayload(Payload):
    member: PolicyMember | None = strawberry.field(default=None,
                                                   description="The addition now.")


@strawberry.type(description="The person just added to the policy.")
class AddPolicyMemberPayload(PolicyMemberPayload):
    pass


@strawberry.type(description="The manual addition just ended.")
class RemovePolicyMemberPayload(PolicyMemberPayload):
    pass


# Root fields ---------------------------------------------------------------------------

def _matches(value: Any, wanted: Any) -> bool:
    return wanted is None or value == wanted


@strawberry.type
class PolicyQuery:
    @strawberry.field(description="The policy templates: a fixed catalogue of about twenty, "
                                  "so a plain list.",
                      metadata=operation("templates:list"))
    async def templates(self, info: Info) -> list[PolicyTemplate]:
        return [PolicyTemplate.from_service(t) for t in await scoring(info, "GET", "/templates")]

    @strawberry.field(description="The global indicator catalogue, built-in then custom "
                                  "(Admins).", metadata=operation("indicators:list"))
    async def indicators(
        self, info: Info,
        enabled: Annotated[bool | None, strawberry.argument(
            description="Only indicators enabled (true) or disabled (false) globally.")] = None,
        kind: Annotated[IndicatorKind | None, strawberry.argument(
            description="Only indicators of this kind.")] = None,
        group: Annotated[str | None, strawberry.argument(
            description="Only indicators of this group (e.g. device).")] = None,
        first: Annotated[int, FIRST] = MAX_PAGE, after: Annotated[str | None, AFTER] = None,
    ) -> Connection[Indicator]:
        items = [Indicator.from_service(i) for i in await scoring(info, "GET", "/indicators")]
        items = [i for i in items if _matches(i.enabled, enabled) and _matches(i.kind, kind)
                 and _matches(i.group, group)]
        return list_connection(items, lambda i: i, first=first, after=after, maximum=MAX_PAGE)

    @strawberry.field(description="The sequences policies can detect, built-in then custom "
                                  "(Admins).", metadata=operation("sequences:list"))
    async def sequences(
        self, info: Info, first: Annotated[int, FIRST] = 50,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[Sequence]:
        items = await scoring(info, "GET", "/sequences")
        return list_connection(items, Sequence.from_service, first=first, after=after,
                               maximum=MAX_PAGE)

    @strawberry.field(description="The policies, by name.", metadata=operation("policies:list"))
    async def policies(
        self, info: Info,
        active: Annotated[bool | None, strawberry.argument(
            description="Only active (true) or inactive (false) policies.")] = None,
        template: Annotated[str | None, strawberry.argument(
            description="Only policies from this template.")] = None,
        first: Annotated[int, FIRST] = 50, after: Annotated[str | None, AFTER] = None,
    ) -> Connection[Policy]:
        items = [p for p in await scoring(info, "GET", "/policies")
                 if _matches(bool(p["active"]), active) and _matches(p["template"], template)]
        return list_connection(items, Policy.from_service, first=first, after=after,
                               maximum=MAX_PAGE)

    @strawberry.field(description="A policy by id.", metadata=operation("policies:get"))
    async def policy(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The policy's id.")],
    ) -> Policy:
        return await policy_node(info, decode_id(id, "Policy", "id"))


def _policy_result(info: Info, data: dict[str, Any]) -> Policy:
    forget(info.context.loaders.policy, str(data["id"]))
    return Policy.from_service(data)


@strawberry.type
class PolicyMutation:
    @strawberry.mutation(description="Enable or disable an indicator globally (Admins); a new "
                                     "settings version.",
                         metadata=operation("indicators:update"))
    async def set_indicator_enabled(
        self, info: Info, input: Annotated[SetIndicatorEnabledInput, INPUT],
    ) -> SetIndicatorEnabledPayload:
        async def work() -> SetIndicatorEnabledPayload:
            data = await scoring(info, "PUT", f"/indicators/{text_segment(input.key, 'key')}",
                                  json={"enabled": input.enabled})
            return SetIndicatorEnabledPayload(indicator=Indicator.from_service(data))

        return await attempt(SetIndicatorEnabledPayload, work)

    @strawberry.mutation(description="Create a policy from a template (Admins); its "
                                     "indicators must be enabled globally.",
                         metadata=operation("policies:create"))
    async def create_policy(
        self, info: Info, input: Annotated[CreatePolicyInput, INPUT],
    ) -> CreatePolicyPayload:
        async def work() -> CreatePolicyPayload:
            data = await scoring(info, "POST", "/policies", json=input.to_service())
            return CreatePolicyPayload(policy=_policy_result(info, data))

        return await attempt(CreatePolicyPayload, work)

    @strawberry.mutation(description="Change a policy (Admins); it is re-scored.",
                         metadata=operation("policies:update"))
    async def update_policy(
        self, info: Info, input: Annotated[UpdatePolicyInput, INPUT],
    ) -> UpdatePolicyPayload:
        async def work() -> UpdatePolicyPayload:
            path = _policy_path(decode_id(input.policy_id, "Policy", "policyId"), "policyId")
            data = await scoring(info, "PATCH", path, json=input.to_service())
            return UpdatePolicyPayload(policy=_policy_result(info, data))

        return await attempt(UpdatePolicyPayload, work)

    @strawberry.mutation(description="Delete a policy and its scores (Admins); alerts it "
                                     "raised stay.", metadata=operation("policies:delete"))
    async def delete_policy(
        self, info: Info, input: Annotated[PolicyIdInput, INPUT],
    ) -> DeletePolicyPayload:
        async def work() -> DeletePolicyPayload:
            key = decode_id(input.policy_id, "Policy", "policyId")
            await scoring(info, "DELETE", _policy_path(key, "policyId"))
            forget(info.context.loaders.policy, key)
            return DeletePolicyPayload(deleted_policy_id=to_global_id("Policy", key))

        return await attempt(DeletePolicyPayload, work)

    @strawberry.mutation(description="Switch a policy's scoring on (Admins).",
                         metadata=operation("policies:activate"))
    async def activate_policy(
        self, info: Info, input: Annotated[PolicyIdInput, INPUT],
    ) -> ActivatePolicyPayload:
        async def work() -> ActivatePolicyPayload:
            path = _policy_path(decode_id(input.policy_id, "Policy", "policyId"), "policyId")
            data = await scoring(info, "POST", path + "/activate")
            return ActivatePolicyPayload(policy=_policy_result(info, data))

        return await attempt(ActivatePolicyPayload, work)

    @strawberry.mutation(description="Switch a policy's scoring off (Admins); its scores "
                                     "and alerts stay.",
                         metadata=operation("policies:deactivate"))
    async def deactivate_policy(
        self, info: Info, input: Annotated[PolicyIdInput, INPUT],
    ) -> DeactivatePolicyPayload:
        async def work() -> DeactivatePolicyPayload:
            path = _policy_path(decode_id(input.policy_id, "Policy", "policyId"), "policyId")
            data = await scoring(info, "POST", path + "/deactivate")
            return DeactivatePolicyPayload(policy=_policy_result(info, data))

        return await attempt(DeactivatePolicyPayload, work)

    @strawberry.mutation(description="Add a person to a policy by hand for a limited time, "
                                     "with a reason (Admins); audited.",
                         metadata=operation("policies:add_member"))
    async def add_policy_member(
        self, info: Info, input: Annotated[AddPolicyMemberInput, INPUT],
    ) -> AddPolicyMemberPayload:
        async def work() -> AddPolicyMemberPayload:
            path = _policy_path(decode_id(input.policy_id, "Policy", "policyId"), "policyId")
            body = drop_none({
                "subject_id": decode_id(input.subject_id, "Person", "subjectId"),
                "reason": input.reason, "days": input.days})
            data = await scoring(info, "POST", path + "/members", json=body)
            return AddPolicyMemberPayload(member=PolicyMember.from_service(data))

        return await attempt(AddPolicyMemberPayload, work)

    @strawberry.mutation(description="End a manual addition to a policy now (Admins).",
                         metadata=operation("policies:remove_member"))
    async def remove_policy_member(
        self, info: Info, input: Annotated[RemovePolicyMemberInput, INPUT],
    ) -> RemovePolicyMemberPayload:
        async def work() -> RemovePolicyMemberPayload:
            path = _policy_path(decode_id(input.policy_id, "Policy", "policyId"), "policyId")
            member = uuid_segment(str(input.member_id), "memberId")
            data = await scoring(info, "DELETE", f"{path}/members/{member}")
            return RemovePolicyMemberPayload(member=PolicyMember.from_service(data))

        return await attempt(RemovePolicyMemberPayload, work)

