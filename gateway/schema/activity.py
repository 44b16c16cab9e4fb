"""Activity: a person's activity over time with the risk level scoring's explanations give
each one, the chart by day and level, the drill-down into one activity, a case's activity
and its content explorer (cases service), and the raw activity timeline, its aggregates and
the activity catalogue (ingest). Everything is pseudonymous: a person is an alias and a
subject id; ingest decides, from the caller's token, whether content (file names, paths,
subjects, URLs) is included."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gateway.clients import text_segment, uuid_segment
from gateway.context import Info
from gateway.schema.alerts import Alert, Severity, alert_gid
from gateway.schema.common import (
    Connection,
    build_connection,
    decode_id,
    iso_or_none,
    operation,
    page_size,
    parse_date,
    parse_datetime,
    person_segment,
    to_global_id,
)
from gateway.schema.people import Person, person_of
from gateway.schema.suppressions import ExclusionKind
from services.kit.pagination import encode_cursor

MAX_PAGE = 200  # the cases service's largest page
MAX_EVENTS_PAGE = 500  # ingest's largest page


# Enums -------------------------------------------------------------------------------------

@strawberry.enum(description="How risky an activity is, from the score rows that counted it "
                             "(docs/investigation.md).")
class ActivityRiskLevel(Enum):
    NONE = strawberry.enum_value("none", description="No score row counted it (or scoring "
                                                     "leaves it out: suppressed or benign).")
    LOW = strawberry.enum_value("low", description="Counted at the low threshold.")
    MEDIUM = strawberry.enum_value("medium", description="Counted at the medium threshold.")
    HIGH = strawberry.enum_value("high", description="Counted at the high threshold.")


@strawberry.enum(description="The reference product's activity categories (plus HR records).")
class ActivityCategory(Enum):
    ACCESS = strawberry.enum_value("access", description="Opening or reading something.")
    COLLECTION = strawberry.enum_value(
        "collection", description="Gathering data: downloads, syncs, archives.")
    DELETION = strawberry.enum_value("deletion", description="Deleting files.")
    EXFILTRATION = strawberry.enum_value(
        "exfiltration", description="Moving data out: USB, cloud, external mail, sharing.")
    INFILTRATION = strawberry.enum_value(
        "infiltration", description="Bringing data or risk in: uploads, risky sites.")
    OBFUSCATION = strawberry.enum_value(
        "obfuscation", description="Hiding what a file is: renames, label changes.")
    SECURITY = strawberry.enum_value(
        "security", description="Security signals: antivirus off, DLP, failed sign-ins.")
    HR = strawberry.enum_value("hr", description="HR records: resignation, termination, "
                                                 "reviews.")


@strawberry.enum(description="Where an activity comes from, as the reference product groups "
                             "its indicators.")
class ActivityGroup(Enum):
    OFFICE = strawberry.enum_value("office", description="SharePoint and OneDrive.")
    EMAIL = strawberry.enum_value("email", description="Exchange mail.")
    CHAT = strawberry.enum_value("chat", description="Teams chats and channels.")
    DEVICE = strawberry.enum_value("device", description="Endpoint devices.")
    RISKY_BROWSING = strawberry.enum_value("risky_browsing",
                                           description="Browsing to risky sites.")
    GENERATIVE_AI = strawberry.enum_value("generative_ai",
                                          description="Generative-AI assistants.")
    SECURITY = strawberry.enum_value("security", description="Security tools.")
    ENDPOINT_SECURITY = strawberry.enum_value("endpoint_security",
                                              description="Endpoint-security (EDR) alerts.")
    PHYSICAL_ACCESS = strawberry.enum_value("physical_access",
                                            description="Badging into physical assets.")
    HEALTH_RECORDS = strawberry.enum_value("health_records",
                                           description="Health-record (EHR) systems.")
    DLP = strawberry.enum_value("dlp", description="Data-loss-prevention rules.")
    HR = strawberry.enum_value("hr", description="HR systems.")


# ingest's activity catalogue (contracts/openapi/ingest.json, `ActivityType`); a test fails
# when the two differ. The GraphQL name is the value in capitals with `.` as `_`.
ACTIVITY_TYPES: tuple[tuple[str, str], ...] = (
    ("file.downloaded", "Downloaded a file from SharePoint or OneDrive."),
    ("file.synced", "Synced a file from SharePoint or OneDrive to a device."),
    ("file.copied", "Copied a file within SharePoint or OneDrive."),
    ("file.uploaded", "Uploaded a file to SharePoint or OneDrive."),
    ("file.shared_externally", "Shared a file or folder with someone outside the "
                               "organisation."),
    ("file.anonymous_link_created", "Created an anonymous (anyone) link to a file."),
    ("file.deleted", "Deleted a file from SharePoint or OneDrive."),
    ("file.renamed", "Renamed a file in SharePoint or OneDrive."),
    ("file.label_downgraded", "Replaced a file's sensitivity label with a lower one."),
    ("file.label_removed", "Removed a file's sensitivity label."),
    ("email.sent_external_with_attachment", "Sent an email with attachments outside the "
                                            "organisation."),
    ("email.sent_to_personal_address", "Sent an email to a personal address."),
    ("email.sent_with_attachment", "Sent an email with attachments; recipients unknown."),
    ("email.forwarding_rule_created", "Created an inbox rule that forwards or redirects "
                                      "mail."),
    ("chat.file_shared_externally", "Shared a file in a chat or channel with people outside "
                                    "the organisation."),
    ("chat.external_message", "Sent a chat message to someone outside the organisation."),
    ("device.file_copied_to_usb", "Copied a file to removable media."),
    ("device.file_printed", "Printed a file."),
    ("device.file_uploaded_from_browser", "Uploaded a file to a website from a browser."),
    ("device.file_uploaded_to_cloud", "Uploaded a file to a cloud service."),
    ("device.file_copied_to_network_share", "Copied a file to a network share."),
    ("device.file_copied_to_cloud_sync_folder", "Copied a file to a cloud sync folder."),
    ("device.file_archived", "Created an archive (zip, 7z, …) of files."),
    ("device.file_renamed", "Renamed a file on a device."),
    ("device.file_obfuscated", "Changed a file's extension or content type to hide what it "
                               "is."),
    ("device.file_deleted", "Deleted a file on a device."),
    ("device.remote_desktop_copy", "Copied a file over a remote-desktop session."),
    ("browsing.risky_site_visited", "Browsed to a site in a risky URL category."),
    ("ai.prompt_with_sensitive_info", "Entered sensitive information in a prompt to a "
                                      "generative-AI assistant."),
    ("ai.response_with_sensitive_info", "Received sensitive information in a generative-AI "
                                        "response."),
    ("ai.risky_prompt", "Sent a prompt that tries to bypass an assistant's safeguards "
                        "(jailbreak, injection)."),
    ("security.antivirus_disabled", "Turned off antivirus protection."),
    ("security.unwanted_software", "Installed or ran unwanted software."),
    ("security.defense_evasion", "Tried to evade security controls."),
    ("security.failed_sign_ins", "Repeated failed sign-ins."),
    ("endpoint_security.alert", "An endpoint-security (EDR) alert about the person's device."),
    ("physical.badge_succeeded", "Badged into a physical asset."),
    ("physical.badge_failed", "Failed to badge into a physical asset."),
    ("dlp.rule_match", "A data-loss-prevention rule matched the person's activity."),
    ("health.record_accessed", "Opened or changed a patient's health record in an EHR "
                               "system."),
    ("hr.resignation", "The person resigned or gave notice."),
    ("hr.termination", "The person's employment was terminated."),
    ("hr.job_level_change", "The person's job level changed."),
    ("hr.performance_review", "The person had a performance review."),
    ("hr.performance_improvement_plan", "The person was placed on a performance improvement "
                                        "plan."),
)

ActivityType = strawberry.enum(
    Enum("ActivityType", {value.replace(".", "_").upper():  # type: ignore[misc]
                          strawberry.enum_value(value, description=text)
                          for value, text in ACTIVITY_TYPES}),
    name="ActivityType",
    description="What a person did: ingest's activity catalogue (see `eventTypes` for each "
                "type's category, group and attributes).")


@strawberry.enum(description="What a content-explorer item is.")
class ContentKind(Enum):
    FILE = strawberry.enum_value("file", description="A file (name, path or site).")
    EMAIL = strawberry.enum_value("email", description="An email, by message or subject.")
    URL = strawberry.enum_value("url", description="A web address.")


@strawberry.enum(description="What kind of score row counted an activity.")
class ContributionKind(Enum):
    INDICATOR = strawberry.enum_value(
        "indicator", description="An indicator's daily count reached a threshold.")
    SEQUENCE = strawberry.enum_value(
        "sequence", description="A detected sequence of activities on the same files.")
    CUMULATIVE = strawberry.enum_value(
        "cumulative", description="Cumulative exfiltration above the organisation or peers.")


# Types -------------------------------------------------------------------------------------

def _policy_id(value: Any) -> strawberry.ID:
    return to_global_id("Policy", str(value))



@strawberry.type(description="A suppression rule or benign mark that covers an activity: it "
                             "stays on the timeline, marked, but scoring does not count it, so "
                             "its risk level is none.")
class ActivityExclusion:
    kind: ExclusionKind = strawberry.field(description="Suppression rule or benign mark.")
    suppression_id: strawberry.ID | None = strawberry.field(
        description="The suppression rule (kind SUPPRESSION), as scoring's REST API names it.")
    benign_mark_id: strawberry.ID | None = strawberry.field(
        description="The benign mark (kind BENIGN), as scoring's REST API names it.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ActivityExclusion:
        return cls(kind=ExclusionKind(data["kind"]),
                   suppression_id=_raw(data.get("suppression_id")),
                   benign_mark_id=_raw(data.get("benign_mark_id")))


def _raw(value: Any) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value else None


@strawberry.type(description="One thing a person did, with the risk level the score rows that "
                             "counted it give it.")
class PersonActivity:
    subject_key: strawberry.Private[str]
    event_id: str = strawberry.field(description="The activity's id at its source; pass it to "
                                                 "`activity(subjectId:, eventId:)`.")
    alias: str = strawberry.field(description="Alias of the person.")
    type: ActivityType = strawberry.field(  # type: ignore[valid-type]
        description="What was done.")
    category: ActivityCategory = strawberry.field(description="The activity's category.")
    group: ActivityGroup = strawberry.field(description="Where it comes from.")
    source: str = strawberry.field(description="The workload that recorded it (SharePoint, "
                                               "Exchange, MicrosoftTeams, Endpoint…).")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    attributes: JSON = strawberry.field(description=(
        "The activity's type-specific attributes as ingest stored them; without content "
        "(file names, paths, subjects, URLs) unless `contentVisible`."))
    content_visible: bool = strawberry.field(
        description="Whether the caller's role may see content, so `attributes` has it.")
    risk_level: ActivityRiskLevel = strawberry.field(
        description="The highest level of the score rows that counted it.")
    policy_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of the policies whose score counted it.")
    excluded: list[ActivityExclusion] = strawberry.field(
        description="The suppression rules and benign marks covering it.")

    @classmethod
    def fields_of(cls, data: dict[str, Any]) -> dict[str, Any]:
        return dict(
            subject_key=str(data["subject_id"]), event_id=str(data["id"]), alias=data["alias"],
            type=ActivityType(data["type"]), category=ActivityCategory(data["category"]),
            group=ActivityGroup(data["group"]), source=str(data["source"]),
            occurred_at=parse_datetime(data["occurred_at"]),
            attributes=data.get("attributes") or {},
            content_visible=bool(data.get("content_visible")),
            risk_level=ActivityRiskLevel(data["risk_level"]),
            policy_ids=[_policy_id(p) for p in data.get("policies") or []],
            excluded=[ActivityExclusion.from_service(e) for e in data.get("excluded") or []])

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PersonActivity:
        return cls(**cls.fields_of(data))

    @strawberry.field(description="The person, pseudonymous unless revealed to the caller.",
                      metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.subject_key, self.alias)


@strawberry.type(description="A score row that counted an activity.")
class ActivityContribution:
    policy_id: strawberry.ID = strawberry.field(description="Global id of the policy.")
    policy_name: str = strawberry.field(description="Name of the policy.")
    kind: ContributionKind = strawberry.field(description="Indicator, sequence or cumulative.")
    key: str = strawberry.field(description="The indicator, sequence or cumulative scope "
                                            "(org or peers).")
    day: date | None = strawberry.field(description="The UTC day of an indicator row.")
    level: ActivityRiskLevel = strawberry.field(
        description="The level this row gives the activity.")
    points: int = strawberry.field(description="Points the row adds to the score.")
    alert_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of the alerts whose explanation holds the row.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ActivityContribution:
        return cls(policy_id=_policy_id(data["policy_id"]), policy_name=data["policy_name"],
                   kind=ContributionKind(data["kind"]), key=data["key"],
                   day=parse_date(data.get("day")), level=ActivityRiskLevel(data["level"]),
                   points=int(data["points"]),
                   alert_ids=[alert_gid(a) for a in data.get("alert_ids") or []])


@strawberry.type(description="One activity in depth: the score rows that counted it and the "
                             "alerts it fed.")
class ActivityDetail(PersonActivity):
    contributions: list[ActivityContribution] = strawberry.field(
        description="The score rows that counted it, by policy, kind and key.")
    alerts: list[Alert] = strawberry.field(
        description="The alerts it fed, under every policy.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ActivityDetail:
        return cls(**cls.fields_of(data),
                   contributions=[ActivityContribution.from_service(c)
                                  for c in data.get("contributions") or []],
                   alerts=[Alert.from_service(a) for a in data.get("alerts") or []])


@strawberry.type(description="How many activities of a day are at one risk level.")
class RiskLevelCount:
    level: ActivityRiskLevel = strawberry.field(description="The risk level.")
    count: int = strawberry.field(description="Activities at that level.")


@strawberry.type(description="The points a policy's latest explanation gives a day.")
class PolicyDayPoints:
    policy_id: strawberry.ID = strawberry.field(description="Global id of the policy.")
    points: int = strawberry.field(description="Points for the day.")


@strawberry.type(description="One UTC day of the activity chart.")
class ActivityChartDay:
    day: date = strawberry.field(description="The UTC day.")
    counts: list[RiskLevelCount] = strawberry.field(
        description="Activities of the day at each level, none to high (every level listed).")
    total: int = strawberry.field(description="Activities of the day.")
    scores: list[PolicyDayPoints] = strawberry.field(
        description="Per policy that gives the day points, the points.")


@strawberry.type(description="A policy that explains some of the person's activity.")
class ActivityChartPolicy:
    policy_id: strawberry.ID = strawberry.field(description="Global id of the policy.")
    policy_name: str = strawberry.field(description="Name of the policy.")
    score: int | None = strawberry.field(
        description="The person's current score under it; null when only alerts explain it.")
    severity: Severity | None = strawberry.field(description="Severity of that score.")


@strawberry.type(description="A person's activity per UTC day and risk level, with each "
                             "policy's points per day.")
class ActivityChart:
    since: datetime = strawberry.field(description="Start of the window (inclusive).")
    until: datetime = strawberry.field(description="End of the window (exclusive).")
    days: list[ActivityChartDay] = strawberry.field(
        description="Every UTC day of the window, oldest first.")
    policies: list[ActivityChartPolicy] = strawberry.field(
        description="The policies whose explanations give the points.")
    total: int = strawberry.field(description="Activities in the window.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ActivityChart:
        def day(d: dict[str, Any]) -> ActivityChartDay:
            counts = d.get("counts") or {}
            return ActivityChartDay(
                day=date.fromisoformat(d["day"]),
                counts=[RiskLevelCount(level=lv, count=int(counts.get(lv.value, 0)))
                        for lv in ActivityRiskLevel],
                total=int(d["total"]),
                scores=[PolicyDayPoints(policy_id=_policy_id(s["policy_id"]),
                                        points=int(s["points"])) for s in d.get("scores") or []])

        return cls(
            since=parse_datetime(data["since"]), until=parse_datetime(data["until"]),
            days=[day(d) for d in data.get("days") or []],
            policies=[ActivityChartPolicy(
                policy_id=_policy_id(p["policy_id"]), policy_name=p["policy_name"],
                score=p.get("score"),
                severity=Severity(p["severity"]) if p.get("severity") else None)
                for p in data.get("policies") or []],
            total=int(data["total"]))


@strawberry.type(description="A file, email or URL the case's person's activity involved, "
                             "once however often.")
class ContentItem:
    kind: ContentKind = strawberry.field(description="File, email or URL.")
    key: str = strawberry.field(description="The item's identity, stable within the list.")
    name: str = strawberry.field(description="File name, email subject or URL.")
    location: str | None = strawberry.field(description="Path, site or domain, where known.")
    sources: list[str] = strawberry.field(description="Workloads it was seen in.")
    file_type: str | None = strawberry.field(description="File extension, lower case.")
    labels: list[str] = strawberry.field(description="Sensitivity labels seen on it.")
    conversation: str | None = strawberry.field(
        description="Conversation or thread it belongs to; pass it to `conversation:`.")
    activity_types: list[ActivityType] = strawberry.field(  # type: ignore[valid-type]
        description="What was done with it.")
    count: int = strawberry.field(description="How many activities involved it.")
    first_seen: datetime = strawberry.field(description="First activity involving it.")
    last_seen: datetime = strawberry.field(description="Latest activity involving it.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ContentItem:
        return cls(kind=ContentKind(data["kind"]), key=data["key"], name=data["name"],
                   location=data.get("location"), sources=list(data.get("sources") or []),
                   file_type=data.get("file_type"), labels=list(data.get("labels") or []),
                   conversation=data.get("conversation"),
                   activity_types=[ActivityType(t) for t in data.get("activity_types") or []],
                   count=int(data["count"]), first_seen=parse_datetime(data["first_seen"]),
                   last_seen=parse_datetime(data["last_seen"]))


@strawberry.type(description="One activity as ingest stored it (no risk level: see "
                             "`personActivity` for that).")
class ActivityEvent:
    subject_key: strawberry.Private[str]
    event_id: str = strawberry.field(description="The activity's id at its source.")
    alias: str = strawberry.field(description="Alias of the person.")
    type: ActivityType = strawberry.field(  # type: ignore[valid-type]
        description="What was done.")
    category: ActivityCategory = strawberry.field(description="The activity's category.")
    group: ActivityGroup = strawberry.field(description="Where it comes from.")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    received_at: datetime = strawberry.field(description="When ingest stored it.")
    source: str = strawberry.field(description="The source that sent it (a connector or "
                                               "`api`).")
    attributes: JSON = strawberry.field(description=(
        "Type-specific attributes; without content (file names, paths, subjects, URLs, "
        "remarks) unless `contentVisible`."))
    content_visible: bool = strawberry.field(
        description="Whether the caller's role may see content.")
    original: JSON | None = strawberry.field(description=(
        "The source record as received; null unless the caller may see content."))

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ActivityEvent:
        return cls(subject_key=str(data["subject_id"]), event_id=str(data["id"]),
                   alias=data["alias"], type=ActivityType(data["type"]),
                   category=ActivityCategory(data["category"]),
                   group=ActivityGroup(data["group"]),
                   occurred_at=parse_datetime(data["occurred_at"]),
                   received_at=parse_datetime(data["received_at"]), source=data["source"],
                   attributes=data.get("attributes") or {},
                   content_visible=bool(data.get("content_visible")),
                   original=data.get("original"))

    @strawberry.field(description="The person, pseudonymous unless revealed to the caller.",
                      metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.subject_key, self.alias)


@strawberry.type(description="How many activities of one category a UTC day has.")
class CategoryDayCount:
    day: date = strawberry.field(description="The UTC day.")
    category: ActivityCategory = strawberry.field(description="The category.")
    count: int = strawberry.field(description="Activities.")


@strawberry.type(description="How many activities of one category.")
class CategoryCount:
    category: ActivityCategory = strawberry.field(description="The category.")
    count: int = strawberry.field(description="Activities.")


@strawberry.type(description="How many activities of one type.")
class TypeCount:
    type: ActivityType = strawberry.field(  # type: ignore[valid-type]
        description="The activity type.")
    count: int = strawberry.field(description="Activities.")


@strawberry.type(description="A person's activity counted per day and category, and in total "
                             "per category and type, for charts.")
class ActivitySummary:
    since: datetime = strawberry.field(description="Start of the window (inclusive).")
    until: datetime = strawberry.field(description="End of the window (exclusive).")
    days: list[CategoryDayCount] = strawberry.field(
        description="Per UTC day and category (days without activity left out), oldest first.")
    by_category: list[CategoryCount] = strawberry.field(
        description="Totals per category, most first.")
    by_type: list[TypeCount] = strawberry.field(description="Totals per type, most first.")
    total: int = strawberry.field(description="Activities in the window.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ActivitySummary:
        def ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
            return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

        return cls(
            since=parse_datetime(data["since"]), until=parse_datetime(data["until"]),
            days=[CategoryDayCount(day=date.fromisoformat(d["day"]),
                                   category=ActivityCategory(d["category"]),
                                   count=int(d["count"])) for d in data.get("days") or []],
            by_category=[CategoryCount(category=ActivityCategory(k), count=n)
                         for k, n in ranked(data.get("by_category") or {})],
            by_type=[TypeCount(type=ActivityType(k), count=n)
                     for k, n in ranked(data.get("by_type") or {})],
            total=int(data["total"]))


@strawberry.type(description="An attribute whose values are limited, and the values allowed.")
class AttributeChoices:
    attribute: str = strawberry.field(description="The attribute.")
    values: list[str] = strawberry.field(description="The values it may take.")


@strawberry.type(description="An activity type ingest accepts, and what an event of it "
                             "carries.")
class ActivityTypeInfo:
    type: ActivityType = strawberry.field(  # type: ignore[valid-type]
        description="The type.")
    category: ActivityCategory = strawberry.field(description="Its category.")
    group: ActivityGroup = strawberry.field(description="Its indicator group.")
    description: str = strawberry.field(description="What it means.")
    required_attributes: list[str] = strawberry.field(
        description="Attributes an event of this type must carry.")
    choices: list[AttributeChoices] = strawberry.field(
        description="Attributes limited to a set of values.")
    date_attributes: list[str] = strawberry.field(
        description="Attributes that must be ISO 8601 dates.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ActivityTypeInfo:
        return cls(type=ActivityType(data["type"]),
                   category=ActivityCategory(data["category"]),
                   group=ActivityGroup(data["group"]), description=data["description"],
                   required_attributes=list(data.get("required_attributes") or []),
                   choices=[AttributeChoices(attribute=k, values=list(v))
                            for k, v in sorted((data.get("choices") or {}).items())],
                   date_attributes=list(data.get("date_attributes") or []))


# REST calls --------------------------------------------------------------------------------


def _values(items: list[Any] | None) -> list[str] | None:
    return [i.value for i in items] if items else None


def activity_cursor(item: dict[str, Any]) -> str:
    """The cursor that resumes after an activity: the [occurred_at, id] keyset ingest, the
    cases service and activity reports all use (newest first)."""
    return encode_cursor([item["occurred_at"], item["id"]])


def _content_cursor(item: dict[str, Any]) -> str:
    return encode_cursor([item["last_seen"], item["key"]])


ActivityFilters = dict[str, Any]


def _filters(since: datetime | None, until: datetime | None,
             risk_levels: list[ActivityRiskLevel] | None,
             categories: list[ActivityCategory] | None, types: list[Any] | None,
             after: str | None, first: int) -> ActivityFilters:
    return {"from": iso_or_none(since), "to": iso_or_none(until),
            "risk_level": _values(risk_levels),
            "category": _values(categories), "type": _values(types), "cursor": after,
            "limit": page_size(first, MAX_PAGE)}


async def case_activity_of(info: Info, case_key: str, *, since: datetime | None = None,
                           until: datetime | None = None,
                           risk_levels: list[ActivityRiskLevel] | None = None,
                           categories: list[ActivityCategory] | None = None,
                           types: list[Any] | None = None, first: int = 50,
                           after: str | None = None) -> Connection[PersonActivity]:
    """A case's activity (cases:activity); also meant for a `Case.activity` field."""
    params = _filters(since, until, risk_levels, categories, types, after, first)
    seg = uuid_segment(case_key, "caseId")
    page = await info.context.services.call("cases", "GET", f"/cases/{seg}/activity",
                                            params=params)
    return build_connection(page["items"], page.get("next_cursor"),
                            PersonActivity.from_service, activity_cursor, after=after)


