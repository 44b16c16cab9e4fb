"""Cases: the investigation of one person, opened by confirming alerts, with notes, evidence,
viewers it is shared with, notices sent from it and escalation exports, closed with a
classification and the action taken."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.clients import uuid_segment
from gateway.context import Info, forget
from gateway.errors import ServiceError
from gateway.schema.case_items import CaseItem, item_key, split_item_key
from gateway.schema.common import (
    AFTER,
    FIRST,
    INPUT,
    MAX_PAGE,
    Connection,
    Node,
    build_connection,
    decode_id,
    iso_or_none,
    list_connection,
    node_resolver,
    operation,
    page_size,
    parse_datetime,
    parse_optional_datetime,
    to_global_id,
)
from gateway.schema.evidence import Evidence, EvidenceMutation, EvidenceQuery, evidence_of
from gateway.schema.exports import Export, ExportMutation, ExportQuery, export_of
from gateway.schema.notices import Notice, NoticeMutation, NoticeQuery
from gateway.schema.payloads import Payload, attempt
from gateway.schema.people import Person, person_of
from gateway.schema.sharing import CaseViewer, SharingMutation
from services.kit.pagination import encode_cursor

if TYPE_CHECKING:
    from gateway.schema.activity import ContentItem, PersonActivity
    from gateway.schema.alerts import AlertStatus, Severity



@strawberry.enum(description="Whether a case is still being worked on.")
class CaseStatus(Enum):
    ACTIVE = strawberry.enum_value("active", description="Open; notes, evidence, alerts and "
                                                         "notices may be added.")
    CLOSED = strawberry.enum_value("closed", description="Closed with a classification and "
                                                         "the action taken.")


@strawberry.enum(description="The outcome a case is closed with.")
class CaseClassification(Enum):
    BENIGN = strawberry.enum_value("benign", description="No policy violation after all.")
    CONFIRMED_VIOLATION = strawberry.enum_value(
        "confirmed_violation", description="A policy violation was confirmed (the person's "
                                           "later scores get the previous-violation booster).")


@strawberry.enum(description="The order of the case list.")
class CaseSort(Enum):
    OPENED_DESC = strawberry.enum_value("-opened_at", description="Newest opened first.")
    OPENED_ASC = strawberry.enum_value("opened_at", description="Oldest opened first.")
    UPDATED_DESC = strawberry.enum_value("-updated_at",
                                         description="Most recently updated first.")
    UPDATED_ASC = strawberry.enum_value("updated_at",
                                        description="Least recently updated first.")


@strawberry.enum(description="The width of one point of a time series.")
class TimeBucket(Enum):
    DAY = strawberry.enum_value("day", description="One UTC day.")
    WEEK = strawberry.enum_value("week", description="One ISO week, from Monday (UTC).")


@strawberry.type(description="A note an analyst or investigator added to a case. Notes are "
                             "immutable: they cannot be edited or deleted.")
class Note(CaseItem):
    author: str = strawberry.field(description="Who wrote it (the account's subject, e.g. "
                                               "user:<id>).")
    body: str = strawberry.field(description="The text of the note.")
    created_at: datetime = strawberry.field(description="When it was written.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Note:
        return cls(key=item_key(data["case_id"], data["id"]), author=data["author"],
                   body=data["body"], created_at=parse_datetime(data["created_at"]))


@node_resolver("Note")
async def note_node(info: Info, key: str) -> Note:
    """Notes have no single read: the case's notes, and this one among them."""
    case_id, note_id = split_item_key(key, "id")
    for data in await _notes(info, case_id):
        if str(data["id"]) == note_id:
            return Note.from_service(data)
    raise ServiceError(404, "not_found", "no such note", service="cases")


@strawberry.type(description="An alert filed under a case, as everyone who may read the case "
                             "sees it: metadata only, without the score or its explanation "
                             "(reviewers get those with `alert(id: alertId)`).")
