"""Cases: the investigation of one person, with notes, opened by confirming alerts."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.context import Info
from gateway.schema.common import (
    INPUT,
    Connection,
    build_connection,
    keyset_cursor,
    page_size,
    parse_datetime,
    parse_optional_datetime,
)
from gateway.schema.people import Person, person_of

MAX_PAGE = 200


@strawberry.enum(description="Whether a case is still being worked on.")
class CaseStatus(Enum):
    ACTIVE = strawberry.enum_value("active", description="Open; notes and alerts may be added.")
    CLOSED = strawberry.enum_value("closed", description="Resolved and closed.")


@strawberry.enum(description="The outcome a case is closed with.")
class CaseClassification(Enum):
    BENIGN = strawberry.enum_value("benign", description="No policy violation after all.")
    CONFIRMED_VIOLATION = strawberry.enum_value(
        "confirmed_violation", description="A policy violation was confirmed.")


@strawberry.type(description="A note an analyst or investigator added to a case.")
class Note:
    id: strawberry.ID = strawberry.field(description="Note id.")
    case_id: strawberry.ID = strawberry.field(description="The case the note belongs to.")
    author: str = strawberry.field(description="Who wrote it (the account's subject, e.g. "
                                               "user:<id>).")
    body: str = strawberry.field(description="The text of the note.")
    created_at: datetime = strawberry.field(description="When it was written.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Note:
        return cls(id=strawberry.ID(str(data["id"])), case_id=strawberry.ID(str(data["case_id"])),
                   author=data["author"], body=data["body"],
                   created_at=parse_datetime(data["created_at"]))


@strawberry.type(description="An investigation of one person's activity, opened by confirming "
                             "one or more alerts.")
class Case:
    id: strawberry.ID = strawberry.field(description="Case id.")
    title: str = strawberry.field(description="Short title.")
    subject_id: strawberry.ID = strawberry.field(
        description="Subject id of the person the case concerns.")
    alias: str = strawberry.field(description="Alias of the person the case concerns.")
    status: CaseStatus = strawberry.field(description="Active or closed.")
    classification: CaseClassification | None = strawberry.field(
        description="Outcome; null while the case is active.")
    resolution: str | None = strawberry.field(
        description="What was done; null while the case is active.")
    created_by: str = strawberry.field(description="Who opened the case.")
    created_at: datetime = strawberry.field(description="When the case was opened.")
    updated_at: datetime = strawberry.field(description="When the case last changed.")
    closed_at: datetime | None = strawberry.field(description="When the case was closed.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Case:
        classification = data.get("classification")
        return cls(
            id=strawberry.ID(str(data["id"])), title=data["title"],
            subject_id=strawberry.ID(str(data["subject_id"])), alias=data["alias"],
            status=CaseStatus(data["status"]),
            classification=CaseClassification(classification) if classification else None,
            resolution=data.get("resolution"), created_by=data["created_by"],
            created_at=parse_datetime(data["created_at"]),
            updated_at=parse_datetime(data["updated_at"]),
            closed_at=parse_optional_datetime(data.get("closed_at")))

    @strawberry.field(description="The person the case concerns, pseudonymous unless revealed "
                                  "to the caller.")
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.subject_id, self.alias)

    @strawberry.field(description="The case's notes, oldest first.")
    async def notes(self, info: Info) -> list[Note]:
        return [Note.from_service(n) for n in await info.context.services.case_notes(self.id)]


async def case_by_id(info: Info, case_id: str) -> Case:
    """A case through the request's case loader."""
    return Case.from_service(await info.context.loaders.case.load(str(case_id)))


def remember_case(info: Info, data: dict[str, Any]) -> Case:
    """A case a mutation just changed: cached for the rest of the request, then returned."""
    info.context.loaders.case.prime(str(data["id"]), data, force=True)
    return Case.from_service(data)


@strawberry.input(description="Add a note to a case.")
class AddNoteInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    body: str = strawberry.field(description="The text (1 to 20000 characters).")


@strawberry.type(description="The note just added.")
class AddNotePayload:
    note: Note = strawberry.field(description="The new note.")

    @strawberry.field(description="The case the note was added to.")
    async def case(self, info: Info) -> Case:
        return await case_by_id(info, self.note.case_id)


@strawberry.input(description="Close a case with its outcome.")
class CloseCaseInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    classification: CaseClassification = strawberry.field(description="The outcome.")
    resolution: str = strawberry.field(
        description="What was done, e.g. 'HR informed; access revoked' (1 to 2000 characters).")


@strawberry.type(description="The case just closed.")
class CloseCasePayload:
    case: Case = strawberry.field(description="The closed case.")


@strawberry.type
class CaseQuery:
    @strawberry.field(description="Cases, newest first (Analysts and Investigators).")
    async def cases(
        self, info: Info,
        status: Annotated[CaseStatus | None, strawberry.argument(
            description="Only cases with this status.")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[Case]:
        page = await info.context.services.cases_list(
            status=status.value if status else None, cursor=after,
            limit=page_size(first, MAX_PAGE))
        return build_connection(page["items"], page.get("next_cursor"), Case.from_service,
                                lambda c: keyset_cursor(c["created_at"], c["id"]))

    @strawberry.field(description="A case by id.")
    async def case(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The case id.")],
    ) -> Case:
        return await case_by_id(info, id)


@strawberry.type
class CaseMutation:
    @strawberry.mutation(description="Add a note to an active case.")
    async def add_note(
        self, info: Info, input: Annotated[AddNoteInput, INPUT],
    ) -> AddNotePayload:
        note = await info.context.services.case_add_note(input.case_id, input.body)
        return AddNotePayload(note=Note.from_service(note))

    @strawberry.mutation(description="Close an active case with a classification and a "
                                     "resolution.")
    async def close_case(
        self, info: Info, input: Annotated[CloseCaseInput, INPUT],
    ) -> CloseCasePayload:
        data = await info.context.services.case_close(
            input.case_id, classification=input.classification.value,
            resolution=input.resolution)
        return CloseCasePayload(case=remember_case(info, data))
