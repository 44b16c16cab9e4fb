"""User activity reports: an Investigator asks for any person's activity in a window of up to
90 days, without a policy; the cases service builds it in a job (follow `state` and
`progress`), gives each activity its risk level and keeps a summary. Only the creator and the
investigators it is shared with see it."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gateway.clients import uuid_segment
from gateway.context import Info
from gateway.schema.activity import (
    ActivityCategory,
    ActivityExclusion,
    ActivityRiskLevel,
    ActivityType,
    CategoryCount,
    RiskLevelCount,
    TypeCount,
    activity_cursor,
)
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
    parse_datetime,
    parse_optional_datetime,
    to_global_id,
)
from gateway.schema.payloads import Payload, attempt
from gateway.schema.people import Person, person_of

MAX_PAGE = 200


@strawberry.enum(description="Where a user activity report is in its build.")
class ActivityReportState(Enum):
    QUEUED = strawberry.enum_value("queued", description="Waiting for its job.")
    RUNNING = strawberry.enum_value("running", description="Being built; see `progress`.")
    READY = strawberry.enum_value("ready", description="Built: summary and activities "
                                                       "available.")
    FAILED = strawberry.enum_value("failed", description="The build failed; see `error`.")


@strawberry.type(description="How many of the report's activities of a UTC day are at one "
                             "risk level.")
class DayRiskLevelCount:
    day: date = strawberry.field(description="The UTC day.")
    level: ActivityRiskLevel = strawberry.field(description="The risk level.")
    count: int = strawberry.field(description="Activities.")


@strawberry.type(description="A ready report's activities counted by day and risk level, "
                             "category, type and risk level.")
class ActivityReportSummary:
    by_day: list[DayRiskLevelCount] = strawberry.field(
        description="Per UTC day and risk level (zero counts left out), oldest first.")
    by_category: list[CategoryCount] = strawberry.field(
        description="Per category, most first.")
    by_type: list[TypeCount] = strawberry.field(description="Per activity type, most first.")
    by_risk_level: list[RiskLevelCount] = strawberry.field(
        description="Per risk level, none to high (every level listed).")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ActivityReportSummary:
        def ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
            return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

        levels = data.get("by_risk_level") or {}
        return cls(
            by_day=[DayRiskLevelCount(day=date.fromisoformat(d["day"]),
                                      level=ActivityRiskLevel(d["risk_level"]),
                                      count=int(d["count"]))
                    for d in data.get("by_day") or []],
            by_category=[CategoryCount(category=ActivityCategory(k), count=n)
                         for k, n in ranked(data.get("by_category") or {})],
            by_type=[TypeCount(type=ActivityType(k), count=n)
                     for k, n in ranked(data.get("by_type") or {})],
            by_risk_level=[RiskLevelCount(level=lv, count=int(levels.get(lv.value, 0)))
                           for lv in ActivityRiskLevel])


@strawberry.type(description="One activity of a report, as the report's job found it (never "
                             "with content).")
class ReportActivity:
    event_id: str = strawberry.field(description="The activity's id at its source; pass it "
                                                 "to `markReportActivitiesBenign`.")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    type: ActivityType = strawberry.field(  # type: ignore[valid-type]
        description="What was done.")
    category: ActivityCategory = strawberry.field(description="The activity's category.")
    source: str = strawberry.field(description="The workload that recorded it.")
    risk_level: ActivityRiskLevel = strawberry.field(description=(
        "As the report's job found it, or none once marked benign from the report."))
    attributes: JSON = strawberry.field(
        description="Type-specific attributes without content (names, paths, URLs).")
    excluded: list[ActivityExclusion] = strawberry.field(
        description="Suppression rules and benign marks covering it now.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ReportActivity:
        return cls(event_id=str(data["id"]), occurred_at=parse_datetime(data["occurred_at"]),
                   type=ActivityType(data["type"]),
                   category=ActivityCategory(data["category"]), source=data["source"],
                   risk_level=ActivityRiskLevel(data["risk_level"]),
                   attributes=data.get("attributes") or {},
                   excluded=[ActivityExclusion.from_service(e)
                             for e in data.get("excluded") or []])


@strawberry.type(description="A user activity report: one person's activity in a window, "
                             "each activity with its risk level, built by a job.")
class ActivityReport(Node):
    subject_key: strawberry.Private[str]
    summary_data: strawberry.Private[dict[str, Any] | None]
    alias: str = strawberry.field(description="Alias of the person.")
    window_start: datetime = strawberry.field(description="Start of the window (inclusive).")
    window_end: datetime = strawberry.field(description="End of the window (exclusive).")
    state: ActivityReportState = strawberry.field(description="Where the build is.")
    progress: int = strawberry.field(description="Percent of the window read so far (100 when "
                                                 "ready).")
    error: str | None = strawberry.field(description="Why the build failed, if it did.")
    total: int = strawberry.field(description="Activities in the report (once ready).")
    created_by: str = strawberry.field(description="The investigator who made it "
                                                   "(user:<id>).")
    shared_with: list[str] = strawberry.field(
        description="Investigators it is shared with (user:<id>).")
    created_at: datetime = strawberry.field(description="When it was asked for.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    finished_at: datetime | None = strawberry.field(
        description="When the build ended (ready or failed).")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ActivityReport:
        return cls(key=str(data["id"]), subject_key=str(data["subject_id"]),
                   summary_data=data if "by_risk_level" in data else None,
                   alias=data["alias"], window_start=parse_datetime(data["window_from"]),
                   window_end=parse_datetime(data["window_to"]),
                   state=ActivityReportState(data["state"]), progress=int(data["progress"]),
                   error=data.get("error"), total=int(data["total"]),
                   created_by=data["created_by"],
                   shared_with=list(data.get("shared_with") or []),
                   created_at=parse_datetime(data["created_at"]),
                   updated_at=parse_datetime(data["updated_at"]),
                   finished_at=parse_optional_datetime(data.get("finished_at")))

    @strawberry.field(description="The person, pseudonymous unless revealed to the caller.",
                      metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.subject_key, self.alias)

    @strawberry.field(description="The activities counted by day and level, category, type "
                                  "and level; empty counts until the report is ready.",
                      metadata=operation("activity_reports:get"))
    async def summary(self, info: Info) -> ActivityReportSummary | None:
        data = self.summary_data
        if data is None:  # a report from the list carries no summary
            data = await _get(info, self.key)
        return ActivityReportSummary.from_service(data)

    @strawberry.field(description="The report's activities, newest first, each marked with "
                                  "the suppression rules and benign marks that cover it now.",
                      metadata=operation("activity_reports:activities"))
    async def activities(
        self, info: Info,
        risk_levels: Annotated[list[ActivityRiskLevel] | None, strawberry.argument(
            description="Only activities at these risk levels.")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[ReportActivity]:
        seg = uuid_segment(self.key, "id")
        page = await info.context.services.call(
            "cases", "GET", f"/activity-reports/{seg}/activities", params={
                "risk_level": [lv.value for lv in risk_levels] if risk_levels else None,
                "cursor": after, "limit": page_size(first, MAX_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"),
                                ReportActivity.from_service, activity_cursor, after=after)


async def _get(info: Info, key: str) -> dict[str, Any]:
    seg = uuid_segment(key, "id")
    return await info.context.services.call("cases", "GET", f"/activity-reports/{seg}")


@node_resolver("ActivityReport")
async def activity_report_node(info: Info, key: str) -> ActivityReport:
    return ActivityReport.from_service(await _get(info, key))


@strawberry.type(description="A person's time-limited membership of a policy (scoring's "
                             "manual triggering).")
class PolicyMembership:
    id: strawberry.ID = strawberry.field(description="The membership, as scoring's REST API "
                                                     "names it.")
    policy_id: strawberry.ID = strawberry.field(description="Global id of the policy.")
    reason: str = strawberry.field(description="Why the person was added (with the report "
                                               "and investigator).")
    starts_on: date = strawberry.field(description="First day of the membership.")
    until: date = strawberry.field(description="Day the membership ends.")
    active: bool = strawberry.field(description="Whether it is in force.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PolicyMembership:
        return cls(id=strawberry.ID(str(data["id"])),
                   policy_id=to_global_id("Policy", str(data["policy_id"])),
                   reason=data["reason"], starts_on=date.fromisoformat(data["starts_on"]),
                   until=date.fromisoformat(data["until"]), active=bool(data["active"]))


# Inputs and payloads -----------------------------------------------------------------------

@strawberry.input(description="Ask for a user activity report (Investigators).")
class CreateActivityReportInput:
    subject_id: strawberry.ID = strawberry.field(
        description="The person: their global id (or subject id); in the caller's scope.")
    since: datetime = strawberry.field(description="Start of the window (inclusive).")
    until: datetime = strawberry.field(description=(
        "End of the window (exclusive): after `since`, at most 90 days later, not in the "
        "future."))


@strawberry.type(description="The report just asked for; follow its `state` and `progress`.")
class CreateActivityReportPayload(Payload):
    report: ActivityReport | None = strawberry.field(default=None, description="The report.")


@strawberry.input(description="Mark activities of a ready report benign: scoring stops "
                              "counting them and re-scores the person.")
class MarkReportActivitiesBenignInput:
    report_id: strawberry.ID = strawberry.field(description="The report.")
    event_ids: list[str] = strawberry.field(
        description="`eventId`s of the report's activities (1 to 500).")
    reason: str = strawberry.field(description="Why they are benign (5 to 1000 characters).")


@strawberry.type(description="The activities just marked benign.")
class MarkReportActivitiesBenignPayload(Payload):
    marked: list[str] | None = strawberry.field(
        default=None, description="Event ids marked by this request.")
    already_marked: list[str] | None = strawberry.field(
        default=None, description="Event ids that were marked before.")


@strawberry.input(description="Add the report's person to a policy for a limited time.")
class AddReportPersonToPolicyInput:
    report_id: strawberry.ID = strawberry.field(description="The report.")
    policy_id: strawberry.ID = strawberry.field(description="The policy.")
    days: int = strawberry.field(description="How long the person stays in it (1 to 30).")
    reason: str = strawberry.field(description="Why (5 to 1000 characters).")


@strawberry.type(description="The membership just made.")
class AddReportPersonToPolicyPayload(Payload):
    membership: PolicyMembership | None = strawberry.field(
        default=None, description="Scoring's record of the membership.")


@strawberry.input(description="Share a report with, or stop sharing it with, another "
                              "investigator (the report's creator only).")
class ShareActivityReportInput:
    report_id: strawberry.ID = strawberry.field(description="The report.")
    account_id: strawberry.ID = strawberry.field(
        description="An Investigator's staff account whose scope holds the person.")


@strawberry.type(description="The report with whom it is shared now.")
class ShareActivityReportPayload(Payload):
    report: ActivityReport | None = strawberry.field(default=None, description="The report.")


@strawberry.type
class ReportQuery:
    @strawberry.field(description="The caller's user activity reports and those shared with "
                                  "them, newest first (Investigators).",
                      metadata=operation("activity_reports:list"))
    async def activity_reports(
        self, info: Info,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[ActivityReport]:
        page = await info.context.services.call("cases", "GET", "/activity-reports", params={
            "cursor": after, "limit": page_size(first, MAX_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"),
                                ActivityReport.from_service,
                                lambda r: keyset_cursor(r["created_at"], r["id"]), after=after)

    @strawberry.field(description="A user activity report by id (its creator and those it is "
                                  "shared with).",
                      metadata=operation("activity_reports:get"))
    async def activity_report(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The report's id.")],
    ) -> ActivityReport:
        return await activity_report_node(info, decode_id(id, "ActivityReport", "id"))


@strawberry.type
class ReportMutation:
    @strawberry.mutation(description="Ask for a user activity report about any person in the "
                                     "caller's scope, no policy needed; a job builds it.",
                         metadata=operation("activity_reports:create"))
    async def create_activity_report(
        self, info: Info, input: Annotated[CreateActivityReportInput, INPUT],
    ) -> CreateActivityReportPayload:
        async def create() -> CreateActivityReportPayload:
            subject = decode_id(input.subject_id, "Person", "subjectId")
            data = await info.context.services.call("cases", "POST", "/activity-reports", json={
                "subject_id": subject, "from": input.since.isoformat(),
                "to": input.until.isoformat()})
            return CreateActivityReportPayload(report=ActivityReport.from_service(data))

        return await attempt(CreateActivityReportPayload, create)

    @strawberry.mutation(description="Mark activities of a ready report benign: scoring stops "
                                     "counting them and re-scores the person; the report "
                                     "shows them at level none.",
                         metadata=operation("activity_reports:benign"))
    async def mark_report_activities_benign(
        self, info: Info, input: Annotated[MarkReportActivitiesBenignInput, INPUT],
    ) -> MarkReportActivitiesBenignPayload:
        async def mark() -> MarkReportActivitiesBenignPayload:
            seg = uuid_segment(decode_id(input.report_id, "ActivityReport", "reportId"),
                               "reportId")
            data = await info.context.services.call(
                "cases", "POST", f"/activity-reports/{seg}/benign",
                json={"event_ids": list(input.event_ids), "reason": input.reason})
            return MarkReportActivitiesBenignPayload(
                marked=list(data["marked"]), already_marked=list(data["already_marked"]))

        return await attempt(MarkReportActivitiesBenignPayload, mark)

    @strawberry.mutation(description="Add the report's person to a policy for up to 30 days "
                                     "(the creator or an investigator it is shared with).",
                         metadata=operation("activity_reports:add_to_policy"))
    async def add_report_person_to_policy(
        self, info: Info, input: Annotated[AddReportPersonToPolicyInput, INPUT],
    ) -> AddReportPersonToPolicyPayload:
        async def add() -> AddReportPersonToPolicyPayload:
            seg = uuid_segment(decode_id(input.report_id, "ActivityReport", "reportId"),
                               "reportId")
            policy = decode_id(input.policy_id, "Policy", "policyId")
            data = await info.context.services.call(
                "cases", "POST", f"/activity-reports/{seg}/policy-membership",
                json={"policy_id": policy, "days": input.days, "reason": input.reason})
            return AddReportPersonToPolicyPayload(
                membership=PolicyMembership.from_service(data))

        return await attempt(AddReportPersonToPolicyPayload, add)

    @strawberry.mutation(description="Share a report with another investigator whose scope "
                                     "holds the person (the report's creator only).",
                         metadata=operation("activity_reports:share"))
    async def share_activity_report(
        self, info: Info, input: Annotated[ShareActivityReportInput, INPUT],
    ) -> ShareActivityReportPayload:
        async def share() -> ShareActivityReportPayload:
            seg = uuid_segment(decode_id(input.report_id, "ActivityReport", "reportId"),
                               "reportId")
            account = decode_id(input.account_id, "Account", "accountId")
            data = await info.context.services.call(
                "cases", "POST", f"/activity-reports/{seg}/shares",
                json={"account_id": account})
            return ShareActivityReportPayload(report=ActivityReport.from_service(data))

        return await attempt(ShareActivityReportPayload, share)

    @strawberry.mutation(description="Stop sharing a report with an investigator (the "
                                     "report's creator only).",
                         metadata=operation("activity_reports:unshare"))
    async def unshare_activity_report(
        self, info: Info, input: Annotated[ShareActivityReportInput, INPUT],
    ) -> ShareActivityReportPayload:
        async def unshare() -> ShareActivityReportPayload:
            seg = uuid_segment(decode_id(input.report_id, "ActivityReport", "reportId"),
                               "reportId")
            account = uuid_segment(decode_id(input.account_id, "Account", "accountId"),
                                   "accountId")
            data = await info.context.services.call(
                "cases", "DELETE", f"/activity-reports/{seg}/shares/{account}")
            return ShareActivityReportPayload(report=ActivityReport.from_service(data))

        return await attempt(ShareActivityReportPayload, unshare)