class CaseAlert:
    policy_key: strawberry.Private[str]
    raw_id: str = strawberry.field(description="The alert's REST id.")
    policy_name: str = strawberry.field(description="Name of the policy that raised it.")
    alias: str = strawberry.field(description="Alias of the person.")
    status: Annotated[AlertStatus, strawberry.lazy("gateway.schema.alerts")] = \
        strawberry.field(description="Where the alert is in triage.")
    severity: Annotated[Severity, strawberry.lazy("gateway.schema.alerts")] = \
        strawberry.field(description="Severity, from the score.")
    created_at: datetime = strawberry.field(description="When it was detected.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @strawberry.field(description="The alert's global id: pass it to `alert(id:)` or "
                                  "`node(id:)` for the full alert (Analysts and "
                                  "Investigators; a case viewer is refused).")
    def alert_id(self) -> strawberry.ID:
        return to_global_id("Alert", self.raw_id)

    @strawberry.field(description="The policy's global id (Policy).")
    def policy_id(self) -> strawberry.ID:
        return to_global_id("Policy", self.policy_key)

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> CaseAlert:
        from gateway.schema.alerts import AlertStatus, Severity

        return cls(raw_id=str(data["id"]), policy_key=str(data["policy_id"]),
                   policy_name=data["policy_name"], alias=data["alias"],
                   status=AlertStatus(data["status"]), severity=Severity(data["severity"]),
                   created_at=parse_datetime(data["created_at"]),
                   updated_at=parse_datetime(data["updated_at"]))


@strawberry.type(description="An investigation of one person's activity, opened by confirming "
                             "one or more alerts.")
