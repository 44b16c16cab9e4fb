"""Alerts: a person's risk score under a policy crossed its threshold; triage them here."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gateway.clients import uuid_segment
from gateway.context import Info, forget
from gateway.schema.cases import Case, CaseStatus, case_by_id
from gateway.schema.common import (
    INPUT,
    Connection,
    Node,
    build_connection,
    decode_id,
    keyset_cursor,
    list_connection,
    node_resolver,
    operation,
    page_size,
    parse_date,
    parse_datetime,
    parse_optional_datetime,
    person_segment,
    to_global_id,
)
from gateway.schema.payloads import Payload, attempt
from gateway.schema.people import Person, person_of
from gateway.schema.policies import Policy
from services.kit.pagination import encode_cursor

MAX_PAGE = 200


@strawberry.enum(description="Where an alert is in triage.")
class AlertStatus(Enum):
    NEEDS_REVIEW = strawberry.enum_value("needs_review", description="Waiting for triage.")
    CONFIRMED = strawberry.enum_value("confirmed", description="Confirmed into a case.")
    DISMISSED = strawberry.enum_value("dismissed", description="Dismissed with a reason.")
    RESOLVED = strawberry.enum_value("resolved", description="Its case was closed.")


@strawberry.enum(description="How serious an alert is, from its risk score (high from 70, "
                             "medium from 40).")
class Severity(Enum):
    LOW = strawberry.enum_value("low", description="Score below 40.")
    MEDIUM = strawberry.enum_value("medium", description="Score 40 to 69.")
    HIGH = strawberry.enum_value("high", description="Score 70 or more.")


@strawberry.enum(description="Why an alert was dismissed.")
class DismissReason(Enum):
    FALSE_POSITIVE = strawberry.enum_value(
        "false_positive", description="The activity was not what the indicators suggest.")
    EXPECTED_ACTIVITY = strawberry.enum_value(
        "expected_activity", description="The activity is expected for this person's work.")
    INSUFFICIENT_EVIDENCE = strawberry.enum_value(
        "insufficient_evidence", description="Not enough evidence to act on.")
    OTHER = strawberry.enum_value("other", description="Another reason (see the comment).")


@strawberry.enum(description="The threshold level an indicator's daily count reached.")
class ThresholdLevel(Enum):
    LOW = strawberry.enum_value("low", description="Low threshold met (10 points).")
    MEDIUM = strawberry.enum_value("medium", description="Medium threshold met (20 points).")
    HIGH = strawberry.enum_value("high", description="High threshold met (35 points).")


def _level(value: Any) -> ThresholdLevel | None:
    try:
        return ThresholdLevel(value)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@strawberry.type(description="One part of a risk score: an indicator's count on one day, a "
                             "detected sequence, a cumulative-exfiltration standing, a booster "
                             "or the cap at 100, with the points it adds.")
class ScoreContribution:
    kind: str = strawberry.field(description="indicator, sequence, cumulative, booster or cap.")
    indicator: str | None = strawberry.field(description="Indicator key (kind indicator).")
    day: date | None = strawberry.field(description="The day the activity was counted on.")
    count: int | None = strawberry.field(description="How many times it happened that day.")
    weighted_count: int | None = strawberry.field(description=(
        "The count with priority-content and unallowed-domain events counted twice."))
    bytes: float | None = strawberry.field(description="Bytes moved that day.")
    priority_count: int | None = strawberry.field(description="Events on priority content.")
    unallowed_count: int | None = strawberry.field(description="Events to unallowed domains.")
    level: ThresholdLevel | None = strawberry.field(description="The threshold level reached.")
    sequence: str | None = strawberry.field(description="Sequence key (kind sequence).")
    file_count: int | None = strawberry.field(description="Files the sequence was seen on.")
    scope: str | None = strawberry.field(description="org or peers (kind cumulative).")
    percentile: float | None = strawberry.field(description="The person's percentile.")
    booster: str | None = strawberry.field(description="Booster key (kind booster).")
    percent: int | None = strawberry.field(description="The booster's share of the base.")
    points: int = strawberry.field(description="Points this contribution adds to the score.")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScoreContribution:
        number = data.get("bytes")
        pct = data.get("percentile")
        return cls(kind=str(data.get("kind") or "indicator"), indicator=data.get("indicator"),
                   day=parse_date(data.get("day")), count=_int(data.get("count")),
                   weighted_count=_int(data.get("weighted_count")),
                   bytes=float(number) if _int(number) is not None else None,
                   priority_count=_int(data.get("priority_count")),
                   unallowed_count=_int(data.get("unallowed_count")),
                   level=_level(data.get("level")), sequence=data.get("sequence"),
                   file_count=_int(data.get("file_count")), scope=data.get("scope"),
                   percentile=float(pct) if isinstance(pct, int | float) else None,
                   booster=data.get("booster"), percent=_int(data.get("percent")),
                   points=_int(data.get("points")) or 0)


@strawberry.type(description="The triggering event that brought the person into scope.")
class ScoreTrigger:
    kind: str = strawberry.field(description="Triggering event kind, e.g. hr.resignation.")
    day: date | None = strawberry.field(description="The day it takes effect.")
    event_id: str | None = strawberry.field(description="The activity event it came from.")


@strawberry.type(description="Exactly why an alert has its score: the contributions that add "
                             "up to it, and the window they were counted in.")
class AlertExplanation:
    contributions: list[ScoreContribution] = strawberry.field(
        description="The contributions, by day then indicator.")
    trigger: ScoreTrigger | None = strawberry.field(
        description="The triggering event of the scoring window.")
    window_start: date | None = strawberry.field(description="First day of the window.")
    window_end: date | None = strawberry.field(description="Last day of the window.")
    alert_threshold: int | None = strawberry.field(
        description="The policy's alert threshold when the score was computed.")
    template: str | None = strawberry.field(description="The policy's template.")
    formula: str | None = strawberry.field(description="How the contributions add up.")
    base: int | None = strawberry.field(description="Points before boosters.")
    risk_factors: list[str] = strawberry.field(description=(
        "The risk factors present: cumulative_exfiltration, priority_content, sequence, "
        "unallowed_domains, priority_group, high_impact_person."))
    settings_version: int | None = strawberry.field(
        description="The global settings version the score was computed with.")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlertExplanation:
        trigger = data.get("trigger") if isinstance(data.get("trigger"), dict) else None
        window = data.get("window") if isinstance(data.get("window"), dict) else {}
        contributions = [c for c in data.get("contributions") or [] if isinstance(c, dict)]
        return cls(
            contributions=[ScoreContribution.from_json(c) for c in contributions],
            trigger=ScoreTrigger(kind=str(trigger.get("kind", "")),
                                 day=parse_date(trigger.get("day")),
                                 event_id=trigger.get("event_id")) if trigger else None,
            window_start=parse_date(window.get("start")),
            window_end=parse_date(window.get("end")),
            alert_threshold=_int(data.get("alert_threshold")),
            template=data.get("template"), formula=data.get("formula"),
            base=_int(data.get("base")),
            risk_factors=[str(f) for f in data.get("risk_factors") or []],
            settings_version=_int(data.get("settings_version")))


@strawberry.enum(description="A risk factor an alert carries, derived from its explanation "
                             "(filter the queue by them).")
class RiskFactor(Enum):
    CUMULATIVE_EXFILTRATION = strawberry.enum_value(
        "cumulative_exfiltration", description="A cumulative-exfiltration contribution.")
    SEQUENCE = strawberry.enum_value("sequence", description="A detected sequence.")
    PRIORITY_CONTENT = strawberry.enum_value(
        "priority_content", description="Some counted event touched priority content.")
    UNALLOWED_DOMAINS = strawberry.enum_value(
        "unallowed_domains", description="Some counted event went to an unallowed domain.")
    ABOVE_USUAL_ACTIVITY = strawberry.enum_value(
        "above_usual_activity", description="The above-usual-activity booster applied.")
    PRIORITY_GROUP = strawberry.enum_value(
        "priority_group", description="The person is in a priority user group.")
    HIGH_IMPACT_PERSON = strawberry.enum_value(
        "high_impact_person", description="The person is a potential high-impact user.")
    PREVIOUS_VIOLATION = strawberry.enum_value(
        "previous_violation", description="The previous-violation booster applied.")


@strawberry.enum(description="What the alert queue is sorted by.")
class AlertSort(Enum):
    DETECTED = strawberry.enum_value("detected", description="Detection time (the default).")
    SEVERITY = strawberry.enum_value("severity", description="Severity, then detection time.")
    SCORE = strawberry.enum_value("score", description="Risk score, then detection time.")
    PRIORITY = strawberry.enum_value(
        "priority", description="The triage assistant's priority (it moves with the SLA; "
                                "every page of one walk sorts by the values of its first).")
    SLA_DUE = strawberry.enum_value(
        "sla_due", description="Triage SLA due time (ascending by default: soonest first).")


@strawberry.enum(description="Sort direction.")
class SortOrder(Enum):
    ASC = strawberry.enum_value("asc", description="Smallest (or earliest) first.")
    DESC = strawberry.enum_value("desc", description="Largest (or latest) first.")


@strawberry.enum(description="The width of one point of a chart over time.")
class Bucket(Enum):
    DAY = strawberry.enum_value("day", description="One point per UTC day.")
    WEEK = strawberry.enum_value("week", description="One point per week, from Monday (UTC).")


@strawberry.enum(description="A part of an alert's triage priority.")
class PriorityComponentName(Enum):
    SEVERITY = strawberry.enum_value("severity", description="High 30, medium 18, low 6.")
    SCORE = strawberry.enum_value("score", description="The score divided by 4 (0 to 25).")
    PRIORITY_CONTENT = strawberry.enum_value(
        "priority_content", description="8 with the priority-content risk factor.")
    SEQUENCE = strawberry.enum_value("sequence", description="8 with the sequence risk factor.")
    EXFILTRATION = strawberry.enum_value(
        "exfiltration", description="4 with cumulative exfiltration or unallowed domains.")
    RELATED_ALERTS = strawberry.enum_value(
        "related_alerts", description="3 per other alert about the person, at most 10.")
    SLA = strawberry.enum_value(
        "sla", description="For open alerts, 15 times the share of the SLA elapsed (0 to 15).")


@strawberry.type(description="One part of an alert's triage priority and its points.")
class PriorityComponent:
    name: PriorityComponentName = strawberry.field(description="Which part.")
    points: int = strawberry.field(description="Points it adds to the priority.")
    detail: str = strawberry.field(description="Why, in a few words.")


@strawberry.enum(description="What a change of an alert was.")
class AlertChange(Enum):
    CREATED = strawberry.enum_value("created", description="The alert was raised.")
    UPDATED = strawberry.enum_value(
        "updated", description="New activity, sent for review, triaged or resolved.")


def alert_gid(value: Any) -> strawberry.ID:
    """An alert's global id from its REST id."""
    return to_global_id("Alert", str(value))