async def case_content_of(info: Info, case_key: str, *, source: str | None = None,
                          file_type: str | None = None, label: str | None = None,
                          conversation: str | None = None, kind: ContentKind | None = None,
                          first: int = 50, after: str | None = None
                          ) -> Connection[ContentItem]:
    """A case's content explorer (cases:content); also meant for a `Case.content` field."""
    seg = uuid_segment(case_key, "caseId")
    page = await info.context.services.call("cases", "GET", f"/cases/{seg}/content", params={
        "source": source, "file_type": file_type, "label": label,
        "conversation": conversation, "kind": kind.value if kind else None, "cursor": after,
        "limit": page_size(first, MAX_PAGE)})
    return build_connection(page["items"], page.get("next_cursor"), ContentItem.from_service,
                            _content_cursor, after=after)


# Arguments shared by the activity lists.
Since = Annotated[datetime | None, strawberry.argument(
    description="Start of the window (inclusive, with a UTC offset); default 30 days before "
                "`until`.")]
Until = Annotated[datetime | None, strawberry.argument(
    description="End of the window (exclusive, with a UTC offset); default now.")]
Levels = Annotated[list[ActivityRiskLevel] | None, strawberry.argument(
    description="Only activities at these risk levels (a page may then be short and still "
                "have a next page: one request reads at most 5,000 activities).")]