class Case(Node):
    title: str = strawberry.field(description="Short title.")
    subject_id: strawberry.ID = strawberry.field(
        description="Subject id of the person the case concerns (see `person`).")
    alias: str = strawberry.field(description="Alias of the person the case concerns.")
    status: CaseStatus = strawberry.field(description="Active or closed.")
    classification: CaseClassification | None = strawberry.field(
        description="Outcome; null while the case is active.")
    action_taken: str | None = strawberry.field(
        description="What was done when the case was closed, e.g. 'HR informed; access "
                    "revoked'; null while the case is active.")
    resolution: str | None = strawberry.field(
        description="The action taken, under its old name.",
        deprecation_reason="Use `actionTaken`.")
    alert_count: int = strawberry.field(description="Alerts filed under the case.")
    created_by: str = strawberry.field(description="Who opened the case.")
    created_at: datetime = strawberry.field(description="When the case was opened.")
    updated_at: datetime = strawberry.field(
        description="When the case last changed: opened, a note, evidence, an alert added, "
                    "closed.")
    closed_at: datetime | None = strawberry.field(description="When the case was closed.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Case:
        classification = data.get("classification")
        action = data.get("action_taken") or data.get("resolution")
        return cls(
            key=str(data["id"]), title=data["title"],
            subject_id=strawberry.ID(str(data["subject_id"])), alias=data["alias"],
            status=CaseStatus(data["status"]),
            classification=CaseClassification(classification) if classification else None,
            action_taken=action, resolution=action,
            alert_count=int(data.get("alert_count") or 0), created_by=data["created_by"],
            created_at=parse_datetime(data["created_at"]),
            updated_at=parse_datetime(data["updated_at"]),
            closed_at=parse_optional_datetime(data.get("closed_at")))

    @strawberry.field(description="The person the case concerns, pseudonymous unless revealed "
                                  "to the caller.", metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.subject_id, self.alias)

    @strawberry.field(description="The case's notes, oldest first.",
                      metadata=operation("cases:notes"))
    async def notes(
            self, info: Info, first: Annotated[int, FIRST] = 50,
            after: Annotated[str | None, AFTER] = None) -> Connection[Note] | None:
        return list_connection(await _notes(info, self.key), Note.from_service, first=first,
                               after=after, maximum=MAX_PAGE)

    @strawberry.field(description="The case's alerts, metadata only: what everyone who may "
                                  "read the case (a case viewer too) may see.",
                      metadata=operation("cases:alerts"))
    async def alerts(
            self, info: Info, first: Annotated[int, FIRST] = 50,
            after: Annotated[str | None, AFTER] = None) -> Connection[CaseAlert] | None:
        return list_connection(await self._items(info, "alerts"), CaseAlert.from_service,
                               first=first, after=after, maximum=MAX_PAGE)

    @strawberry.field(description="The files attached to the case as evidence, oldest first "
                                  "(Analysts and Investigators; a case viewer is refused).",
                      metadata=operation("evidence:list"))
    async def evidence(
            self, info: Info, first: Annotated[int, FIRST] = 50,
            after: Annotated[str | None, AFTER] = None) -> Connection[Evidence] | None:
        return list_connection(await self._items(info, "evidence"),
                               lambda e: evidence_of(info, e), first=first, after=after,
                               maximum=MAX_PAGE)

    @strawberry.field(description="The case viewers (HR or Legal contacts) the case is shared "
                                  "with.", metadata=operation("viewers:list"))
    async def viewers(
            self, info: Info, first: Annotated[int, FIRST] = 50,
            after: Annotated[str | None, AFTER] = None) -> Connection[CaseViewer] | None:
        return list_connection(await self._items(info, "viewers"), CaseViewer.from_service,
                               first=first, after=after, maximum=MAX_PAGE)

    @strawberry.field(description="The notices sent from the case, oldest first, as rendered, "
                                  "with their delivery state.",
                      metadata=operation("notices:of_case"))
    async def notices(
            self, info: Info, first: Annotated[int, FIRST] = 50,
            after: Annotated[str | None, AFTER] = None) -> Connection[Notice] | None:
        return list_connection(await self._items(info, "notices"), Notice.from_service,
                               first=first, after=after, maximum=MAX_PAGE)

    @strawberry.field(description="The escalation exports of the case.",
                      metadata=operation("exports:list"))
    async def exports(
            self, info: Info, first: Annotated[int, FIRST] = 50,
            after: Annotated[str | None, AFTER] = None) -> Connection[Export] | None:
        return list_connection(await self._items(info, "exports"),
                               lambda x: export_of(info, x), first=first, after=after,
                               maximum=MAX_PAGE)

    async def _items(self, info: Info, kind: str) -> list[dict[str, Any]]:
        """One of the case's lists; the service answers with all of it, paged here."""
        seg = uuid_segment(self.key, "caseId")
        return await info.context.services.call("cases", "GET", f"/cases/{seg}/{kind}")

    @strawberry.field(description="The activity of the case's person in the case window, "
                                  "newest first, each with its risk level (Analysts and "
                                  "Investigators, never case viewers). `caseActivity` has "
                                  "every filter.",
                      metadata=operation("cases:activity"))
    async def activity(
        self, info: Info,
        since: Annotated[datetime | None, strawberry.argument(
            description="From this time (default: the start of the case window).")] = None,
        until: Annotated[datetime | None, strawberry.argument(
            description="Up to this time (default: the end of the case window).")] = None,
        first: Annotated[int, strawberry.argument(description="Page size, 1 to 200.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page.")] = None,
    ) -> Connection[Annotated[PersonActivity, strawberry.lazy("gateway.schema.activity")]] \
            | None:
        from gateway.schema.activity import case_activity_of

        return await case_activity_of(info, self.key, since=since, until=until, first=first,
                                      after=after)

    @strawberry.field(description="The content explorer: the files, emails and URLs of the "
                                  "person's activity in the case window (Investigators only; "
                                  "an Analyst's refusal is audited). `caseContent` has every "
                                  "filter.",
                      metadata=operation("cases:content"))
    async def content(
        self, info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 1 to 200.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page.")] = None,
    ) -> Connection[Annotated[ContentItem, strawberry.lazy("gateway.schema.activity")]] \
            | None:
        from gateway.schema.activity import case_content_of

        return await case_content_of(info, self.key, first=first, after=after)


async def _notes(info: Info, case_id: str) -> list[dict[str, Any]]:
    seg = uuid_segment(case_id, "caseId")
    return await info.context.services.call("cases", "GET", f"/cases/{seg}/notes")


async def case_by_id(info: Info, case_id: str) -> Case:
    """A case through the request's case loader."""
    return Case.from_service(await info.context.loaders.case.load(str(case_id)))


@node_resolver("Case")
async def case_node(info: Info, key: str) -> Case:
    return await case_by_id(info, key)


def remember_case(info: Info, data: dict[str, Any]) -> Case:
    """A case a mutation just changed: cached for the rest of the request, then returned."""
    info.context.loaders.case.prime(str(data["id"]), data, force=True)
    return Case.from_service(data)


@strawberry.type(description="How many cases there are of one status.")
class CaseStatusCount:
    status: CaseStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="Cases with it.")


@strawberry.type(description="How many cases closed in the window had one classification.")
class CaseClassificationCount:
    classification: CaseClassification = strawberry.field(description="The classification.")
    count: int = strawberry.field(description="Cases closed in the window with it.")


