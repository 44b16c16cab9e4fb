"""Scoring administration: priority user groups, the versioned global settings, org-level
analytics and the facts scoring keeps about a person (department, high impact). The scoring
service decides every call (Admins; analytics also Analysts and Investigators)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.clients import drop_none, uuid_segment
from gateway.context import Info
from gateway.errors import ServiceError
from gateway.schema.common import (
    AFTER,
    FIRST,
    INPUT,
    MAX_PAGE,
    Connection,
    Edge,
    Node,
    build_connection,
    decode_id,
    list_connection,
    node_resolver,
    operation,
    page_size,
    parse_optional_datetime,
    person_segment,
    to_global_id,
)
from gateway.schema.payloads import Payload, attempt
from gateway.schema.people import Person, person_of
from gateway.schema.policies import scoring
from services.kit.pagination import encode_cursor

# Priority user groups ------------------------------------------------------------------

@strawberry.type(description="A priority user group: people whose activity weighs more (the "
                             "priority-group booster, the priority-users templates) and the "
                             "staff allowed to review alerts about them.")
class PriorityGroup(Node):
    name: str = strawberry.field(description="Name; unique and immutable.")
    description: str = strawberry.field(description="Description.")
    member_ids: list[strawberry.ID] = strawberry.field(
        description="Pseudonymous subject ids of the members.")
    reviewers: list[str] = strawberry.field(
        description="Staff accounts (token subjects, e.g. `account:<id>`) allowed to review "
                    "alerts about the members.")
    created_at: datetime | None = strawberry.field(description="When it was created.")
    updated_at: datetime | None = strawberry.field(description="When it last changed.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PriorityGroup:
        return cls(key=str(data["id"]), name=data["name"],
                   description=data.get("description") or "",
                   member_ids=[strawberry.ID(str(m)) for m in data.get("members") or []],
                   reviewers=list(data.get("reviewers") or []),
                   created_at=parse_optional_datetime(data.get("created_at")),
                   updated_at=parse_optional_datetime(data.get("updated_at")))

    @strawberry.field(description="The members, pseudonymous unless revealed to the caller; "
                                  "a page of them.", metadata=operation("people:get"))
    async def members(
        self, info: Info, first: Annotated[int, FIRST] = 50,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[Person]:
        page = list_connection(self.member_ids, str, first=first, after=after,
                               maximum=MAX_PAGE)
        people = await asyncio.gather(*(person_of(info, e.node, "") for e in page.edges))
        return Connection(edges=[Edge(cursor_source=e.cursor_source, node=p)
                                 for e, p in zip(page.edges, people, strict=True)],
                          page_info=page.page_info)


@node_resolver("PriorityGroup")
async def priority_group_node(info: Info, key: str) -> PriorityGroup:
    seg = uuid_segment(key, "id")
    return PriorityGroup.from_service(await scoring(info, "GET", f"/priority-groups/{seg}"))


def _members(ids: list[strawberry.ID] | None) -> list[str] | None:
    if ids is None:
        return None
    return [decode_id(m, "Person", "members") for m in ids]


@strawberry.input(description="A new priority user group; its members are re-scored.")
class CreatePriorityGroupInput:
    name: str = strawberry.field(description="Name (1 to 200 characters); unique.")
    description: str | None = strawberry.field(default=None,
                                               description="Description (up to 2000).")
    members: list[strawberry.ID] | None = strawberry.field(
        default=None, description="People by subject id (up to 10,000).")
    reviewers: list[str] | None = strawberry.field(
        default=None, description="Staff accounts (token subjects) allowed to review alerts "
                                  "about them (up to 100).")


@strawberry.input(description="Changes to a priority user group; omitted fields keep their "
                              "value, given lists replace the old ones.")
class UpdatePriorityGroupInput:
    priority_group_id: strawberry.ID = strawberry.field(description="The group.")
    description: str | None = strawberry.field(default=None, description="Description.")
    members: list[strawberry.ID] | None = strawberry.field(
        default=None, description="All members, by subject id.")
    reviewers: list[str] | None = strawberry.field(default=None,
                                                   description="All reviewers.")


@strawberry.input(description="A priority user group, by id.")
class DeletePriorityGroupInput:
    priority_group_id: strawberry.ID = strawberry.field(description="The group.")


@strawberry.type(description="The priority user group just created.")
class CreatePriorityGroupPayload(Payload):
    priority_group: PriorityGroup | None = strawberry.field(default=None,
                                                            description="The group.")


@strawberry.type(description="The priority user group just changed.")
class UpdatePriorityGroupPayload(Payload):
    priority_group: PriorityGroup | None = strawberry.field(default=None,
                                                            description="The group now.")


@strawberry.type(description="The priority user group just deleted.")
class DeletePriorityGroupPayload(Payload):
    deleted_priority_group_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the deleted group.")


# Global settings -----------------------------------------------------------------------

@strawberry.enum(description="How many new alerts a policy may raise per day.")
class AlertVolume(Enum):
    FEWER = strawberry.enum_value("fewer", description="10 a day, and no new low-severity "
                                                       "alerts.")
    DEFAULT = strawberry.enum_value("default", description="50 a day.")
    MORE = strawberry.enum_value("more", description="200 a day.")


@strawberry.enum(description="Status of an endpoint-security alert (new < in progress < "
                             "resolved).")
class EndpointAlertStatus(Enum):
    NEW = strawberry.enum_value("new", description="New.")
    IN_PROGRESS = strawberry.enum_value("in_progress", description="Being investigated.")
    RESOLVED = strawberry.enum_value("resolved", description="Resolved.")


@strawberry.enum(description="Category of a custom indicator.")
class IndicatorCategory(Enum):
    ACCESS = strawberry.enum_value("access", description="Accessing content.")
    COLLECTION = strawberry.enum_value("collection", description="Gathering content.")
    DELETION = strawberry.enum_value("deletion", description="Deleting content.")
    EXFILTRATION = strawberry.enum_value("exfiltration",
                                         description="Moving content out.")
    INFILTRATION = strawberry.enum_value("infiltration",
                                         description="Bringing content or software in.")
    OBFUSCATION = strawberry.enum_value("obfuscation", description="Hiding what content is.")
    SECURITY = strawberry.enum_value("security", description="Security controls.")


@strawberry.type(description="Defaults for new policies: the policy timeframes.")
class Timeframes:
    activation_days: int = strawberry.field(
        description="Days a person stays in scope after a triggering event (1 to 30).")
    past_days: int = strawberry.field(
        description="Days before a triggering event whose activity counts (0 to 90).")


@strawberry.type(description="What scoring leaves out or weighs more, everywhere.")
class Detections:
    excluded_file_types: list[str] = strawberry.field(
        description="File extensions never counted.")
    excluded_paths: list[str] = strawberry.field(
        description="Paths never counted: a prefix, or a pattern with * and ?.")
    excluded_sites: list[str] = strawberry.field(
        description="Site URLs (prefix or pattern) never counted.")
    excluded_keywords: list[str] = strawberry.field(
        description="Activity on files whose name, path or subject contains one of these is "
                    "not counted.")
    allowed_domains: list[str] = strawberry.field(
        description="Activity whose every destination is one of these (or a sub-domain) is "
                    "not counted.")
    unallowed_domains: list[str] = strawberry.field(
        description="Activity towards these counts twice.")
    third_party_domains: list[str] = strawberry.field(
        description="Services the organisation uses; counted normally, never as unallowed.")
    alert_volume: AlertVolume = strawberry.field(
        description="New alerts per policy per day.")
    min_endpoint_alert_status: EndpointAlertStatus = strawberry.field(
        description="Endpoint-security alerts below this status are not imported.")


@strawberry.type(description="The organisation's priority content: events on it count twice "
                             "in policies that choose its kind.")
class PriorityContent:
    sites: list[str] = strawberry.field(description="Site URLs (prefix or pattern).")
    labels: list[str] = strawberry.field(description="Sensitivity labels (names or ids).")
    info_types: list[str] = strawberry.field(description="Sensitive information types.")
    extensions: list[str] = strawberry.field(description="File extensions.")


@strawberry.type(description="An attribute a custom indicator's events must have one of the "
                             "values of.")
class AttributeCondition:
    attribute: str = strawberry.field(description="Event attribute name.")
    values: list[str] = strawberry.field(description="Accepted values.")


@strawberry.type(description="An indicator an Admin defined from activity types, counted per "
                             "day like the built-in ones.")
class CustomIndicator:
    key: str = strawberry.field(description="Key, `custom_…`.")
    name: str = strawberry.field(description="Display name.")
    description: str = strawberry.field(description="Description.")
    category: IndicatorCategory = strawberry.field(description="Category.")
    activity_types: list[str] = strawberry.field(description="Activity types counted.")
    where: list[AttributeCondition] = strawberry.field(
        description="Conditions on the events' attributes (all must hold).")
    default_thresholds: list[int] = strawberry.field(
        description="Daily counts for low, medium and high.")


@strawberry.type(description="A sequence an Admin defined: steps of activity types on one "
                             "file, in order, within some days.")
class CustomSequence:
    key: str = strawberry.field(description="Key, `custom_…`.")
    name: str = strawberry.field(description="Display name.")
    steps: list[list[str]] = strawberry.field(
        description="The steps; each is the activity types any of which makes it.")
    within_days: int = strawberry.field(description="Days within which the steps happen.")


@strawberry.type(description="The global settings document.")
class GlobalSettings:
    enabled_indicators: list[str] = strawberry.field(
        description="Indicators policies may use; all are off until enabled.")
    timeframes: Timeframes = strawberry.field(description="Defaults for new policies.")
    detections: Detections = strawberry.field(description="Exclusions, domains, alert "
                                                          "volume.")
    priority_content: PriorityContent = strawberry.field(description="Priority content.")
    custom_indicators: list[CustomIndicator] = strawberry.field(
        description="Indicators defined by Admins.")
    custom_sequences: list[CustomSequence] = strawberry.field(
        description="Sequences defined by Admins.")
    analytics_min_group_size: int = strawberry.field(
        description="Analytics and peer comparisons never show or use smaller groups.")

    @classmethod
    def from_service(cls, d: dict[str, Any]) -> GlobalSettings:
        det = d.get("detections") or {}
        pc = d.get("priority_content") or {}
        tf = d.get("timeframes") or {}
        return cls(
            enabled_indicators=list(d.get("enabled_indicators") or []),
            timeframes=Timeframes(activation_days=int(tf.get("activation_days", 30)),
                                  past_days=int(tf.get("past_days", 90))),
            detections=Detections(
                excluded_file_types=list(det.get("excluded_file_types") or []),
                excluded_paths=list(det.get("excluded_paths") or []),
                excluded_sites=list(det.get("excluded_sites") or []),
                excluded_keywords=list(det.get("excluded_keywords") or []),
                allowed_domains=list(det.get("allowed_domains") or []),
                unallowed_domains=list(det.get("unallowed_domains") or []),
                third_party_domains=list(det.get("third_party_domains") or []),
                alert_volume=AlertVolume(det.get("alert_volume") or "default"),
                min_endpoint_alert_status=EndpointAlertStatus(
                    det.get("min_endpoint_alert_status") or "new")),
            priority_content=PriorityContent(
                sites=list(pc.get("sites") or []), labels=list(pc.get("labels") or []),
                info_types=list(pc.get("info_types") or []),
                extensions=list(pc.get("extensions") or [])),
            custom_indicators=[CustomIndicator(
                key=c["key"], name=c["name"], description=c.get("description") or "",
                category=IndicatorCategory(c["category"]),
                activity_types=list(c["activity_types"]),
                where=[AttributeCondition(attribute=k, values=list(v))
                       for k, v in (c.get("where") or {}).items()],
                default_thresholds=list(c["default_thresholds"]))
                for c in d.get("custom_indicators") or []],
            custom_sequences=[CustomSequence(
                key=s["key"], name=s["name"], steps=[list(x) for x in s["steps"]],
                within_days=int(s["within_days"])) for s in d.get("custom_sequences") or []],
            analytics_min_group_size=int(d.get("analytics_min_group_size", 5)))


@strawberry.type(description="A version of the global settings: every change makes a new one; "
                             "scores and alerts record the version they were computed with.")
class SettingsVersion:
    version: int = strawberry.field(description="Version number (0: never changed).")
    settings: GlobalSettings = strawberry.field(description="The settings of this version.")
    created_by: str = strawberry.field(description="Who made it (token subject).")
    created_at: datetime | None = strawberry.field(description="When it was made.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> SettingsVersion:
        return cls(version=int(data["version"]),
                   settings=GlobalSettings.from_service(data["settings"]),
                   created_by=str(data.get("created_by") or ""),
                   created_at=parse_optional_datetime(data.get("created_at")))


@strawberry.type(description="A settings version without its document; fetch it with "
                             "`settingsVersion(version:)`.")
class SettingsVersionSummary:
    version: int = strawberry.field(description="Version number.")
    created_by: str = strawberry.field(description="Who made it (token subject).")
    created_at: datetime | None = strawberry.field(description="When it was made.")

    @strawberry.field(description="The settings of this version.",
                      metadata=operation("settings:version"))
    async def settings(self, info: Info) -> GlobalSettings:
        data = await scoring(info, "GET", f"/settings/versions/{self.version}")
        return GlobalSettings.from_service(data["settings"])


@strawberry.input(description="Policy timeframes; omitted fields keep their value.")
class TimeframesInput:
    activation_days: int | None = strawberry.field(default=None,
                                                   description="1 to 30 days.")
    past_days: int | None = strawberry.field(default=None, description="0 to 90 days.")


@strawberry.input(description="Exclusions, domains and alert volume; omitted fields keep "
                              "their value, given lists replace the old ones.")
class DetectionsInput:
    excluded_file_types: list[str] | None = strawberry.field(
        default=None, description="File extensions never counted (up to 200).")
    excluded_paths: list[str] | None = strawberry.field(
        default=None, description="Paths never counted (prefix or pattern; up to 500).")
    excluded_sites: list[str] | None = strawberry.field(
        default=None, description="Site URLs never counted (up to 500).")
    excluded_keywords: list[str] | None = strawberry.field(
        default=None, description="Keywords that exclude a file's activity (up to 500).")
    allowed_domains: list[str] | None = strawberry.field(
        default=None, description="Domains whose activity is not counted (up to 500).")
    unallowed_domains: list[str] | None = strawberry.field(
        default=None, description="Domains whose activity counts twice (up to 500).")
    third_party_domains: list[str] | None = strawberry.field(
        default=None, description="Services the organisation uses (up to 500).")
    alert_volume: AlertVolume | None = strawberry.field(
        default=None, description="New alerts per policy per day.")
    min_endpoint_alert_status: EndpointAlertStatus | None = strawberry.field(
        default=None, description="Endpoint-security alerts below this are not imported.")


@strawberry.input(description="Priority content; omitted lists keep their value.")
class PriorityContentInput:
    sites: list[str] | None = strawberry.field(default=None, description="Site URLs.")
    labels: list[str] | None = strawberry.field(default=None,
                                                description="Sensitivity labels.")
    info_types: list[str] | None = strawberry.field(
        default=None, description="Sensitive information types.")
    extensions: list[str] | None = strawberry.field(default=None,
                                                    description="File extensions.")


@strawberry.input(description="An attribute condition of a custom indicator.")
class AttributeConditionInput:
    attribute: str = strawberry.field(description="Event attribute name (snake_case).")
    values: list[str] = strawberry.field(description="Accepted values.")


@strawberry.input(description="A custom indicator.")
class CustomIndicatorInput:
    key: str = strawberry.field(description="Key: `custom_` then 1 to 40 of a-z, 0-9, _.")
    name: str = strawberry.field(description="Display name.")
    description: str | None = strawberry.field(default=None, description="Description.")
    category: IndicatorCategory = strawberry.field(description="Category.")
    activity_types: list[str] = strawberry.field(description="Activity types (1 to 20).")
    where: list[AttributeConditionInput] | None = strawberry.field(
        default=None, description="Conditions on the events' attributes (up to 5).")
    default_thresholds: list[int] = strawberry.field(
        description="Three strictly ascending daily counts (low, medium, high).")

    def to_service(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "description": self.description or "",
                "category": self.category.value, "activity_types": self.activity_types,
                "where": {c.attribute: c.values for c in self.where or []},
                "default_thresholds": self.default_thresholds}


@strawberry.input(description="A custom sequence.")
class CustomSequenceInput:
    key: str = strawberry.field(description="Key: `custom_` then 1 to 40 of a-z, 0-9, _.")
    name: str = strawberry.field(description="Display name.")
    steps: list[list[str]] = strawberry.field(
        description="2 to 5 steps, each the activity types any of which makes it.")
    within_days: int | None = strawberry.field(default=None,
                                               description="1 to 30 days; default 7.")

    def to_service(self) -> dict[str, Any]:
        return drop_none({"key": self.key, "name": self.name, "steps": self.steps,
                           "within_days": self.within_days})


@strawberry.input(description="Changes to the global settings. Omitted fields keep the value "
                              "of the settings they are applied to; given lists replace the "
                              "old ones whole.")
class SettingsChangesInput:
    enabled_indicators: list[str] | None = strawberry.field(
        default=None, description="Every indicator policies may use.")
    timeframes: TimeframesInput | None = strawberry.field(
        default=None, description="Defaults for new policies.")
    detections: DetectionsInput | None = strawberry.field(
        default=None, description="Exclusions, domains, alert volume.")
    priority_content: PriorityContentInput | None = strawberry.field(
        default=None, description="Priority content.")
    custom_indicators: list[CustomIndicatorInput] | None = strawberry.field(
        default=None, description="Every custom indicator (up to 50).")
    custom_sequences: list[CustomSequenceInput] | None = strawberry.field(
        default=None, description="Every custom sequence (up to 20).")
    analytics_min_group_size: int | None = strawberry.field(
        default=None, description="Smallest group analytics show (2 to 1000).")

    def apply(self, current: dict[str, Any]) -> dict[str, Any]:
        """The settings document with these changes applied to `current`."""
        doc = {k: (dict(v) if isinstance(v, dict) else v) for k, v in current.items()}
        for section in ("timeframes", "detections", "priority_content"):
            given = getattr(self, section)
            if given is not None:
                changes = {k: (v.value if isinstance(v, Enum) else v)
                           for k, v in vars(given).items() if v is not None}
                doc[section] = {**(doc.get(section) or {}), **changes}
        if self.enabled_indicators is not None:
            doc["enabled_indicators"] = list(self.enabled_indicators)
        if self.custom_indicators is not None:
            doc["custom_indicators"] = [c.to_service() for c in self.custom_indicators]
        if self.custom_sequences is not None:
            doc["custom_sequences"] = [c.to_service() for c in self.custom_sequences]
        if self.analytics_min_group_size is not None:
            doc["analytics_min_group_size"] = self.analytics_min_group_size
        return doc


async def settings_with(info: Info, changes: SettingsChangesInput) -> tuple[int, dict[str, Any]]:
    """The settings in force (their version) with `changes` applied."""
    current = await scoring(info, "GET", "/settings")
    return int(current["version"]), changes.apply(current["settings"])


@strawberry.input(description="Change the global settings: a new version, audited. When what "
                              "counts changes, scoring rebuilds its aggregates and re-scores "
                              "everyone in scope.")
class UpdateSettingsInput(SettingsChangesInput):
    expected_version: int | None = strawberry.field(
        default=None, description="The version the changes were made against; when the "
                                  "settings in force have moved on, nothing changes and a "
                                  "ConflictError says so. (Checked by the gateway just "
                                  "before writing; two writes in the same instant can still "
                                  "both pass.)")


@strawberry.type(description="The global settings just changed.")
class UpdateSettingsPayload(Payload):
    settings: SettingsVersion | None = strawberry.field(
        default=None, description="The settings in force now, with their new version (the "
                                  "same version when nothing changed).")


# Analytics -----------------------------------------------------------------------------

@strawberry.type(description="How much of one activity type the organisation had.")
class ActivityTypeShare:
    type: str = strawberry.field(description="Activity type.")
    events: int = strawberry.field(description="Events of this type.")
    people: int = strawberry.field(description="People with at least one.")


@strawberry.type(description="A department's exfiltration share (departments smaller than "
                             "the minimum group size are never shown).")
class DepartmentShare:
    department: str = strawberry.field(description="Department.")
    people: int = strawberry.field(description="Active people in it.")
    people_with_exfiltration: int = strawberry.field(
        description="Of them, people with exfiltration activity.")
    share_with_exfiltration: float = strawberry.field(description="That share, 0 to 1.")


@strawberry.type(description="Organisation-level insights without any policy; small groups "
                             "are never shown.")
class AnalyticsOverview:
    start: date = strawberry.field(description="First day covered.")
    end: date = strawberry.field(description="Last day covered.")
    min_group_size: int = strawberry.field(description="Smallest group shown.")
    people_active: int | None = strawberry.field(
        description="People with any activity; null when fewer than the minimum.")
    people_with_exfiltration: int | None = strawberry.field(
        description="People with exfiltration activity; null when too few are active.")
    share_with_exfiltration: float | None = strawberry.field(
        description="That share, 0 to 1; null when too few are active.")
    top_activity_types: list[ActivityTypeShare] = strawberry.field(
        description="The most frequent activity types.")
    departments: list[DepartmentShare] = strawberry.field(
        description="Departments large enough to show.")
    departments_suppressed: int = strawberry.field(
        description="Departments left out for being too small.")

    @classmethod
    def from_service(cls, d: dict[str, Any]) -> AnalyticsOverview:
        return cls(
            start=date.fromisoformat(d["start"]), end=date.fromisoformat(d["end"]),
            min_group_size=int(d["min_group_size"]), people_active=d.get("people_active"),
            people_with_exfiltration=d.get("people_with_exfiltration"),
            share_with_exfiltration=d.get("share_with_exfiltration"),
            top_activity_types=[ActivityTypeShare(type=t["type"], events=t["events"],
                                                  people=t["people"])
                                for t in d.get("top_activity_types") or []],
            departments=[DepartmentShare(
                department=x["department"], people=x["people"],
                people_with_exfiltration=x["people_with_exfiltration"],
                share_with_exfiltration=x["share_with_exfiltration"])
                for x in d.get("departments") or []],
            departments_suppressed=int(d.get("departments_suppressed") or 0))


# Subject attributes --------------------------------------------------------------------

@strawberry.type(description="What scoring knows of a person besides their activity.")
class SubjectAttributes:
    subject_id: strawberry.ID = strawberry.field(description="Pseudonymous subject id.")
    alias: str = strawberry.field(description="The person's alias.")
    department: str | None = strawberry.field(
        description="Department (peer group, scope by group).")
    high_impact: bool = strawberry.field(
        description="Whether the directory marks them potentially high impact (a booster).")
    violations: int = strawberry.field(
        description="Cases about them closed as confirmed violations.")


@strawberry.input(description="Set a person's department and high-impact flag, from the "
                              "directory; both are replaced.")
class SetSubjectAttributesInput:
    subject_id: strawberry.ID = strawberry.field(description="The person, by subject id.")
    department: str | None = strawberry.field(
        default=None, description="Department (1 to 200 characters); none when omitted.")
    high_impact: bool = strawberry.field(default=False,
                                         description="Potentially high impact.")


@strawberry.type(description="The person's attributes now.")
class SetSubjectAttributesPayload(Payload):
    attributes: SubjectAttributes | None = strawberry.field(
        default=None, description="The attributes now.")


# Root fields ---------------------------------------------------------------------------

@strawberry.type
class ScoringAdminQuery:
    @strawberry.field(description="The priority user groups, by name (Admins).",
                      metadata=operation("priority_groups:list"))
    async def priority_groups(
        self, info: Info, first: Annotated[int, FIRST] = 50,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[PriorityGroup]:
        items = await scoring(info, "GET", "/priority-groups")
        return list_connection(items, PriorityGroup.from_service, first=first, after=after,
                               maximum=MAX_PAGE)

    @strawberry.field(description="A priority user group by id (Admins).",
                      metadata=operation("priority_groups:get"))
    async def priority_group(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The group's id.")],
    ) -> PriorityGroup:
        return await priority_group_node(info, decode_id(id, "PriorityGroup", "id"))

    @strawberry.field(description="The global settings in force and their version (Admins).",
                      metadata=operation("settings:get"))
    async def settings(self, info: Info) -> SettingsVersion:
        return SettingsVersion.from_service(await scoring(info, "GET", "/settings"))

    @strawberry.field(description="Every settings version, newest first (Admins).",
                      metadata=operation("settings:versions"))
    async def settings_versions(
        self, info: Info, first: Annotated[int, FIRST] = 50,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[SettingsVersionSummary]:
        page = await scoring(info, "GET", "/settings/versions",
                              params={"cursor": after, "limit": page_size(first, MAX_PAGE)})
        return build_connection(
            page["items"], page.get("next_cursor"),
            lambda v: SettingsVersionSummary(
                version=int(v["version"]), created_by=str(v.get("created_by") or ""),
                created_at=parse_optional_datetime(v.get("created_at"))),
            lambda v: encode_cursor([int(v["version"])]), after=after)

    @strawberry.field(description="One settings version as it was (Admins).",
                      metadata=operation("settings:version"))
    async def settings_version(
        self, info: Info,
        version: Annotated[int, strawberry.argument(description="Version number, from 1.")],
    ) -> SettingsVersion:
        return SettingsVersion.from_service(
            await scoring(info, "GET", f"/settings/versions/{int(version)}"))

    @strawberry.field(description="Organisation-level insights over the last days, with no "
                                  "policy needed (Admins, Analysts, Investigators).",
                      metadata=operation("analytics:overview"))
    async def analytics(
        self, info: Info,
        days: Annotated[int, strawberry.argument(
            description="Days covered, ending today (1 to 90).")] = 30,
    ) -> AnalyticsOverview:
        return AnalyticsOverview.from_service(
            await scoring(info, "GET", "/analytics", params={"days": days}))


@strawberry.type
class ScoringAdminMutation:
    @strawberry.mutation(description="Create a priority user group (Admins).",
                         metadata=operation("priority_groups:create"))
    async def create_priority_group(
        self, info: Info, input: Annotated[CreatePriorityGroupInput, INPUT],
    ) -> CreatePriorityGroupPayload:
        async def work() -> CreatePriorityGroupPayload:
            body = drop_none({"name": input.name, "description": input.description,
                               "members": _members(input.members),
                               "reviewers": input.reviewers})
            data = await scoring(info, "POST", "/priority-groups", json=body)
            return CreatePriorityGroupPayload(priority_group=PriorityGroup.from_service(data))

        return await attempt(CreatePriorityGroupPayload, work)

    @strawberry.mutation(description="Change a priority user group (Admins); its members are "
                                     "re-scored.", metadata=operation("priority_groups:update"))
    async def update_priority_group(
        self, info: Info, input: Annotated[UpdatePriorityGroupInput, INPUT],
    ) -> UpdatePriorityGroupPayload:
        async def work() -> UpdatePriorityGroupPayload:
            seg = uuid_segment(decode_id(input.priority_group_id, "PriorityGroup",
                                         "priorityGroupId"), "priorityGroupId")
            body = drop_none({"description": input.description,
                               "members": _members(input.members),
                               "reviewers": input.reviewers})
            data = await scoring(info, "PATCH", f"/priority-groups/{seg}", json=body)
            return UpdatePriorityGroupPayload(priority_group=PriorityGroup.from_service(data))

        return await attempt(UpdatePriorityGroupPayload, work)

    @strawberry.mutation(description="Delete a priority user group (Admins); refused with a "
                                     "ConflictError while a policy is scoped to it.",
                         metadata=operation("priority_groups:delete"))
    async def delete_priority_group(
        self, info: Info, input: Annotated[DeletePriorityGroupInput, INPUT],
    ) -> DeletePriorityGroupPayload:
        async def work() -> DeletePriorityGroupPayload:
            key = decode_id(input.priority_group_id, "PriorityGroup", "priorityGroupId")
            await scoring(info, "DELETE", f"/priority-groups/{uuid_segment(key, 'id')}")
            return DeletePriorityGroupPayload(
                deleted_priority_group_id=to_global_id("PriorityGroup", key))

        return await attempt(DeletePriorityGroupPayload, work)

    @strawberry.mutation(description="Change the global settings (Admins): the given fields "
                                     "over the settings in force, stored as a new version.",
                         metadata=operation("settings:put", "settings:get"))
    async def update_settings(
        self, info: Info, input: Annotated[UpdateSettingsInput, INPUT],
    ) -> UpdateSettingsPayload:
        async def work() -> UpdateSettingsPayload:
            version, document = await settings_with(info, input)
            if input.expected_version is not None and input.expected_version != version:
                raise ServiceError(409, "settings_version_moved",
                                   f"the settings are at version {version}, not "
                                   f"{input.expected_version}",
                                   body={"current_status": f"version {version}"})
            data = await scoring(info, "PUT", "/settings", json=document)
            return UpdateSettingsPayload(settings=SettingsVersion.from_service(data))

        return await attempt(UpdateSettingsPayload, work)

    @strawberry.mutation(description="Set a person's department and high-impact flag (Admins "
                                     "and the directory sync).",
                         metadata=operation("subjects:attributes"))
    async def set_subject_attributes(
        self, info: Info, input: Annotated[SetSubjectAttributesInput, INPUT],
    ) -> SetSubjectAttributesPayload:
        async def work() -> SetSubjectAttributesPayload:
            seg = person_segment(input.subject_id)
            data = await scoring(info, "PUT", f"/subjects/{seg}/attributes",
                                  json=drop_none({"department": input.department,
                                                   "high_impact": input.high_impact}))
            return SetSubjectAttributesPayload(attributes=SubjectAttributes(
                subject_id=strawberry.ID(str(data["subject_id"])), alias=data["alias"],
                department=data.get("department"), high_impact=bool(data["high_impact"]),
                violations=int(data["violations"])))

        return await attempt(SetSubjectAttributesPayload, work)