@strawberry.type(description="The alert as it stood after one change, from the alert change "
                             "log.")
class AlertVersion:
    change_id: int = strawberry.field(description="The change's number in the change log.")
    change: AlertChange = strawberry.field(description="Raised, or updated.")
    status: AlertStatus = strawberry.field(description="Status after the change.")
    severity: Severity = strawberry.field(description="Severity after the change.")
    score: int = strawberry.field(description="Risk score after the change.")
    case_key: strawberry.Private[str | None]
    reviewer_account_id: strawberry.ID | None = strawberry.field(
        description="The staff account it was sent to for review, after the change.")
    changed_at: datetime = strawberry.field(description="When the change was made.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> AlertVersion:
        reviewer = data.get("reviewer_id")
        return cls(change_id=int(data["change_id"]), change=AlertChange(data["operation"]),
                   status=AlertStatus(data["status"]), severity=Severity(data["severity"]),
                   score=int(data["score"]),
                   case_key=str(data["case_id"]) if data.get("case_id") else None,
                   reviewer_account_id=strawberry.ID(str(reviewer)) if reviewer else None,
                   changed_at=parse_datetime(data["changed_at"]))

    @strawberry.field(description="The case the alert was in after the change, if any.",
                      metadata=operation("cases:get"))
    async def case(self, info: Info) -> Case | None:
        return await case_by_id(info, self.case_key) if self.case_key else None


@strawberry.type(description="Another alert about the same person, in brief.")
class RelatedAlert:
    alert_id: strawberry.ID = strawberry.field(
        description="The alert's global id (fetch it with `alert(id:)` or `node(id:)`).")
    status: AlertStatus = strawberry.field(description="Where it is in triage.")
    severity: Severity = strawberry.field(description="Its severity.")
    score: int = strawberry.field(description="Its risk score.")
    detected_at: datetime = strawberry.field(description="When it was detected.")
    case_key: strawberry.Private[str | None]

    @strawberry.field(description="The case it was confirmed into, if any.",
                      metadata=operation("cases:get"))
    async def case(self, info: Info) -> Case | None:
        return await case_by_id(info, self.case_key) if self.case_key else None


@strawberry.type(description="The person's other alerts under one policy with one status.")
class RelatedAlertGroup:
    policy_key: strawberry.Private[str]
    policy_name: str = strawberry.field(description="The policy's name.")
    status: AlertStatus = strawberry.field(description="The status the group's alerts have.")
    alerts: list[RelatedAlert] = strawberry.field(description="The alerts, newest first.")

    @strawberry.field(description="The policy that raised them.",
                      metadata=operation("policies:get"))
    async def policy(self, info: Info) -> Policy | None:
        return Policy.from_service(await info.context.loaders.policy.load(self.policy_key))


@strawberry.type(description="The same person's other alerts under every policy (up to 500), "
                             "grouped by policy and status.")
class RelatedAlerts:
    subject_id: strawberry.ID = strawberry.field(description="The person's subject id.")
    alias: str = strawberry.field(description="The person's alias.")
    total: int = strawberry.field(description="How many other alerts there are.")
    groups: list[RelatedAlertGroup] = strawberry.field(description="The alerts, by group.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> RelatedAlerts:
        return cls(
            subject_id=strawberry.ID(str(data["subject_id"])), alias=data["alias"],
            total=int(data["total"]),
            groups=[RelatedAlertGroup(
                policy_key=str(g["policy_id"]), policy_name=g["policy_name"],
                status=AlertStatus(g["status"]),
                alerts=[RelatedAlert(
                    alert_id=alert_gid(a["id"]), status=AlertStatus(a["status"]),
                    severity=Severity(a["severity"]), score=int(a["score"]),
                    detected_at=parse_datetime(a["created_at"]),
                    case_key=str(a["case_id"]) if a.get("case_id") else None)
                    for a in g["alerts"]]) for g in data["groups"]])


@strawberry.type(description="A person's risk score under a policy reached the policy's alert "
                             "threshold.")
class Alert(Node):
    policy_key: strawberry.Private[str]
    policy_name: str = strawberry.field(description="Name of the policy that raised it.")
    subject_id: strawberry.ID = strawberry.field(
        description="The person's pseudonymous subject id (pass it as `subjectId`).")
    alias: str = strawberry.field(description="Alias of the person.")
    status: AlertStatus = strawberry.field(description="Where the alert is in triage.")
    severity: Severity = strawberry.field(description="Severity, from the score.")
    score: int = strawberry.field(description="Risk score, 0 to 100.")
    raw_explanation: JSON = strawberry.field(
        description="The explanation exactly as the scoring service recorded it.")
    case_key: strawberry.Private[str | None]
    case_status: CaseStatus | None = strawberry.field(
        description="The status of the case it was confirmed into; null without a case.")
    dismiss_reason: DismissReason | None = strawberry.field(
        description="Why it was dismissed, if it was.")
    dismiss_comment: str | None = strawberry.field(description="The dismisser's comment.")
    risk_factors: list[RiskFactor] = strawberry.field(
        description="The risk factors the alert carries.")
    detected_at: datetime = strawberry.field(description="When the alert was detected.")
    created_at: datetime = strawberry.field(
        description="When the alert was raised (the same as `detectedAt`).")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    sla_due_at: datetime = strawberry.field(
        description="When it should be triaged by: detection plus the triage SLA of its "
                    "severity (see `triageSettings`).")
    sla_breached: bool = strawberry.field(
        description="Whether it still needs review past its SLA due time.")
    triaged_at: datetime | None = strawberry.field(
        description="When it first left needs review (confirmed or dismissed).")
    reviewer_account_id: strawberry.ID | None = strawberry.field(
        description="The staff account it was sent to for review (`sendAlertForReview`).")
    review_requested_by: str | None = strawberry.field(
        description="Who sent it for review (the account's subject, e.g. user:<id>).")
    review_requested_at: datetime | None = strawberry.field(
        description="When it was sent for review.")
    review_comment: str | None = strawberry.field(
        description="The comment it was sent for review with.")
    related_count: int = strawberry.field(
        description="How many other alerts there are about the person, under any policy.")
    summary: str = strawberry.field(
        description="The triage assistant's plain-language summary of the explanation.")
    priority: int = strawberry.field(
        description="The triage assistant's priority, 0 to 100: the sum of "
                    "`priorityComponents`.")
    priority_components: list[PriorityComponent] = strawberry.field(
        description="What the priority is made of.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Alert:
        explanation = data.get("explanation") or {}
        reason = data.get("dismiss_reason")
        case_id = data.get("case_id")
        case_status = data.get("case_status")
        reviewer = data.get("reviewer_id")
        detected = parse_datetime(data["created_at"])
        return cls(
            key=str(data["id"]), policy_key=str(data["policy_id"]),
            policy_name=data["policy_name"],
            subject_id=strawberry.ID(str(data["subject_id"])),
            alias=data["alias"], status=AlertStatus(data["status"]),
            severity=Severity(data["severity"]), score=int(data["score"]),
            raw_explanation=explanation, case_key=str(case_id) if case_id else None,
            case_status=CaseStatus(case_status) if case_status else None,
            dismiss_reason=DismissReason(reason) if reason else None,
            dismiss_comment=data.get("dismiss_comment"),
            risk_factors=[RiskFactor(f) for f in data.get("risk_factors") or []],
            detected_at=detected, created_at=detected,
            updated_at=parse_datetime(data["updated_at"]),
            sla_due_at=parse_datetime(data["sla_due_at"]),
            sla_breached=bool(data["sla_breached"]),
            triaged_at=parse_optional_datetime(data.get("triaged_at")),
            reviewer_account_id=strawberry.ID(str(reviewer)) if reviewer else None,
            review_requested_by=data.get("review_requested_by"),
            review_requested_at=parse_optional_datetime(data.get("review_requested_at")),
            review_comment=data.get("review_comment"),
            related_count=int(data.get("related_count") or 0),
            summary=str(data.get("summary") or ""), priority=int(data.get("priority") or 0),
            priority_components=[
                PriorityComponent(name=PriorityComponentName(p["name"]),
                                  points=int(p["points"]), detail=str(p["detail"]))
                for p in data.get("priority_components") or []])

    @strawberry.field(description="The contributions that make up the score.")
    def explanation(self) -> AlertExplanation:
        # Read from the raw explanation only when asked for: a queue page rarely is.
        return AlertExplanation.from_json(self.raw_explanation)  # type: ignore[arg-type]

    @strawberry.field(description="The case the alert was confirmed into, if any.",
                      metadata=operation("cases:get"))
    async def case(self, info: Info) -> Case | None:
        return await case_by_id(info, self.case_key) if self.case_key else None

    @strawberry.field(description="The policy that raised it (null, with an error, when the "
                                  "scoring service cannot answer).",
                      metadata=operation("policies:get"))
    async def policy(self, info: Info) -> Policy | None:
        return Policy.from_service(await info.context.loaders.policy.load(self.policy_key))

    @strawberry.field(description="The person, pseudonymous unless revealed to the caller.",
                      metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.subject_id, self.alias)

    @strawberry.field(description="Every version of the alert, oldest first: raised, updated "
                                  "by new activity, sent for review, triaged, resolved.",
                      metadata=operation("alerts:history"))
    async def history(
        self, info: Info,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page.")] = None,
    ) -> Connection[AlertVersion] | None:
        rows = await info.context.services.call(
            "cases", "GET", f"/alerts/{uuid_segment(self.key, 'id')}/history")
        return list_connection(rows, AlertVersion.from_service, first=first, after=after,
                               maximum=MAX_PAGE)

    @strawberry.field(description="The same person's other alerts under every policy, grouped "
                                  "by policy and status.",
                      metadata=operation("alerts:related"))
    async def related(self, info: Info) -> RelatedAlerts | None:
        data = await info.context.services.call(
            "cases", "GET", f"/alerts/{uuid_segment(self.key, 'id')}/related")
        return RelatedAlerts.from_service(data)


async def _get_alert(info: Info, alert_id: str) -> dict[str, Any]:
    seg = uuid_segment(alert_id, "id")
    return await info.context.services.call("cases", "GET", f"/alerts/{seg}")


@node_resolver("Alert")
async def alert_node(info: Info, key: str) -> Alert:
    return Alert.from_service(await _get_alert(info, key))


# The queue's filters, shared by `alerts`, `alertCounts` and `openAlertsOverTime`.
StatusFilter = Annotated[list[AlertStatus] | None, strawberry.argument(
    description="Only alerts with any of these statuses.")]
SeverityFilter = Annotated[list[Severity] | None, strawberry.argument(
    description="Only alerts with any of these severities.")]
PolicyFilter = Annotated[list[strawberry.ID] | None, strawberry.argument(
    description="Only alerts raised by any of these policies (their ids).")]
DetectedFromFilter = Annotated[datetime | None, strawberry.argument(
    description="Only alerts detected at or after this time (with a time zone).")]
DetectedToFilter = Annotated[datetime | None, strawberry.argument(
    description="Only alerts detected before this time (with a time zone).")]
RiskFactorFilter = Annotated[list[RiskFactor] | None, strawberry.argument(
    description="Only alerts carrying all of these risk factors.")]
ReviewerFilter = Annotated[strawberry.ID | None, strawberry.argument(
    description="Only alerts sent for review to this staff account (its id), or `me` for "
                "those sent to the caller.")]
SlaBreachedFilter = Annotated[bool | None, strawberry.argument(
    description="Only alerts that still need review past their SLA due time (true), or "
                "only the others (false).")]


def _filters(*, status: list[AlertStatus] | None = None,
             severity: list[Severity] | None = None,
             policy_ids: list[strawberry.ID] | None = None,
             detected_from: datetime | None = None, detected_to: datetime | None = None,
             risk_factors: list[RiskFactor] | None = None,
             reviewer: strawberry.ID | None = None,
             sla_breached: bool | None = None) -> dict[str, Any]:
    """The REST query parameters of the queue's filters (lists repeat the parameter)."""
    if reviewer is not None and str(reviewer) != "me":
        reviewer = strawberry.ID(decode_id(reviewer, "Account", "reviewer"))
    return {
        "status": [s.value for s in status] if status else None,
        "severity": [s.value for s in severity] if severity else None,
        "policy_id": [decode_id(p, "Policy", "policyIds") for p in policy_ids]
        if policy_ids else None,
        "detected_from": detected_from.isoformat() if detected_from else None,
        "detected_to": detected_to.isoformat() if detected_to else None,
        "risk_factor": [f.value for f in risk_factors] if risk_factors else None,
        "reviewer": reviewer,
        "sla_breached": None if sla_breached is None else str(sla_breached).lower()}


_SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}


def _queue_cursor(sort: AlertSort, descending: bool, as_of: str
                  ) -> Callable[[dict[str, Any]], str]:
    """The cursor the cases service would hand out after an alert of the queue: keyset on
    (sort value, detection time, id), with the moment the walk's values were computed at."""

    def cursor(a: dict[str, Any]) -> str:
        lead: list[Any] = {
            AlertSort.DETECTED: [],
            AlertSort.SEVERITY: [_SEVERITY_RANK.get(a["severity"], 0)],
            AlertSort.SCORE: [int(a["score"])],
            AlertSort.PRIORITY: [int(a["priority"])],
            AlertSort.SLA_DUE: [parse_datetime(a["sla_due_at"]).isoformat()],
        }[sort]
        return encode_cursor([sort.value, "desc" if descending else "asc", as_of, *lead,
                              parse_datetime(a["created_at"]).isoformat(), str(a["id"])])

    return cursor


def _walk_moment(*cursors: str | None) -> str:
    """The moment a queue walk sorts at: carried in the service's cursors (a next page's, or
    the one this page was asked for with); now for a single page."""
    for value in cursors:
        if not value:
            continue
        try:
            raw = json.loads(base64.urlsafe_b64decode(value.encode()))
        except (ValueError, binascii.Error):
            continue
        if isinstance(raw, list) and len(raw) >= 5 and isinstance(raw[2], str):
            return raw[2]
    return datetime.now(UTC).isoformat()


@strawberry.type(description="How many alerts there are of one severity.")
class SeverityCount:
    severity: Severity = strawberry.field(description="The severity.")
    count: int = strawberry.field(description="How many alerts have it.")


@strawberry.type(description="How many alerts there are with one status.")
class StatusCount:
    status: AlertStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="How many alerts have it.")


@strawberry.type(description="How many alerts match, by severity and by status.")
class AlertCounts:
    total: int = strawberry.field(description="All matching alerts.")
    by_severity: list[SeverityCount] = strawberry.field(
        description="By severity (every severity, zero included).")
    by_status: list[StatusCount] = strawberry.field(
        description="By status (every status, zero included).")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> AlertCounts:
        by_severity = data.get("by_severity") or {}
        by_status = data.get("by_status") or {}
        return cls(total=int(data["total"]),
                   by_severity=[SeverityCount(severity=s, count=int(by_severity.get(s.value, 0)))
                                for s in Severity],
                   by_status=[StatusCount(status=s, count=int(by_status.get(s.value, 0)))
                              for s in AlertStatus])


@strawberry.type(description="One point of a chart of open items over time.")
class OpenPoint:
    start: datetime = strawberry.field(description="Start of the bucket.")
    end: datetime = strawberry.field(
        description="The count is taken at this time (the bucket's end, or `to` for the last "
                    "bucket).")
    open: int = strawberry.field(description="How many were open then.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> OpenPoint:
        return cls(start=parse_datetime(data["start"]), end=parse_datetime(data["end"]),
                   open=int(data["open"]))


@strawberry.type(description="Alerts in needs review at the end of each bucket.")
class OpenAlertsOverTime:
    bucket: Bucket = strawberry.field(description="The width of each point.")
    points: list[OpenPoint] = strawberry.field(description="The points, oldest first.")


@strawberry.input(description="Confirm an alert into a case.")
class ConfirmAlertInput:
    alert_id: strawberry.ID = strawberry.field(description="The alert.")
    case_id: strawberry.ID | None = strawberry.field(
        default=None, description="Add it to this active case of the same person; a new case "
                                  "is opened when omitted.")
    title: str | None = strawberry.field(
        default=None, description="Title of a new case (1 to 300 characters).")


@strawberry.type(description="The alert just confirmed.")
class ConfirmAlertPayload(Payload):
    alert: Alert | None = strawberry.field(
        default=None, description="The alert, now confirmed; see `alert.case`.")


@strawberry.input(description="Dismiss an alert with a reason.")
class DismissAlertInput:
    alert_id: strawberry.ID = strawberry.field(description="The alert.")
    reason: DismissReason = strawberry.field(description="Why it is dismissed.")
    comment: str | None = strawberry.field(
        default=None, description="Free text (up to 2000 characters).")


@strawberry.type(description="The alert just dismissed.")
class DismissAlertPayload(Payload):
    alert: Alert | None = strawberry.field(default=None,
                                           description="The alert, now dismissed.")


@strawberry.input(description="Dismiss several alerts at once with one reason.")
class DismissAlertsInput:
    alert_ids: list[strawberry.ID] = strawberry.field(
        description="The alerts, 1 to 400; each is dismissed or refused on its own.")
    reason: DismissReason = strawberry.field(description="Why they are dismissed.")
    comment: str | None = strawberry.field(
        default=None, description="Free text for all of them (up to 2000 characters).")


@strawberry.enum(description="Why one alert of a bulk dismissal was not dismissed.")
class AlertRefusalCode(Enum):
    ALERT_NOT_FOUND = strawberry.enum_value(
        "alert_not_found", description="No such alert, or not one the caller sees.")
    ALERT_NOT_OPEN = strawberry.enum_value(
        "alert_not_open", description="It no longer needs review (see `currentStatus`).")


@strawberry.type(description="An alert a bulk dismissal left as it was, and why.")
class AlertRefusal:
    alert_id: strawberry.ID = strawberry.field(description="The alert's global id.")
    code: AlertRefusalCode = strawberry.field(description="Why it was refused.")
    current_status: AlertStatus | None = strawberry.field(
        description="Its status, when it was not open.")


@strawberry.type(description="What a bulk dismissal did to each alert: one audit record per "
                             "dismissed alert.")
class DismissAlertsPayload(Payload):
    dismissed_alert_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The global ids of the alerts dismissed by this request.")
    refused: list[AlertRefusal] | None = strawberry.field(
        default=None, description="The alerts left as they were, each with its reason.")


@strawberry.input(description="Send an open alert to a named reviewer; it stays in needs "
                              "review.")
class SendAlertForReviewInput:
    alert_id: strawberry.ID = strawberry.field(description="The alert.")
    reviewer_id: strawberry.ID = strawberry.field(
        description="The reviewer's staff account id: an active account that may triage "
                    "alerts and sees the alert's person.")
    comment: str | None = strawberry.field(
        default=None, description="For the reviewer (up to 2000 characters).")


@strawberry.type(description="The alert just sent for review.")
class SendAlertForReviewPayload(Payload):
    alert: Alert | None = strawberry.field(
        default=None, description="The alert, with its reviewer recorded.")


def _alert_page(page: dict[str, Any], cursor_of: Callable[[dict[str, Any]], str],
                after: str | None) -> Connection[Alert]:
    return build_connection(page["items"], page.get("next_cursor"), Alert.from_service,
                            cursor_of, after=after)


@strawberry.type
class AlertQuery:
    @strawberry.field(description="The alert queue (Analysts and Investigators): filtered, "
                                  "sorted (newest detected first by default), paged; a "
                                  "reviewer limited to some departments or regions sees only "
                                  "their people's alerts.",
                      metadata=operation("alerts:list"))
    async def alerts(
        self, info: Info,
        status: StatusFilter = None,
        severity: SeverityFilter = None,
        policy_ids: PolicyFilter = None,
        detected_from: DetectedFromFilter = None,
        detected_to: DetectedToFilter = None,
        risk_factors: RiskFactorFilter = None,
        reviewer: ReviewerFilter = None,
        sla_breached: SlaBreachedFilter = None,
        sort: Annotated[AlertSort, strawberry.argument(
            description="What to sort by.")] = AlertSort.DETECTED,
        order: Annotated[SortOrder | None, strawberry.argument(
            description="Direction; by default descending, ascending for SLA_DUE.")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page of the same sort and order "
                        "(`endCursor` or an edge's cursor).")] = None,
    ) -> Connection[Alert]:
        params = _filters(status=status, severity=severity, policy_ids=policy_ids,
                          detected_from=detected_from, detected_to=detected_to,
                          risk_factors=risk_factors, reviewer=reviewer,
                          sla_breached=sla_breached)
        params.update(sort=sort.value, order=order.value if order else None, cursor=after,
                      limit=page_size(first, MAX_PAGE))
        page = await info.context.services.call("cases", "GET", "/alerts", params=params)
        descending = (order or (SortOrder.ASC if sort is AlertSort.SLA_DUE
                                else SortOrder.DESC)) is SortOrder.DESC
        moment = _walk_moment(page.get("next_cursor"), after)
        return _alert_page(page, _queue_cursor(sort, descending, moment), after)

    @strawberry.field(description="An alert by id.", metadata=operation("alerts:get"))
    async def alert(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The alert's id.")],
    ) -> Alert:
        return await alert_node(info, decode_id(id, "Alert", "id"))

    @strawberry.field(description="How many alerts match the queue's filters, by severity "
                                  "and by status.",
                      metadata=operation("alerts:counts"))
    async def alert_counts(
        self, info: Info,
        status: StatusFilter = None,
        severity: SeverityFilter = None,
        policy_ids: PolicyFilter = None,
        detected_from: DetectedFromFilter = None,
        detected_to: DetectedToFilter = None,
        risk_factors: RiskFactorFilter = None,
        reviewer: ReviewerFilter = None,
        sla_breached: SlaBreachedFilter = None,
    ) -> AlertCounts:
        params = _filters(status=status, severity=severity, policy_ids=policy_ids,
                          detected_from=detected_from, detected_to=detected_to,
                          risk_factors=risk_factors, reviewer=reviewer,
                          sla_breached=sla_breached)
        return AlertCounts.from_service(
            await info.context.services.call("cases", "GET", "/alerts/counts", params=params))

    @strawberry.field(description="How many alerts were in needs review at the end of each "
                                  "day or week (by default the last 30 days); the severity is "
                                  "each alert's current one.",
                      metadata=operation("alerts:open_over_time"))
    async def open_alerts_over_time(
        self, info: Info,
        from_: Annotated[datetime | None, strawberry.argument(
            name="from", description="Start of the chart (default: 30 days before `to`).")]
            = None,
        to: Annotated[datetime | None, strawberry.argument(
            description="End of the chart (default: now); the last point is taken then.")]
            = None,
        bucket: Annotated[Bucket, strawberry.argument(
            description="One point per day or per week (at most 400 points).")] = Bucket.DAY,
        severity: SeverityFilter = None,
        policy_ids: PolicyFilter = None,
        detected_from: DetectedFromFilter = None,
        detected_to: DetectedToFilter = None,
        risk_factors: RiskFactorFilter = None,
        reviewer: ReviewerFilter = None,
    ) -> OpenAlertsOverTime:
        params = _filters(severity=severity, policy_ids=policy_ids,
                          detected_from=detected_from, detected_to=detected_to,
                          risk_factors=risk_factors, reviewer=reviewer)
        params.update({"from": from_.isoformat() if from_ else None,
                       "to": to.isoformat() if to else None, "bucket": bucket.value})
        data = await info.context.services.call("cases", "GET", "/alerts/open-over-time",
                                                params=params)
        return OpenAlertsOverTime(bucket=Bucket(data["bucket"]),
                                  points=[OpenPoint.from_service(p) for p in data["points"]])

    @strawberry.field(description="Every alert about a person, from every policy, newest "
                                  "first.",
                      metadata=operation("people_alerts:list"))
    async def alerts_of_person(
        self, info: Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(
            description="The person (their id or subject id).")],
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[Alert]:
        seg = person_segment(subject_id)
        page = await info.context.services.call(
            "cases", "GET", f"/people/{seg}/alerts",
            params={"cursor": after, "limit": page_size(first, MAX_PAGE)})
        return _alert_page(page, lambda a: keyset_cursor(a["created_at"], a["id"]), after)


@strawberry.type
class AlertMutation:
    @strawberry.mutation(description="Confirm an alert into a new or an existing active case.",
                         metadata=operation("alerts:confirm"))
    async def confirm_alert(
        self, info: Info, input: Annotated[ConfirmAlertInput, INPUT],
    ) -> ConfirmAlertPayload:
        async def confirm() -> ConfirmAlertPayload:
            seg = uuid_segment(decode_id(input.alert_id, "Alert", "alertId"), "alertId")
            case_id = decode_id(input.case_id, "Case", "caseId") if input.case_id else None
            body = {k: v for k, v in (("case_id", case_id), ("title", input.title))
                    if v is not None}
            data = await info.context.services.call("cases", "POST", f"/alerts/{seg}/confirm",
                                                    json=body)
            if data.get("case_id"):
                forget(info.context.loaders.case, str(data["case_id"]))
            return ConfirmAlertPayload(alert=Alert.from_service(data))

        return await attempt(ConfirmAlertPayload, confirm)

    @strawberry.mutation(description="Dismiss an alert with a reason.",
                         metadata=operation("alerts:dismiss"))
    async def dismiss_alert(
        self, info: Info, input: Annotated[DismissAlertInput, INPUT],
    ) -> DismissAlertPayload:
        async def dismiss() -> DismissAlertPayload:
            seg = uuid_segment(decode_id(input.alert_id, "Alert", "alertId"), "alertId")
            body = {"reason": input.reason.value} | (
                {"comment": input.comment} if input.comment is not None else {})
            data = await info.context.services.call("cases", "POST", f"/alerts/{seg}/dismiss",
                                                    json=body)
            return DismissAlertPayload(alert=Alert.from_service(data))

        return await attempt(DismissAlertPayload, dismiss)

    @strawberry.mutation(description="Dismiss up to 400 alerts at once with one reason: each "
                                     "is dismissed or refused on its own (not found or out of "
                                     "scope; no longer open).",
                         metadata=operation("alerts:dismiss_many"))
    async def dismiss_alerts(
        self, info: Info, input: Annotated[DismissAlertsInput, INPUT],
    ) -> DismissAlertsPayload:
        async def dismiss() -> DismissAlertsPayload:
            ids = [decode_id(a, "Alert", f"alertIds.{i}") for i, a in enumerate(input.alert_ids)]
            body = {"alert_ids": ids, "reason": input.reason.value} | (
                {"comment": input.comment} if input.comment is not None else {})
            data = await info.context.services.call("cases", "POST", "/alerts/dismiss",
                                                    json=body)
            return DismissAlertsPayload(
                dismissed_alert_ids=[alert_gid(a) for a in data["dismissed"]],
                refused=[AlertRefusal(
                    alert_id=alert_gid(r["alert_id"]), code=AlertRefusalCode(r["code"]),
                    current_status=AlertStatus(r["current_status"])
                    if r.get("current_status") else None) for r in data["refused"]])

        return await attempt(DismissAlertsPayload, dismiss)

    @strawberry.mutation(description="Send an open alert to a named reviewer; it stays in "
                                     "needs review, with the reviewer, the requester and the "
                                     "time recorded.",
                         metadata=operation("alerts:review"))
    async def send_alert_for_review(
        self, info: Info, input: Annotated[SendAlertForReviewInput, INPUT],
    ) -> SendAlertForReviewPayload:
        async def send() -> SendAlertForReviewPayload:
            seg = uuid_segment(decode_id(input.alert_id, "Alert", "alertId"), "alertId")
            body = {"reviewer": decode_id(input.reviewer_id, "Account", "reviewerId")} | (
                {"comment": input.comment} if input.comment is not None else {})
            data = await info.context.services.call("cases", "POST", f"/alerts/{seg}/review",
                                                    json=body)
            return SendAlertForReviewPayload(alert=Alert.from_service(data))

        return await attempt(SendAlertForReviewPayload, send)
