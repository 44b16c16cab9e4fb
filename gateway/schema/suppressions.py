"""Exclusions from scoring: suppression rules (stop counting some of a person's activity for a
while), benign marks (these events of a person are fine) and the excluded events they
produce, to mark on a timeline."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.clients import drop_none, text_segment, uuid_segment
from gateway.context import Info
from gateway.schema.alerts import Alert, alert_node
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
    person_segment,
    to_global_id,
)
from gateway.schema.payloads import Payload, attempt
from gateway.schema.people import Person, person_of
from services.kit.pagination import encode_cursor

MAX_PAGE = 200
MAX_EXCLUDED_PAGE = 1000
ACTIVITY_TYPES = ("Ingest's activity types, e.g. device.file_copied_to_usb (the list is in "
                  "contracts/events/activity-event.v1.schema.json).")


@strawberry.enum(description="Where a suppression rule is in its life.")
class SuppressionState(Enum):
    ACTIVE = strawberry.enum_value("active", description="Suppressing until `until`.")
    REVIEW_REQUIRED = strawberry.enum_value(
        "review_required", description="Its period is over; it waits for a review (renew or "
                                       "end). Activity counts again meanwhile.")
    ENDED = strawberry.enum_value("ended", description="Ended; activity counts again.")


@strawberry.enum(description="The decision of a suppression rule's review.")
class SuppressionDecision(Enum):
    RENEW = strawberry.enum_value("renew", description="Suppress for a new period.")
    END = strawberry.enum_value("end", description="End the rule.")


@strawberry.type(description="A period a suppression rule was in force.")
class SuppressionPeriod:
    start: datetime = strawberry.field(description="From.")
    end: datetime = strawberry.field(description="Until.")


@strawberry.type(description="A suppression rule: scoring stops counting some activity types "
                             "of one person for a while; the rule's hits are recorded.")
class Suppression(Node):
    subject_id: strawberry.ID = strawberry.field(description="The person's subject id.")
    alias: str = strawberry.field(description="The person's alias.")
    activity_types: list[str] = strawberry.field(description=f"Suppressed: {ACTIVITY_TYPES}")
    periods: list[SuppressionPeriod] = strawberry.field(
        description="The periods it suppressed (a renewal adds one), oldest first.")
    until: datetime = strawberry.field(description="End of the current period.")
    state: SuppressionState = strawberry.field(description="Where the rule is.")
    reason: str = strawberry.field(description="Why it was made.")
    alert_key: strawberry.Private[str | None]
    hit_count: int = strawberry.field(description="Events this rule has kept from counting.")
    last_hit_at: datetime | None = strawberry.field(
        description="When the latest of them happened.")
    created_by: str = strawberry.field(description="Who made it (the account's subject).")
    created_at: datetime = strawberry.field(description="When it was made.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    ended_at: datetime | None = strawberry.field(description="When it was ended.")
    ended_by: str | None = strawberry.field(description="Who ended it.")
    reviewed_at: datetime | None = strawberry.field(description="When it was last reviewed.")
    reviewed_by: str | None = strawberry.field(description="Who reviewed it.")
    review_decision: SuppressionDecision | None = strawberry.field(
        description="What the last review decided.")
    review_comment: str | None = strawberry.field(description="The last review's comment.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Suppression:
        decision = data.get("review_decision")
        return cls(
            key=str(data["id"]), subject_id=strawberry.ID(str(data["subject_id"])),
            alias=data["alias"], activity_types=list(data["activity_types"]),
            periods=[SuppressionPeriod(start=parse_datetime(p["start"]),
                                       end=parse_datetime(p["end"]))
                     for p in data.get("periods") or []],
            until=parse_datetime(data["until"]), state=SuppressionState(data["state"]),
            reason=data["reason"],
            alert_key=str(data["alert_id"]) if data.get("alert_id") else None,
            hit_count=int(data["hit_count"]),
            last_hit_at=parse_optional_datetime(data.get("last_hit_at")),
            created_by=data["created_by"], created_at=parse_datetime(data["created_at"]),
            updated_at=parse_datetime(data["updated_at"]),
            ended_at=parse_optional_datetime(data.get("ended_at")),
            ended_by=data.get("ended_by"),
            reviewed_at=parse_optional_datetime(data.get("reviewed_at")),
            reviewed_by=data.get("reviewed_by"),
            review_decision=SuppressionDecision(decision) if decision else None,
            review_comment=data.get("review_comment"))

    @strawberry.field(description="The global id of the alert that prompted the rule.")
    def alert_id(self) -> strawberry.ID | None:
        return to_global_id("Alert", self.alert_key) if self.alert_key else None

    @strawberry.field(description="The alert that prompted the rule, if one did.",
                      metadata=operation("alerts:get"))
    async def alert(self, info: Info) -> Alert | None:
        return await alert_node(info, self.alert_key) if self.alert_key else None

    @strawberry.field(description="The person, pseudonymous unless revealed to the caller.",
                      metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.subject_id, self.alias)


@node_resolver("Suppression")
async def suppression_node(info: Info, key: str) -> Suppression:
    seg = uuid_segment(key, "id")
    return Suppression.from_service(
        await info.context.services.call("scoring", "GET", f"/suppressions/{seg}"))


@strawberry.type(description="An event of a person marked benign: scoring does not count it.")
class BenignMark:
    mark_id: strawberry.ID = strawberry.field(description="The mark's id.")
    subject_id: strawberry.ID = strawberry.field(description="The person's subject id.")
    event_id: str = strawberry.field(description="The activity event marked.")
    occurred_at: datetime = strawberry.field(description="When the event happened.")
    reason: str = strawberry.field(description="Why it is benign.")
    report_id: strawberry.ID | None = strawberry.field(
        description="The user activity report the event was reviewed in, if any.")
    marked_by: str = strawberry.field(description="Who marked it (the account's subject).")
    created_at: datetime = strawberry.field(description="When it was marked.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> BenignMark:
        report = data.get("report_id")
        return cls(mark_id=strawberry.ID(str(data["id"])),
                   subject_id=strawberry.ID(str(data["subject_id"])),
                   event_id=data["event_id"], occurred_at=parse_datetime(data["occurred_at"]),
                   reason=data["reason"],
                   report_id=strawberry.ID(str(report)) if report else None,
                   marked_by=data["marked_by"], created_at=parse_datetime(data["created_at"]))


@strawberry.enum(description="What keeps an event from counting.")
class ExclusionKind(Enum):
    SUPPRESSION = strawberry.enum_value("suppression", description="A suppression rule.")
    BENIGN = strawberry.enum_value("benign", description="A benign mark.")


@strawberry.type(description="An event of a person that scoring read but does not count, "
                             "and the rule or mark that covers it.")
class ExcludedEvent:
    event_id: str = strawberry.field(description="The activity event.")
    subject_id: strawberry.ID = strawberry.field(description="The person's subject id.")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    type: str = strawberry.field(description="Its activity type.")
    kind: ExclusionKind = strawberry.field(description="What covers it.")
    suppression_key: strawberry.Private[str | None]
    benign_mark_id: strawberry.ID | None = strawberry.field(
        description="With kind BENIGN: the mark's id.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ExcludedEvent:
        mark = data.get("benign_mark_id")
        return cls(event_id=data["event_id"], subject_id=strawberry.ID(str(data["subject_id"])),
                   occurred_at=parse_datetime(data["occurred_at"]), type=data["type"],
                   kind=ExclusionKind(data["kind"]),
                   suppression_key=str(data["suppression_id"])
                   if data.get("suppression_id") else None,
                   benign_mark_id=strawberry.ID(str(mark)) if mark else None)

    @strawberry.field(description="With kind SUPPRESSION: the rule's global id.")
    def suppression_id(self) -> strawberry.ID | None:
        return to_global_id("Suppression", self.suppression_key) \
            if self.suppression_key else None

    @strawberry.field(description="With kind SUPPRESSION: the rule.",
                      metadata=operation("suppressions:get"))
    async def suppression(self, info: Info) -> Suppression | None:
        return await suppression_node(info, self.suppression_key) \
            if self.suppression_key else None


def _excluded_cursor(item: dict[str, Any]) -> str:
    """The cursor scoring would hand out after this event (occurred_at, event id, source)."""
    source = item.get("suppression_id") or item.get("benign_mark_id")
    return encode_cursor([parse_datetime(item["occurred_at"]).isoformat(), item["event_id"],
                          str(source)])


@strawberry.input(description="Stop counting some activity types of a person for a while "
                              "(Analysts and Investigators); the person is re-scored.")
class CreateSuppressionInput:
    subject_id: strawberry.ID = strawberry.field(
        description="The person (their id or subject id).")
    activity_types: list[str] = strawberry.field(
        description=f"1 to 20 activity types to suppress: {ACTIVITY_TYPES}")
    until: datetime = strawberry.field(
        description="Future, at most 90 days ahead; from then on the activity counts again "
                    "and the rule waits for a review.")
    reason: str = strawberry.field(description="Why (1 to 2000 characters).")
    since: datetime | None = strawberry.field(
        default=None, description="Suppress from this time (default now; at most 90 days "
                                  "back, to cover the activity that prompted an alert).")
    alert_id: strawberry.ID | None = strawberry.field(
        default=None, description="The alert that prompted the rule.")


@strawberry.type(description="The suppression rule just made.")
class CreateSuppressionPayload(Payload):
    suppression: Suppression | None = strawberry.field(default=None, description="The rule.")


@strawberry.input(description="End a suppression rule now.")
class EndSuppressionInput:
    suppression_id: strawberry.ID = strawberry.field(description="The rule.")
    comment: str | None = strawberry.field(
        default=None, description="Why (up to 2000 characters).")


@strawberry.type(description="The suppression rule just ended.")
class EndSuppressionPayload(Payload):
    suppression: Suppression | None = strawberry.field(default=None, description="The rule.")


@strawberry.input(description="The review an expired suppression rule waits for: renew it "
                              "for a new period, or end it.")
class ReviewSuppressionInput:
    suppression_id: strawberry.ID = strawberry.field(description="The rule.")
    decision: SuppressionDecision = strawberry.field(description="Renew or end.")
    comment: str = strawberry.field(description="Why (1 to 2000 characters).")
    until: datetime | None = strawberry.field(
        default=None, description="With RENEW (required): the end of the new period, future, "
                                  "at most 90 days ahead; not with END.")


@strawberry.type(description="The suppression rule just reviewed.")
class ReviewSuppressionPayload(Payload):
    suppression: Suppression | None = strawberry.field(default=None, description="The rule.")


@strawberry.input(description="Mark events of a person benign (Investigators): scoring stops "
                              "counting them and re-scores the person.")
class MarkActivitiesBenignInput:
    subject_id: strawberry.ID = strawberry.field(
        description="The person (their id or subject id).")
    event_ids: list[str] = strawberry.field(
        description="1 to 500 of the person's activity event ids; one that is not theirs "
                    "refuses the whole request.")
    reason: str = strawberry.field(description="Why they are benign (1 to 2000 characters).")
    report_id: strawberry.ID | None = strawberry.field(
        default=None, description="The user activity report they were reviewed in.")


@strawberry.type(description="What marking events benign did.")
class MarkActivitiesBenignPayload(Payload):
    marked: list[BenignMark] | None = strawberry.field(
        default=None, description="The marks this request made.")
    already_marked: list[str] | None = strawberry.field(
        default=None, description="Event ids that were marked before.")


@strawberry.input(description="Let a benign-marked event count again; the person is "
                              "re-scored.")
class UnmarkActivityBenignInput:
    subject_id: strawberry.ID = strawberry.field(
        description="The person (their id or subject id).")
    event_id: str = strawberry.field(description="The activity event.")


@strawberry.type(description="The event that counts again.")
class UnmarkActivityBenignPayload(Payload):
    event_id: str | None = strawberry.field(
        default=None, description="The event, no longer marked benign.")


@strawberry.type
class SuppressionQuery:
    @strawberry.field(description="Suppression rules, newest first; state REVIEW_REQUIRED is "
                                  "the reviewers' to-do list.",
                      metadata=operation("suppressions:list"))
    async def suppressions(
        self, info: Info,
        subject_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this person's rules (their id or subject id).")] = None,
        state: Annotated[SuppressionState | None, strawberry.argument(
            description="Only rules in this state.")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[Suppression]:
        page = await info.context.services.call("scoring", "GET", "/suppressions", params={
            "subject_id": person_segment(subject_id) if subject_id else None,
            "state": state.value if state else None, "cursor": after,
            "limit": page_size(first, MAX_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"),
                                Suppression.from_service,
                                lambda s: keyset_cursor(s["created_at"], s["id"]), after=after)

    @strawberry.field(description="A suppression rule by id.",
                      metadata=operation("suppressions:get"))
    async def suppression(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The rule's id.")],
    ) -> Suppression:
        return await suppression_node(info, decode_id(id, "Suppression", "id"))

    @strawberry.field(description="A person's benign-marked events, newest mark first "
                                  "(Investigators).",
                      metadata=operation("benign:list"))
    async def benign_activities(
        self, info: Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(
            description="The person (their id or subject id).")],
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[BenignMark]:
        page = await info.context.services.call(
            "scoring", "GET", f"/subjects/{person_segment(subject_id)}/benign-activities",
            params={"cursor": after, "limit": page_size(first, MAX_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"),
                                BenignMark.from_service,
                                lambda m: keyset_cursor(m["created_at"], m["id"]), after=after)

    @strawberry.field(description="Events of a person that scoring read but does not count, "
                                  "oldest first, each with the suppression rule or benign "
                                  "mark covering it (one item per rule or mark).",
                      metadata=operation("exclusions:list"))
    async def excluded_events(
        self, info: Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(
            description="The person (their id or subject id).")],
        from_: Annotated[datetime | None, strawberry.argument(
            name="from", description="Events at or after this time.")] = None,
        to: Annotated[datetime | None, strawberry.argument(
            description="Events before this time.")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_EXCLUDED_PAGE}.")] = 200,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[ExcludedEvent]:
        page = await info.context.services.call(
            "scoring", "GET", f"/subjects/{person_segment(subject_id)}/excluded-events",
            params={"from": from_.isoformat() if from_ else None,
                    "to": to.isoformat() if to else None, "cursor": after,
                    "limit": page_size(first, MAX_EXCLUDED_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"),
                                ExcludedEvent.from_service, _excluded_cursor, after=after)


@strawberry.type
class SuppressionMutation:
    @strawberry.mutation(description="Stop counting some activity types of a person until "
                                     "`until`; the person is re-scored. A person outside the "
                                     "caller's scope is not found.",
                         metadata=operation("suppressions:create"))
    async def create_suppression(
        self, info: Info, input: Annotated[CreateSuppressionInput, INPUT],
    ) -> CreateSuppressionPayload:
        async def create() -> CreateSuppressionPayload:
            body = drop_none({
                "subject_id": decode_id(input.subject_id, "Person", "subjectId"),
                "activity_types": input.activity_types, "until": input.until.isoformat(),
                "reason": input.reason,
                "since": input.since.isoformat() if input.since else None,
                "alert_id": decode_id(input.alert_id, "Alert", "alertId")
                if input.alert_id else None})
            data = await info.context.services.call("scoring", "POST", "/suppressions",
                                                    json=body)
            return CreateSuppressionPayload(suppression=Suppression.from_service(data))

        return await attempt(CreateSuppressionPayload, create)

    @strawberry.mutation(description="End a suppression rule now (a ConflictError once "
                                     "ended).",
                         metadata=operation("suppressions:end"))
    async def end_suppression(
        self, info: Info, input: Annotated[EndSuppressionInput, INPUT],
    ) -> EndSuppressionPayload:
        async def end() -> EndSuppressionPayload:
            seg = uuid_segment(decode_id(input.suppression_id, "Suppression",
                                         "suppressionId"), "suppressionId")
            data = await info.context.services.call(
                "scoring", "POST", f"/suppressions/{seg}/end",
                json=drop_none(dict(comment=input.comment)))
            return EndSuppressionPayload(suppression=Suppression.from_service(data))

        return await attempt(EndSuppressionPayload, end)

    @strawberry.mutation(description="Review an expired suppression rule: renew or end it (a "
                                     "ConflictError when it is not waiting for a review).",
                         metadata=operation("suppressions:review"))
    async def review_suppression(
        self, info: Info, input: Annotated[ReviewSuppressionInput, INPUT],
    ) -> ReviewSuppressionPayload:
        async def review() -> ReviewSuppressionPayload:
            seg = uuid_segment(decode_id(input.suppression_id, "Suppression",
                                         "suppressionId"), "suppressionId")
            data = await info.context.services.call(
                "scoring", "POST", f"/suppressions/{seg}/review", json=drop_none({
                    "decision": input.decision.value, "comment": input.comment,
                    "until": input.until.isoformat() if input.until else None}))
            return ReviewSuppressionPayload(suppression=Suppression.from_service(data))

        return await attempt(ReviewSuppressionPayload, review)

    @strawberry.mutation(description="Mark events of a person benign (Investigators): scoring "
                                     "stops counting them and re-scores the person.",
                         metadata=operation("benign:mark"))
    async def mark_activities_benign(
        self, info: Info, input: Annotated[MarkActivitiesBenignInput, INPUT],
    ) -> MarkActivitiesBenignPayload:
        async def mark() -> MarkActivitiesBenignPayload:
            subject = person_segment(input.subject_id)
            data = await info.context.services.call(
                "scoring", "POST", f"/subjects/{subject}/benign-activities",
                json=drop_none({"event_ids": input.event_ids, "reason": input.reason,
                                "report_id": decode_id(input.report_id, "ActivityReport",
                                                       "reportId")
                                if input.report_id else None}))
            return MarkActivitiesBenignPayload(
                marked=[BenignMark.from_service(m) for m in data["marked"]],
                already_marked=list(data["already_marked"]))

        return await attempt(MarkActivitiesBenignPayload, mark)

    @strawberry.mutation(description="Let a benign-marked event count again (Investigators); "
                                     "the person is re-scored.",
                         metadata=operation("benign:unmark"))
    async def unmark_activity_benign(
        self, info: Info, input: Annotated[UnmarkActivityBenignInput, INPUT],
    ) -> UnmarkActivityBenignPayload:
        async def unmark() -> UnmarkActivityBenignPayload:
            await info.context.services.call(
                "scoring", "DELETE", f"/subjects/{person_segment(input.subject_id)}"
                f"/benign-activities/{text_segment(input.event_id, 'eventId')}")
            return UnmarkActivityBenignPayload(event_id=input.event_id)

        return await attempt(UnmarkActivityBenignPayload, unmark)