@strawberry.type(description="Case figures within the caller's access scope.")
class CaseStats:
    by_status: list[CaseStatusCount] = strawberry.field(
        description="Cases by status now (all time).")
    by_classification: list[CaseClassificationCount] = strawberry.field(
        description="The cases closed in the window, by classification.")
    closed_in_window: int = strawberry.field(description="Cases closed in the window.")
    mean_time_to_close_seconds: float | None = strawberry.field(
        description="Mean time from opening to closing of the cases closed in the window, in "
                    "seconds; null when none closed.")
    median_time_to_close_seconds: float | None = strawberry.field(
        description="Median of the same; null when none closed.")
    window_from: datetime = strawberry.field(description="Start of the window (included).")
    window_to: datetime = strawberry.field(description="End of the window (excluded).")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> CaseStats:
        return cls(
            by_status=[CaseStatusCount(status=CaseStatus(s), count=int(n))
                       for s, n in data["by_status"].items()],
            by_classification=[CaseClassificationCount(classification=CaseClassification(c),
                                                       count=int(n))
                               for c, n in data["by_classification"].items()],
            closed_in_window=int(data["closed_in_window"]),
            mean_time_to_close_seconds=data.get("mean_time_to_close_s"),
            median_time_to_close_seconds=data.get("median_time_to_close_s"),
            window_from=parse_datetime(data["window_from"]),
            window_to=parse_datetime(data["window_to"]))


@strawberry.type(description="The cases open at the end of one bucket.")
class OpenCasesPoint:
    bucket_start: datetime = strawberry.field(description="Start of the bucket.")
    bucket_end: datetime = strawberry.field(description="End of the bucket.")
    open: int = strawberry.field(description="Cases open at the bucket's end: opened before "
                                             "it and not closed by then.")