Categories = Annotated[list[ActivityCategory] | None, strawberry.argument(
    description="Only activities of these categories.")]
Types = Annotated[list[ActivityType] | None,  # type: ignore[valid-type]
                  strawberry.argument(description="Only activities of these types.")]
First = Annotated[int, strawberry.argument(description=f"Page size, 1 to {MAX_PAGE}.")]
After = Annotated[str | None, strawberry.argument(
    description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
SubjectId = Annotated[strawberry.ID, strawberry.argument(
    description="The person: their global id (or subject id).")]
CaseId = Annotated[strawberry.ID, strawberry.argument(description="The case's id.")]
# The content explorer's filters.
Source = Annotated[str | None, strawberry.argument(
    description="Only items seen in this workload, e.g. SharePoint, Exchange, Endpoint (any "
                "case).")]
FileType = Annotated[str | None, strawberry.argument(
    description="Only files with this extension, e.g. docx.")]
Label = Annotated[str | None, strawberry.argument(
    description="Only items with this sensitivity label (any case).")]
Conversation = Annotated[str | None, strawberry.argument(
    description="Only items of this conversation (an item's `conversation`).")]
Kind = Annotated[ContentKind | None, strawberry.argument(
    description="Only files, emails or URLs.")]


@strawberry.type
class ActivityQuery:
    @strawberry.field(description="A person's activities, newest first, each with its risk "
                                  "level (Analysts and Investigators; content for "
                                  "Investigators only).",
                      metadata=operation("people_activity:list"))
    async def person_activity(
        self, info: Info, subject_id: SubjectId, since: Since = None, until: Until = None,
        risk_levels: Levels = None, categories: Categories = None, types: Types = None,
        first: First = 50, after: After = None,
    ) -> Connection[PersonActivity]:
        seg = person_segment(subject_id)
        params = _filters(since, until, risk_levels, categories, types, after, first)
        page = await info.context.services.call("cases", "GET", f"/people/{seg}/activity",
                                                params=params)
        return build_connection(page["items"], page.get("next_cursor"),
                                PersonActivity.from_service, activity_cursor, after=after)

    @strawberry.field(description="A person's activities per UTC day and risk level, with "
                                  "each policy's points per day (a window of at most 90 "
                                  "days; Analysts and Investigators).",
                      metadata=operation("people_activity:chart"))
    async def person_activity_chart(
        self, info: Info, subject_id: SubjectId, since: Since = None, until: Until = None,
    ) -> ActivityChart:
        seg = person_segment(subject_id)
        data = await info.context.services.call(
            "cases", "GET", f"/people/{seg}/activity/chart",
            params={"from": iso_or_none(since), "to": iso_or_none(until)})
        return ActivityChart.from_service(data)

    @strawberry.field(description="One of a person's activities with the score rows that "
                                  "counted it and the alerts it fed (drill-down).",
                      metadata=operation("people_activity:get"))
    async def activity(
        self, info: Info, subject_id: SubjectId,
        event_id: Annotated[str, strawberry.argument(
            description="The activity's `eventId`.")],
    ) -> ActivityDetail:
        seg = person_segment(subject_id)
        data = await info.context.services.call(
            "cases", "GET", f"/people/{seg}/activity/{text_segment(event_id, 'eventId')}")
        return ActivityDetail.from_service(data)

    @strawberry.field(description="The activity of a case's person, newest first; the window "
                                  "defaults to the case window (its alerts' activity "
                                  "windows). Analysts and Investigators, never case viewers.",
                      metadata=operation("cases:activity"))
    async def case_activity(
        self, info: Info, case_id: CaseId, since: Since = None, until: Until = None,
        risk_levels: Levels = None, categories: Categories = None, types: Types = None,
        first: First = 50, after: After = None,
    ) -> Connection[PersonActivity]:
        return await case_activity_of(
            info, decode_id(case_id, "Case", "caseId"), since=since, until=until,
            risk_levels=risk_levels, categories=categories, types=types, first=first,
            after=after)

    @strawberry.field(description="The content explorer of a case (Investigators only; a "
                                  "refusal is audited): the files, emails and URLs of the "
                                  "person's activity in the case window, most recently seen "
                                  "first.",
                      metadata=operation("cases:content"))
    async def case_content(
        self, info: Info, case_id: CaseId,
        source: Source = None, file_type: FileType = None, label: Label = None,
        conversation: Conversation = None, kind: Kind = None, first: First = 50,
        after: After = None,
    ) -> Connection[ContentItem]:
        return await case_content_of(
            info, decode_id(case_id, "Case", "caseId"), source=source, file_type=file_type,
            label=label, conversation=conversation, kind=kind, first=first, after=after)

    @strawberry.field(description="A person's activities as ingest stored them, newest first, "
                                  "without risk levels (a window of at most 400 days; "
                                  "Analysts and Investigators; content for Investigators "
                                  "only).",
                      metadata=operation("activity:list"))
    async def activity_events(
        self, info: Info, subject_id: SubjectId, since: Since = None, until: Until = None,
        categories: Categories = None, types: Types = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_EVENTS_PAGE}.")] = 100,
        after: After = None,
    ) -> Connection[ActivityEvent]:
        subject = person_segment(subject_id)
        page = await info.context.services.call("ingest", "GET", "/activity", params={
            "subject_id": subject, "since": iso_or_none(since), "until": iso_or_none(until),
            "category": _values(categories), "type": _values(types), "cursor": after,
            "limit": page_size(first, MAX_EVENTS_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"),
                                ActivityEvent.from_service, activity_cursor, after=after)

    @strawberry.field(description="A person's activity counted per UTC day and category and "
                                  "in total per category and type (a window of at most 400 "
                                  "days; Analysts and Investigators).",
                      metadata=operation("activity:summary"))
    async def activity_summary(
        self, info: Info, subject_id: SubjectId, since: Since = None, until: Until = None,
    ) -> ActivitySummary:
        subject = person_segment(subject_id)
        data = await info.context.services.call("ingest", "GET", "/activity/summary", params={
            "subject_id": subject, "since": iso_or_none(since), "until": iso_or_none(until)})
        return ActivitySummary.from_service(data)

    @strawberry.field(description="One of a person's activities as ingest stored it (content "
                                  "and the original record for Investigators only).",
                      metadata=operation("activity:get"))
    async def activity_event(
        self, info: Info, subject_id: SubjectId,
        event_id: Annotated[str, strawberry.argument(
            description="The activity's `eventId`.")],
    ) -> ActivityEvent:
        subject = person_segment(subject_id)
        data = await info.context.services.call(
            "ingest", "GET", f"/activity/{text_segment(event_id, 'eventId')}",
            params={"subject_id": subject})
        return ActivityEvent.from_service(data)

    @strawberry.field(description="The activity catalogue: every type ingest accepts with its "
                                  "category, group and attributes (Admins, who send "
                                  "activity).",
                      metadata=operation("events:types"))
    async def event_types(self, info: Info) -> list[ActivityTypeInfo]:
        data = await info.context.services.call("ingest", "GET", "/events/types")
        return [ActivityTypeInfo.from_service(t) for t in data]


# For the Case type (another module's): `Case.activity` and `Case.content`, to be declared
# there as
#   activity: Connection[PersonActivity] = strawberry.field(
#       resolver=case_activity_field, description=CASE_ACTIVITY,
#       metadata=operation("cases:activity"))
#   content: Connection[ContentItem] = strawberry.field(
#       resolver=case_content_field, description=CASE_CONTENT,
#       metadata=operation("cases:content"))
# `root` is the Case; its `key` is the case's id.

CASE_ACTIVITY = ("The activity of the case's person, newest first; the window defaults to the "
                 "case window. Analysts and Investigators, never case viewers.")
CASE_CONTENT = ("The content explorer: the files, emails and URLs of the person's activity in "
                "the case window (Investigators only; a refusal is audited).")


async def case_activity_field(
    root: Any, info: Info, since: Since = None, until: Until = None,
    risk_levels: Levels = None, categories: Categories = None, types: Types = None,
    first: First = 50, after: After = None,
) -> Connection[PersonActivity]:
    return await case_activity_of(info, str(root.key), since=since, until=until,
                                  risk_levels=risk_levels, categories=categories, types=types,
                                  first=first, after=after)


async def case_content_field(
    root: Any, info: Info,
    source: Source = None, file_type: FileType = None, label: Label = None,
    conversation: Conversation = None, kind: Kind = None, first: First = 50,
    after: After = None,
) -> Connection[ContentItem]:
    return await case_content_of(info, str(root.key), source=source, file_type=file_type,
                                 label=label, conversation=conversation, kind=kind,
                                 first=first, after=after)
