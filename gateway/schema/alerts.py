"""Alerts: a person's risk score under a policy crossed its threshold; triage them here."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gateway.context import Info, forget
from gateway.schema.cases import Case, case_by_id
from gateway.schema.common import (
    INPUT,
    Connection,
    Node,
    build_connection,
    decode_id,
    keyset_cursor,
    node_resolver,
    operation,
    page_size,
    parse_date,
    parse_datetime,
)
from gateway.schema.payloads import Payload, attempt
from gateway.schema.people import Person, person_of
from gateway.schema.policies import Policy

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


@strawberry.type(description="A person's risk score under a policy reached the policy's alert "
                             "threshold.")
class Alert(Node):
    policy_key: strawberry.Private[str]
    subject_key: strawberry.Private[str]
    policy_name: str = strawberry.field(description="Name of the policy that raised it.")
    alias: str = strawberry.field(description="Alias of the person.")
    status: AlertStatus = strawberry.field(description="Where the alert is in triage.")
    severity: Severity = strawberry.field(description="Severity, from the score.")
    score: int = strawberry.field(description="Risk score, 0 to 100.")
    explanation: AlertExplanation = strawberry.field(
        description="The contributions that make up the score.")
    raw_explanation: JSON = strawberry.field(
        description="The explanation exactly as the scoring service recorded it.")
    case_key: strawberry.Private[str | None]
    dismiss_reason: DismissReason | None = strawberry.field(
        description="Why it was dismissed, if it was.")
    dismiss_comment: str | None = strawberry.field(description="The dismisser's comment.")
    created_at: datetime = strawberry.field(description="When the alert was raised.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Alert:
        explanation = data.get("explanation") or {}
        reason = data.get("dismiss_reason")
        case_id = data.get("case_id")
        return cls(
            key=str(data["id"]), policy_key=str(data["policy_id"]),
            policy_name=data["policy_name"], subject_key=str(data["subject_id"]),
            alias=data["alias"], status=AlertStatus(data["status"]),
            severity=Severity(data["severity"]), score=int(data["score"]),
            explanation=AlertExplanation.from_json(explanation), raw_explanation=explanation,
            case_key=str(case_id) if case_id else None,
            dismiss_reason=DismissReason(reason) if reason else None,
            dismiss_comment=data.get("dismiss_comment"),
            created_at=parse_datetime(data["created_at"]),
            updated_at=parse_datetime(data["updated_at"]))

    @strawberry.field(description="The case the alert was confirmed into, if any.",
                      metadata=operation("cases:get"))
    async def case(self, info: Info) -> Case | None:
        return await case_by_id(info, self.case_key) if self.case_key else None

    @strawberry.field(description="The policy that raised it.",
                      metadata=operation("policies:get"))
    async def policy(self, info: Info) -> Policy:
        return Policy.from_service(await info.context.loaders.policy.load(self.policy_key))

    @strawberry.field(description="The person, pseudonymous unless revealed to the caller.",
                      metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.subject_key, self.alias)


@node_resolver("Alert")
async def alert_node(info: Info, key: str) -> Alert:
    return Alert.from_service(await info.context.services.alert_get(key))


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


@strawberry.type
class AlertQuery:
    @strawberry.field(description="The alert queue, newest first (Analysts and Investigators).",
                      metadata=operation("alerts:list"))
    async def alerts(
        self, info: Info,
        status: Annotated[AlertStatus | None, strawberry.argument(
            description="Only alerts with this status.")] = None,
        severity: Annotated[Severity | None, strawberry.argument(
            description="Only alerts with this severity.")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[Alert]:
        page = await info.context.services.alerts_list(
            status=status.value if status else None,
            severity=severity.value if severity else None, cursor=after,
            limit=page_size(first, MAX_PAGE))
        return build_connection(page["items"], page.get("next_cursor"), Alert.from_service,
                                lambda a: keyset_cursor(a["created_at"], a["id"]), after=after)

    @strawberry.field(description="An alert by id.", metadata=operation("alerts:get"))
    async def alert(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The alert's id.")],
    ) -> Alert:
        return await alert_node(info, decode_id(id, "Alert", "id"))


@strawberry.type
class AlertMutation:
    @strawberry.mutation(description="Confirm an alert into a new or an existing active case.",
                         metadata=operation("alerts:confirm"))
    async def confirm_alert(
        self, info: Info, input: Annotated[ConfirmAlertInput, INPUT],
    ) -> ConfirmAlertPayload:
        async def confirm() -> ConfirmAlertPayload:
            alert_id = decode_id(input.alert_id, "Alert", "alertId")
            case_id = decode_id(input.case_id, "Case", "caseId") if input.case_id else None
            data = await info.context.services.alert_confirm(alert_id, case_id=case_id,
                                                             title=input.title)
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
            alert_id = decode_id(input.alert_id, "Alert", "alertId")
            data = await info.context.services.alert_dismiss(
                alert_id, reason=input.reason.value, comment=input.comment)
            return DismissAlertPayload(alert=Alert.from_service(data))

        return await attempt(DismissAlertPayload, dismiss)
