"""Reveal requests: asked by an Investigator for a case, granted at once or, under the
two-person rule, approved or refused by a second Investigator or an Admin."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.context import Info, forget
from gateway.schema.common import (
    INPUT,
    Connection,
    build_connection,
    keyset_cursor,
    page_size,
    parse_datetime,
    parse_optional_datetime,
)
from gateway.schema.people import Person, PersonIdentity


@strawberry.enum(description="Where a reveal request stands.")
class RevealStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Waiting for a second approver.")
    GRANTED = strawberry.enum_value("granted", description="The requester may see the "
                                                           "identity until the grant expires.")
    REFUSED = strawberry.enum_value("refused", description="Refused by an approver.")
    EXPIRED = strawberry.enum_value("expired", description="Nobody decided within 24 hours.")


@strawberry.type(description="A request to reveal who a person is, for one case.")
class RevealRequest:
    id: strawberry.ID = strawberry.field(description="Request id.")
    subject_id: strawberry.ID = strawberry.field(description="Whom it reveals.")
    case_id: strawberry.ID = strawberry.field(description="The case it is for.")
    requested_by: str = strawberry.field(description="The requesting Investigator.")
    justification: str = strawberry.field(description="Why the identity is needed.")
    status: RevealStatus = strawberry.field(description="Where the request stands.")
    decided_by: str | None = strawberry.field(description="Who approved or refused it.")
    decision_reason: str | None = strawberry.field(description="The approver's reason.")
    created_at: datetime = strawberry.field(description="When it was asked.")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    grant_expires_at: datetime | None = strawberry.field(
        description="When the grant lapses (granted requests).")
    identity: PersonIdentity | None = strawberry.field(description=(
        "The identity, in the requester's own answer when granted at once; otherwise read "
        "`person` (each read under a grant is audited)."))

    @strawberry.field(description="The person as the caller now sees them.")
    async def person(self, info: Info) -> Person:
        return Person.from_service(await info.context.loaders.person.load(str(self.subject_id)))

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> RevealRequest:
        identity = data.get("identity")
        grant = data.get("grant") or {}
        return cls(
            id=strawberry.ID(str(data["id"])), subject_id=strawberry.ID(str(data["subject_id"])),
            case_id=strawberry.ID(str(data["case_id"])), requested_by=data["requested_by"],
            justification=data["justification"], status=RevealStatus(data["status"]),
            decided_by=data.get("decided_by"), decision_reason=data.get("decision_reason"),
            created_at=parse_datetime(data["created_at"]),
            decided_at=parse_optional_datetime(data.get("decided_at")),
            grant_expires_at=parse_optional_datetime(grant.get("expires_at")),
            identity=PersonIdentity(email=identity.get("email", ""),
                                    display_name=identity.get("display_name"),
                                    department=identity.get("department"),
                                    job_title=identity.get("job_title")) if identity else None)


@strawberry.input(description="Reveal a person's identity for a case.")
class RevealPersonInput:
    subject_id: strawberry.ID = strawberry.field(description="Whom to reveal.")
    case_id: strawberry.ID = strawberry.field(
        description="The active case concerning this person that the reveal is for.")
    justification: str = strawberry.field(
        description="Why the identity is needed (10 to 2000 characters); recorded in the "
                    "audit log.")


@strawberry.type
class RevealQuery:
    @strawberry.field(description="Reveal requests, newest first (Investigators, Admins); "
                                  "`status: PENDING` is the approvers' queue.")
    async def reveal_requests(
        self, info: Info,
        status: Annotated[RevealStatus | None, strawberry.argument(
            description="Only requests in this state.")] = None,
        subject_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only requests about this person.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size (1-200).")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from pageInfo.endCursor.")] = None,
    ) -> Connection[RevealRequest]:
        data = await info.context.services.reveal_requests(
            status=status.value if status else None,
            subject_id=str(subject_id) if subject_id else None, cursor=after,
            limit=page_size(first, 200))
        return build_connection(data["items"], data.get("next_cursor"),
                                RevealRequest.from_service,
                                lambda r: keyset_cursor(r["created_at"], r["id"]))


@strawberry.type
class RevealMutation:
    @strawberry.mutation(description="Ask to reveal a person's identity for an active case "
                                     "about them, with a justification (Investigators; "
                                     "audited). Granted at once, or PENDING under the "
                                     "two-person rule.")
    async def reveal_person(
        self, info: Info, input: Annotated[RevealPersonInput, INPUT],
    ) -> RevealRequest:
        data = await info.context.services.person_reveal(input.subject_id, input.case_id,
                                                         input.justification)
        forget(info.context.loaders.person, str(input.subject_id))
        return RevealRequest.from_service(data)

    @strawberry.mutation(description="Approve a pending reveal (a second Investigator or an "
                                     "Admin, never the requester; audited).")
    async def approve_reveal(
        self, info: Info,
        request_id: Annotated[strawberry.ID, strawberry.argument(description="The request.")],
        reason: Annotated[str | None, strawberry.argument(
            description="Why it is approved (optional).")] = None,
    ) -> RevealRequest:
        return RevealRequest.from_service(
            await info.context.services.reveal_decide(request_id, "approve", reason))

    @strawberry.mutation(description="Refuse a pending reveal, with a reason (audited).")
    async def refuse_reveal(
        self, info: Info,
        request_id: Annotated[strawberry.ID, strawberry.argument(description="The request.")],
        reason: Annotated[str, strawberry.argument(description="Why it is refused.")],
    ) -> RevealRequest:
        return RevealRequest.from_service(
            await info.context.services.reveal_decide(request_id, "refuse", reason))
