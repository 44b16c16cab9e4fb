"""Triage tools beside the queue: the triage SLA, the triage dashboard, people's risk levels
and their rules, and a person's current risk scores."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.clients import uuid_segment
from gateway.context import Info
from gateway.schema.alerts import (
    Alert,
    AlertCounts,
    Bucket,
    OpenPoint,
    ScoreContribution,
    Severity,
    alert_node,
)
from gateway.schema.cases import Case, case_by_id
from gateway.schema.common import (
    INPUT,
    Connection,
    build_connection,
    keyset_cursor,
    operation,
    page_size,
    parse_datetime,
    parse_optional_datetime,
    person_segment,
    to_global_id,
)
from gateway.schema.payloads import Payload, attempt
from gateway.schema.people import Person, person_of
from gateway.schema.policies import Policy

MAX_LEVELS_PAGE = 500


# Triage SLA -----------------------------------------------------------------------------

@strawberry.type(description="Hours from detection within which an alert of each severity "
                             "should be triaged.")
class SlaHours:
    high: int = strawberry.field(description="High severity (default 24).")
    medium: int = strawberry.field(description="Medium severity (default 72).")
    low: int = strawberry.field(description="Low severity (default 168, 7 days).")


@strawberry.type(description="The triage SLA: every alert's `slaDueAt` is its detection plus "
                             "the hours of its severity.")
class TriageSettings:
    sla_hours: SlaHours = strawberry.field(description="The SLA per severity.")
    updated_at: datetime | None = strawberry.field(
        description="When an Admin last changed it; null while the defaults apply.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> TriageSettings:
        hours = data["sla_hours"]
        return cls(sla_hours=SlaHours(high=int(hours["high"]), medium=int(hours["medium"]),
                                      low=int(hours["low"])),
                   updated_at=parse_optional_datetime(data.get("updated_at")))


@strawberry.input(description="Hours from detection within which an alert of each severity "
                              "should be triaged, each 1 to 8760.")
class SlaHoursInput:
    high: int = strawberry.field(description="High severity.")
    medium: int = strawberry.field(description="Medium severity.")
    low: int = strawberry.field(description="Low severity.")


@strawberry.input(description="Change the triage SLA (Admins): open alerts get new due times "
                              "at once; audited.")
class UpdateTriageSettingsInput:
    sla_hours: SlaHoursInput = strawberry.field(description="The SLA per severity.")


@strawberry.type(description="The triage SLA now in force.")
class UpdateTriageSettingsPayload(Payload):
    triage_settings: TriageSettings | None = strawberry.field(
        default=None, description="The settings after the change.")


# Dashboard ------------------------------------------------------------------------------

@strawberry.type(description="How long something took on average, and over how many alerts.")
class TriageTimes:
    count: int = strawberry.field(description="How many alerts the mean is over.")
    mean_seconds: float | None = strawberry.field(
        description="Mean seconds; null when there were none in the window.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> TriageTimes:
        mean = data.get("mean_s")
        return cls(count=int(data["count"]), mean_seconds=float(mean) if mean is not None
                   else None)


@strawberry.type(description="How alerts fared against their triage SLA.")
class SlaBreaches:
    breached_now: int = strawberry.field(
        description="Alerts still in needs review past their due time (any time).")
    breached_before_triage: int = strawberry.field(
        description="Alerts triaged in the window after their due time.")
    triaged_within_sla: int = strawberry.field(
        description="Alerts triaged in the window in time.")


@strawberry.type(description="The triage team's figures over a window, for the people the "
                             "caller sees.")
class TriageDashboard:
    from_: datetime = strawberry.field(name="from", description="Start of the window.")
    to: datetime = strawberry.field(description="End of the window.")
    bucket: Bucket = strawberry.field(description="The width of the charts' points.")
    alerts: AlertCounts = strawberry.field(
        description="Alerts detected in the window, by severity and by their status now.")
    open_alerts_over_time: list[OpenPoint] = strawberry.field(
        description="Alerts in needs review at the end of each bucket.")
    open_cases_over_time: list[OpenPoint] = strawberry.field(
        description="Active cases at the end of each bucket.")
    time_to_triage: TriageTimes = strawberry.field(
        description="Detection to confirm or dismiss, over the alerts triaged in the window.")
    time_to_resolve: TriageTimes = strawberry.field(
        description="Detection to the closing of the alert's case, over the alerts resolved "
                    "in the window.")
    sla: SlaBreaches = strawberry.field(description="SLA breaches.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> TriageDashboard:
        sla = data["sla"]
        return cls(
            from_=parse_datetime(data["from"]), to=parse_datetime(data["to"]),
            bucket=Bucket(data["bucket"]), alerts=AlertCounts.from_service(data["alerts"]),
            open_alerts_over_time=[OpenPoint.from_service(p)
                                   for p in data["open_alerts_over_time"]],
            open_cases_over_time=[OpenPoint.from_service(p)
                                  for p in data["open_cases_over_time"]],
            time_to_triage=TriageTimes.from_service(data["time_to_triage"]),
            time_to_resolve=TriageTimes.from_service(data["time_to_resolve"]),
            sla=SlaBreaches(breached_now=int(sla["breached_now"]),
                            breached_before_triage=int(sla["breached_before_triage"]),
                            triaged_within_sla=int(sla["triaged_within_sla"])))


# Risk levels ----------------------------------------------------------------------------

@strawberry.enum(description="A person's risk level, derived from their alerts and cases by "
                             "the risk-level rules.")
class RiskLevelValue(Enum):
    ELEVATED = strawberry.enum_value("elevated", description="The highest level.")
    MODERATE = strawberry.enum_value("moderate", description="The middle level.")
    MINOR = strawberry.enum_value("minor", description="The lowest level above none.")
    NONE = strawberry.enum_value("none", description="No rule applies.")


@strawberry.enum(description="The rule that gave a person their risk level.")
class RiskLevelRule(Enum):
    ALERT_HIGH = strawberry.enum_value("alert.high", description="A high-severity alert.")
    ALERT_MEDIUM = strawberry.enum_value("alert.medium",
                                         description="A medium-severity alert.")
    ALERT_LOW = strawberry.enum_value("alert.low", description="A low-severity alert.")
    CASE_CONFIRMED_VIOLATION = strawberry.enum_value(
        "case.confirmed_violation", description="A case closed as a confirmed violation.")


@strawberry.enum(description="What kind of record set a risk level.")
class RiskLevelSource(Enum):
    ALERT = strawberry.enum_value("alert", description="An alert.")
    CASE = strawberry.enum_value("case", description="A case.")


@strawberry.type(description="A person's current risk level: what a DLP or access-control "
                             "system would act on.")
class RiskLevel:
    subject_id: strawberry.ID = strawberry.field(description="The person's subject id.")
    alias: str = strawberry.field(description="The person's alias.")
    level: RiskLevelValue = strawberry.field(description="The level.")
    rule: RiskLevelRule | None = strawberry.field(
        description="The rule that gave it; null at level none.")
    source_type: RiskLevelSource | None = strawberry.field(
        description="Whether an alert or a case set it; null at level none.")
    source_key: strawberry.Private[str | None]
    policy_keys: strawberry.Private[list[str]]
    set_at: datetime | None = strawberry.field(
        description="When the current level was reached.")
    expires_at: datetime | None = strawberry.field(
        description="When the level lapses unless an alert or case meets a rule again.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> RiskLevel:
        rule, source = data.get("rule"), data.get("source_type")
        return cls(
            subject_id=strawberry.ID(str(data["subject_id"])), alias=data["alias"],
            level=RiskLevelValue(data["level"]), rule=RiskLevelRule(rule) if rule else None,
            source_type=RiskLevelSource(source) if source else None,
            source_key=str(data["source_id"]) if data.get("source_id") else None,
            policy_keys=[str(p) for p in data.get("policy_ids") or []],
            set_at=parse_optional_datetime(data.get("set_at")),
            expires_at=parse_optional_datetime(data.get("expires_at")),
            updated_at=parse_datetime(data["updated_at"]))

    @strawberry.field(description="The global id of the alert or case that set the level.")
    def source_id(self) -> strawberry.ID | None:
        if self.source_key is None or self.source_type is None:
            return None
        kind = "Alert" if self.source_type is RiskLevelSource.ALERT else "Case"
        return to_global_id(kind, self.source_key)

    @strawberry.field(description="The alert that set the level, when an alert did.",
                      metadata=operation("alerts:get"))
    async def alert(self, info: Info) -> Alert | None:
        if self.source_type is not RiskLevelSource.ALERT or self.source_key is None:
            return None
        return await alert_node(info, self.source_key)

    @strawberry.field(description="The case that set the level, when a case did.",
                      metadata=operation("cases:get"))
    async def case(self, info: Info) -> Case | None:
        if self.source_type is not RiskLevelSource.CASE or self.source_key is None:
            return None
        return await case_by_id(info, self.source_key)

    @strawberry.field(description="The policies of the alerts behind the level.",
                      metadata=operation("policies:get"))
    async def policies(self, info: Info) -> list[Policy] | None:
        loaded = await info.context.loaders.policy.load_many(self.policy_keys)
        return [Policy.from_service(p) for p in loaded]

    @strawberry.field(description="The person, pseudonymous unless revealed to the caller.",
                      metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.subject_id, self.alias)


@strawberry.enum(description="An alert status the risk-level rules may count.")
class CountedAlertStatus(Enum):
    NEEDS_REVIEW = strawberry.enum_value("needs_review", description="Waiting for triage.")
    CONFIRMED = strawberry.enum_value("confirmed", description="Confirmed into a case.")
    RESOLVED = strawberry.enum_value("resolved", description="Its case was closed.")


@strawberry.type(description="The rules deriving each person's risk level from their alerts "
                             "and cases; the highest level any rule gives wins.")
class RiskLevelSettings:
    expiry_days: float = strawberry.field(
        description="An alert or case counts until this many days after it last changed.")
    alert_statuses: list[CountedAlertStatus] = strawberry.field(
        description="Alerts in these statuses count.")
    elevated_severities: list[Severity] = strawberry.field(
        description="Alerts of these severities give the elevated level.")
    moderate_severities: list[Severity] = strawberry.field(
        description="Alerts of these severities give the moderate level.")
    minor_severities: list[Severity] = strawberry.field(
        description="Alerts of these severities give the minor level.")
    confirmed_violation_level: RiskLevelValue = strawberry.field(
        description="The level a case closed as a confirmed violation gives (NONE: none).")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> RiskLevelSettings:
        return cls(
            expiry_days=float(data["expiry_days"]),
            alert_statuses=[CountedAlertStatus(s) for s in data["alert_statuses"]],
            elevated_severities=[Severity(s) for s in data["elevated_severities"]],
            moderate_severities=[Severity(s) for s in data["moderate_severities"]],
            minor_severities=[Severity(s) for s in data["minor_severities"]],
            confirmed_violation_level=RiskLevelValue(
                data.get("confirmed_violation_level") or "none"))


@strawberry.input(description="The risk-level rules, replaced as a whole: an omitted field "
                              "takes its default. Everyone's level is recomputed shortly "
                              "after.")
class UpdateRiskLevelSettingsInput:
    expiry_days: float | None = strawberry.field(
        default=None, description="Days an alert or case counts after it last changed "
                                  "(above 0, at most 365; default 7).")
    alert_statuses: list[CountedAlertStatus] | None = strawberry.field(
        default=None, description="Alert statuses that count (default needs review and "
                                  "confirmed).")
    elevated_severities: list[Severity] | None = strawberry.field(
        default=None, description="Severities giving elevated (default high).")
    moderate_severities: list[Severity] | None = strawberry.field(
        default=None, description="Severities giving moderate (default medium).")
    minor_severities: list[Severity] | None = strawberry.field(
        default=None, description="Severities giving minor (default low).")
    confirmed_violation_level: RiskLevelValue | None = strawberry.field(
        default=None, description="The level a case closed as a confirmed violation gives "
                                  "(NONE: none; default elevated).")


@strawberry.type(description="The risk-level rules now in force.")
class UpdateRiskLevelSettingsPayload(Payload):
    risk_level_settings: RiskLevelSettings | None = strawberry.field(
        default=None, description="The rules after the change.")


# A person's risk score ------------------------------------------------------------------

@strawberry.type(description="A person's current score under one policy, with the "
                             "contributions that make it up.")
class PolicyScore:
    policy_key: strawberry.Private[str]
    policy_name: str = strawberry.field(description="The policy's name.")
    score: int = strawberry.field(description="Risk score, 0 to 100.")
    severity: Severity = strawberry.field(description="Severity of the score.")
    version: int = strawberry.field(
        description="How many times this score has been recomputed (it grows with each).")
    settings_version: int = strawberry.field(
        description="The global settings version it was computed with.")
    contributions: list[ScoreContribution] = strawberry.field(
        description="The contributions, by day then indicator.")
    computed_at: datetime | None = strawberry.field(description="When it was computed.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PolicyScore:
        return cls(policy_key=str(data["policy_id"]), policy_name=data["policy_name"],
                   score=int(data["score"]), severity=Severity(data["severity"]),
                   version=int(data["version"]),
                   settings_version=int(data["settings_version"]),
                   contributions=[ScoreContribution.from_json(c)
                                  for c in data.get("contributions") or []
                                  if isinstance(c, dict)],
                   computed_at=parse_optional_datetime(data.get("computed_at")))

    @strawberry.field(description="The policy.", metadata=operation("policies:get"))
    async def policy(self, info: Info) -> Policy | None:
        return Policy.from_service(await info.context.loaders.policy.load(self.policy_key))


@strawberry.type(description="What scoring knows of a person: their attributes and their "
                             "current score under every policy.")
class RiskScore:
    subject_id: strawberry.ID = strawberry.field(description="The person's subject id.")
    alias: str = strawberry.field(description="The person's alias.")
    department: str | None = strawberry.field(
        description="Their department as scoring knows it (peer group, policy scope).")
    high_impact: bool = strawberry.field(
        description="Whether the directory marks them a potential high-impact user.")
    violations: int = strawberry.field(
        description="Cases about them closed as confirmed violations.")

    @strawberry.field(description="Their current score under every policy that scored them.",
                      metadata=operation("subjects:scores"))
    async def scores(self, info: Info) -> list[PolicyScore] | None:
        rows = await info.context.services.call(
            "scoring", "GET", f"/subjects/{uuid_segment(self.subject_id, 'subjectId')}/scores")
        return [PolicyScore.from_service(r) for r in rows]

    @strawberry.field(description="The person, pseudonymous unless revealed to the caller.",
                      metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.subject_id, self.alias)


# Root fields ----------------------------------------------------------------------------

@strawberry.type
class TriageQuery:
    @strawberry.field(description="The triage SLA per severity.",
                      metadata=operation("triage_settings:get"))
    async def triage_settings(self, info: Info) -> TriageSettings:
        return TriageSettings.from_service(
            await info.context.services.call("cases", "GET", "/triage-settings"))

    @strawberry.field(description="The triage dashboard over a window (default the last 30 "
                                  "days), for the people the caller sees.",
                      metadata=operation("dashboards:triage"))
    async def triage_dashboard(
        self, info: Info,
        from_: Annotated[datetime | None, strawberry.argument(
            name="from", description="Start of the window (default: 30 days before `to`).")]
            = None,
        to: Annotated[datetime | None, strawberry.argument(
            description="End of the window (default: now).")] = None,
        bucket: Annotated[Bucket, strawberry.argument(
            description="One chart point per day or per week.")] = Bucket.DAY,
    ) -> TriageDashboard:
        data = await info.context.services.call("cases", "GET", "/dashboards/triage", params={
            "from": from_.isoformat() if from_ else None, "to": to.isoformat() if to else None,
            "bucket": bucket.value})
        return TriageDashboard.from_service(data)

    @strawberry.field(description="People's current risk levels, last changed first; without "
                                  "`level`, everyone above none. A scoped caller sees people "
                                  "of their departments or regions only.",
                      metadata=operation("risk_levels:list"))
    async def risk_levels(
        self, info: Info,
        level: Annotated[RiskLevelValue | None, strawberry.argument(
            description="Only people at this level.")] = None,
        subject_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this person (their id or subject id).")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_LEVELS_PAGE}.")] = 100,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[RiskLevel]:
        page = await info.context.services.call("cases", "GET", "/risk-levels", params={
            "level": level.value if level else None,
            "subject_id": person_segment(subject_id) if subject_id else None,
            "cursor": after, "limit": page_size(first, MAX_LEVELS_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"), RiskLevel.from_service,
                                lambda r: keyset_cursor(r["updated_at"], r["subject_id"]),
                                after=after)

    @strawberry.field(description="A person's current risk level.",
                      metadata=operation("risk_levels:get"))
    async def risk_level(
        self, info: Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(
            description="The person (their id or subject id).")],
    ) -> RiskLevel:
        return RiskLevel.from_service(await info.context.services.call(
            "cases", "GET", f"/risk-levels/{person_segment(subject_id)}"))

    @strawberry.field(description="The rules that derive risk levels (Admins).",
                      metadata=operation("risk_levels:get_settings"))
    async def risk_level_settings(self, info: Info) -> RiskLevelSettings:
        return RiskLevelSettings.from_service(
            await info.context.services.call("cases", "GET", "/risk-levels/settings"))

    @strawberry.field(description="What scoring knows of a person and their current score "
                                  "under every policy (Analysts and Investigators).",
                      metadata=operation("subjects:get"))
    async def risk_score(
        self, info: Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(
            description="The person (their id or subject id).")],
    ) -> RiskScore:
        data = await info.context.services.call("scoring", "GET",
                                                f"/subjects/{person_segment(subject_id)}")
        return RiskScore(subject_id=strawberry.ID(str(data["subject_id"])),
                         alias=data["alias"], department=data.get("department"),
                         high_impact=bool(data["high_impact"]),
                         violations=int(data["violations"]))


@strawberry.type
class TriageMutation:
    @strawberry.mutation(description="Change the triage SLA (Admins): open alerts get new due "
                                     "times at once; audited.",
                         metadata=operation("triage_settings:put"))
    async def update_triage_settings(
        self, info: Info, input: Annotated[UpdateTriageSettingsInput, INPUT],
    ) -> UpdateTriageSettingsPayload:
        async def put() -> UpdateTriageSettingsPayload:
            hours = input.sla_hours
            data = await info.context.services.call("cases", "PUT", "/triage-settings", json={
                "sla_hours": {"high": hours.high, "medium": hours.medium, "low": hours.low}})
            return UpdateTriageSettingsPayload(triage_settings=TriageSettings.from_service(data))

        return await attempt(UpdateTriageSettingsPayload, put)

    @strawberry.mutation(description="Replace the risk-level rules (Admins); everyone's level "
                                     "is recomputed under them shortly after.",
                         metadata=operation("risk_levels:put_settings"))
    async def update_risk_level_settings(
        self, info: Info, input: Annotated[UpdateRiskLevelSettingsInput, INPUT],
    ) -> UpdateRiskLevelSettingsPayload:
        async def put() -> UpdateRiskLevelSettingsPayload:
            body: dict[str, Any] = {}
            if input.expiry_days is not None:
                body["expiry_days"] = input.expiry_days
            if input.alert_statuses is not None:
                body["alert_statuses"] = [s.value for s in input.alert_statuses]
            for name in ("elevated_severities", "moderate_severities", "minor_severities"):
                value = getattr(input, name)
                if value is not None:
                    body[name] = [s.value for s in value]
            if input.confirmed_violation_level is not None:
                level = input.confirmed_violation_level
                body["confirmed_violation_level"] = \
                    None if level is RiskLevelValue.NONE else level.value
            data = await info.context.services.call("cases", "PUT", "/risk-levels/settings",
                                                    json=body)
            return UpdateRiskLevelSettingsPayload(
                risk_level_settings=RiskLevelSettings.from_service(data))

        return await attempt(UpdateRiskLevelSettingsPayload, put)