@strawberry.type(description="Open cases over time, one point per day or week.")
class OpenCasesSeries:
    bucket: TimeBucket = strawberry.field(description="The width of each point.")
    points: list[OpenCasesPoint] = strawberry.field(description="The points, oldest first.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> OpenCasesSeries:
        return cls(bucket=TimeBucket(data["bucket"]), points=[
            OpenCasesPoint(bucket_start=parse_datetime(p["bucket_start"]),
                           bucket_end=parse_datetime(p["bucket_end"]), open=int(p["open"]))
            for p in data["points"]])


def _case_cursor(sort: CaseSort) -> Callable[[dict[str, Any]], str]:
    """The cursor the cases service would hand out after a case in this sort, so a client may
    resume after any edge, not only the last."""
    column = "created_at" if sort in (CaseSort.OPENED_ASC, CaseSort.OPENED_DESC) \
        else "updated_at"
    return lambda c: encode_cursor([sort.value, parse_datetime(c[column]).isoformat(),
                                    str(c["id"])])



@strawberry.input(description="Add a note to a case.")
class AddNoteInput:
    case_id: strawberry.ID = strawberry.field(description="The active case.")
    body: str = strawberry.field(description="The text (1 to 20000 characters).")


@strawberry.type(description="The note just added.")
class AddNotePayload(Payload):
    note: Note | None = strawberry.field(default=None, description="The new note.")

    @strawberry.field(description="The case the note was added to.",
                      metadata=operation("cases:get"))
    async def case(self, info: Info) -> Case | None:
        return await case_by_id(info, self.note.case_key) if self.note else None


@strawberry.input(description="Close a case with its outcome.")
class CloseCaseInput:
    case_id: strawberry.ID = strawberry.field(description="The active case.")
    classification: CaseClassification = strawberry.field(description="The outcome.")
    action_taken: str = strawberry.field(
        description="What was done, e.g. 'HR informed; access revoked' (1 to 2000 characters, "
                    "not blank).")


@strawberry.type(description="The case just closed.")
class CloseCasePayload(Payload):
    case: Case | None = strawberry.field(default=None, description="The closed case.")


@strawberry.type
class CaseQuery(EvidenceQuery, NoticeQuery, ExportQuery):
    """Cases and what is filed under them (one base of the schema's Query)."""

    @strawberry.field(description="Cases in the caller's scope (Analysts and Investigators; a "
                                  "case viewer sees the cases shared with it), filtered and "
                                  "sorted. A cursor is valid only for the sort it came with.",
                      metadata=operation("cases:list"))
    async def cases(
        self, info: Info,
        status: Annotated[CaseStatus | None, strawberry.argument(
            description="Only cases with this status.")] = None,
        opened_from: Annotated[datetime | None, strawberry.argument(
            description="Only cases opened at or after this time.")] = None,
        opened_to: Annotated[datetime | None, strawberry.argument(
            description="Only cases opened before this time.")] = None,
        updated_from: Annotated[datetime | None, strawberry.argument(
            description="Only cases last updated at or after this time.")] = None,
        updated_to: Annotated[datetime | None, strawberry.argument(
            description="Only cases last updated before this time.")] = None,
        sort: Annotated[CaseSort, strawberry.argument(
            description="The order; newest opened first by default.")] = CaseSort.OPENED_DESC,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page of the same sort (`endCursor` or an "
                        "edge's cursor).")] = None,
    ) -> Connection[Case]:
        page = await info.context.services.call("cases", "GET", "/cases", params={
            "status": status.value if status else None, "opened_from": iso_or_none(opened_from),
            "opened_to": iso_or_none(opened_to), "updated_from": iso_or_none(updated_from),
            "updated_to": iso_or_none(updated_to), "sort": sort.value, "cursor": after,
            "limit": page_size(first, MAX_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"), Case.from_service,
                                _case_cursor(sort), after=after)

    @strawberry.field(description="A case by id.", metadata=operation("cases:get"))
    async def case(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The case's id.")],
    ) -> Case:
        return await case_by_id(info, decode_id(id, "Case", "id"))

    @strawberry.field(description="Cases by status now, and for the cases closed in "
                                  "[from, to) (default: the last 30 days) their "
                                  "classifications and time to close; within the caller's "
                                  "scope (Analysts and Investigators).",
                      metadata=operation("cases:stats"))
    async def case_stats(
        self, info: Info,
        from_: Annotated[datetime | None, strawberry.argument(
            name="from", description="Start of the window (default: 30 days before `to`).")]
            = None,
        to: Annotated[datetime | None, strawberry.argument(
            description="End of the window, excluded (default: now).")] = None,
    ) -> CaseStats:
        return CaseStats.from_service(await info.context.services.call(
            "cases", "GET", "/cases/stats",
            params={"from": iso_or_none(from_), "to": iso_or_none(to)}))

    @strawberry.field(description="The cases open at the end of each UTC day or ISO week from "
                                  "`from` to `to` (default: the last 30 days; at most 400 "
                                  "buckets), within the caller's scope.",
                      metadata=operation("cases:open_over_time"))
    async def open_cases_over_time(
        self, info: Info,
        from_: Annotated[datetime | None, strawberry.argument(
            name="from", description="The first bucket holds this time (default: 30 days "
                                     "before `to`).")] = None,
        to: Annotated[datetime | None, strawberry.argument(
            description="The last bucket holds this time (default: now).")] = None,
        bucket: Annotated[TimeBucket, strawberry.argument(
            description="Days or weeks.")] = TimeBucket.DAY,
    ) -> OpenCasesSeries:
        return OpenCasesSeries.from_service(await info.context.services.call(
            "cases", "GET", "/cases/open-over-time",
            params={"from": iso_or_none(from_), "to": iso_or_none(to), "bucket": bucket.value}))


@strawberry.type
class CaseMutation(EvidenceMutation, NoticeMutation, ExportMutation, SharingMutation):
    """Cases and what is filed under them (one base of the schema's Mutation)."""

    @strawberry.mutation(description="Add a note to an active case (notes are immutable).",
                         metadata=operation("cases:add_note"))
    async def add_note(
        self, info: Info, input: Annotated[AddNoteInput, INPUT],
    ) -> AddNotePayload:
        async def add() -> AddNotePayload:
            seg = uuid_segment(decode_id(input.case_id, "Case", "caseId"), "caseId")
            data = await info.context.services.call("cases", "POST", f"/cases/{seg}/notes",
                                                    json={"body": input.body})
            forget(info.context.loaders.case, seg)  # its updatedAt moved
            return AddNotePayload(note=Note.from_service(data))

        return await attempt(AddNotePayload, add)

    @strawberry.mutation(description="Close an active case with a classification and the "
                                     "action taken.", metadata=operation("cases:close"))
    async def close_case(
        self, info: Info, input: Annotated[CloseCaseInput, INPUT],
    ) -> CloseCasePayload:
        async def close() -> CloseCasePayload:
            seg = uuid_segment(decode_id(input.case_id, "Case", "caseId"), "caseId")
            data = await info.context.services.call(
                "cases", "POST", f"/cases/{seg}/close",
                json={"classification": input.classification.value,
                      "action_taken": input.action_taken})
            return CloseCasePayload(case=remember_case(info, data))

        return await attempt(CloseCasePayload, close)
