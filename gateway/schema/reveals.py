"""Reveal requests: asked by an Investigator for a case, granted at once or, under the
two-person rule, approved or refused by a second Investigator or an Admin."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.clients import uuid_segment
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
    parse_datetime,
    parse_optional_datetime,
    person_segment,
    to_global_id,
)
from gateway.schema.payloads import Payload, attempt
from gateway.schema.people import Person, PersonIdentity, person_node

MAX_PAGE = 200


@strawberry.enum(description="Where a reveal request stands.")
class RevealStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Waiting for a second approver.")
    GRANTED = strawberry.enum_value("granted", description="The requester may see the "
                                                           "identity until the grant expires.")
    REFUSED = strawberry.enum_value("refused", description="Refused by an approver.")
    EXPIRED = strawberry.enum_value("expired", description="Nobody decided within 24 hours.")


@strawberry.type(description="A request to reveal who a person is, for one case.")
class RevealRequest(Node):
    subject_key: strawberry.Private[str]
    case_key: strawberry.Private[str]
    requested_by: str = strawberry.field(description="The requesting Investigator, e.g. "
                                                     "user:<id>.")
    justification: str = strawberry.field(description="Why the identity is needed.")
    status: RevealStatus = strawberry.field(description="Where the request stands.")
    decided_by: str | None = strawberry.field(description="Who approved or refused it.")
    decision_reason: str | None = strawberry.field(description="The approver's reason.")
    created_at: datetime = strawberry.field(description="When it was asked.")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    grant_expires_at: datetime | None = strawberry.field(
        description="When the grant lapses (granted requests).")
    identity: PersonIdentity | None = strawberry.field(description=(
        "The identity, only in the requester's own `revealPerson` answer when granted at "
        "once; otherwise read `person` (each read under a grant is audited)."))

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> RevealRequest:
        identity = data.get("identity")
        grant = data.get("grant") or {}
        return cls(
            key=str(data["id"]), subject_key=str(data["subject_id"]),
            case_key=str(data["case_id"]), requested_by=data["requested_by"],
            justification=data["justification"], status=RevealStatus(data["status"]),
            decided_by=data.get("decided_by"), decision_reason=data.get("decision_reason"),
            created_at=parse_datetime(data["created_at"]),
            decided_at=parse_optional_datetime(data.get("decided_at")),
            grant_expires_at=parse_optional_datetime(grant.get("expires_at")),
            identity=PersonIdentity.from_service(identity) if identity else None)

    @strawberry.field(description="Global id of the case the request is for (readable by "
                                  "roles that may not open the case, e.g. an Admin "
                                  "approver).")
    def case_id(self) -> strawberry.ID:
        return to_global_id("Case", self.case_key)

    @strawberry.field(description="The case it is for (FORBIDDEN for roles that do not read "
                                  "cases, e.g. Admins: use `caseId`).",
                      metadata=operation("cases:get"))
    async def case(self, info: Info) -> Case | None:
        return await case_by_id(info, self.case_key)

    @strawberry.field(description="The person as the caller now sees them (null with an "
                                  "error when they may not, e.g. outside their scope).",
                      metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_node(info, self.subject_key)


async def _reveal(info: Info, key: str) -> RevealRequest:
    seg = uuid_segment(key, "id")
    return RevealRequest.from_service(
        await info.context.services.call("identity", "GET", f"/reveal-requests/{seg}"))


@node_resolver("RevealRequest")
async def reveal_node(info: Info, key: str) -> RevealRequest:
    return await _reveal(info, key)


@strawberry.input(description="Reveal a person's identity for a case.")
class RevealPersonInput:
    person_id: strawberry.ID = strawberry.field(description="Whom to reveal (a Person id).")
    case_id: strawberry.ID = strawberry.field(
        description="The active case concerning this person that the reveal is for.")
    justification: str = strawberry.field(
        description="Why the identity is needed (10 to 2000 characters); recorded in the "
                    "audit log.")


@strawberry.type(description="The result of revealPerson.")
class RevealPersonPayload(Payload):
    request: RevealRequest | None = strawberry.field(
        default=None, description="The request: GRANTED with `identity`, or PENDING under "
                                  "the two-person rule.")


@strawberry.input(description="Approve a pending reveal request.")
class ApproveRevealInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    reason: str | None = strawberry.field(default=None,
                                          description="Why it is approved (optional).")


@strawberry.type(description="The result of approveReveal.")
class ApproveRevealPayload(Payload):
    request: RevealRequest | None = strawberry.field(
        default=None, description="The request, now GRANTED.")


@strawberry.input(description="Refuse a pending reveal request.")
class RefuseRevealInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    reason: str = strawberry.field(description="Why it is refused (3 to 2000 characters).")


@strawberry.type(description="The result of refuseReveal.")
class RefuseRevealPayload(Payload):
    request: RevealRequest | None = strawberry.field(
        default=None, description="The request, now REFUSED.")


async def _decide(info: Info, request_id: strawberry.ID, decision: str,
                  reason: str | None) -> RevealRequest:
    seg = uuid_segment(decode_id(request_id, "RevealRequest", "requestId"), "requestId")
    body = {"reason": reason} if reason is not None else {}
    data = await info.context.services.call(
        "identity", "POST", f"/reveal-requests/{seg}/{decision}", json=body)
    forget(info.context.loaders.person, str(data["subject_id"]))
    return RevealRequest.from_service(data)


@strawberry.type
class RevealQuery:
    @strawberry.field(description="Reveal requests about people in the caller's scope, "
                                  "newest first (Investigators, Admins); `status: PENDING` is "
                                  "the approvers' queue.",
                      metadata=operation("reveals:list"))
    async def reveal_requests(
        self, info: Info,
        status: Annotated[RevealStatus | None, strawberry.argument(
            description="Only requests in this state.")] = None,
        person_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only requests about this person.")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[RevealRequest]:
        subject = decode_id(person_id, "Person", "personId") if person_id else None
        data = await info.context.services.call("identity", "GET", "/reveal-requests", params={
            "status": status.value if status else None, "subject_id": subject,
            "cursor": after, "limit": page_size(first, MAX_PAGE)})
        return build_connection(data["items"], data.get("next_cursor"),
                                RevealRequest.from_service,
                                lambda r: keyset_cursor(r["created_at"], r["id"]), after=after)

    @strawberry.field(description="A reveal request (Investigators, Admins).",
                      metadata=operation("reveals:get"))
    async def reveal_request(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The request's id.")],
    ) -> RevealRequest:
        return await _reveal(info, decode_id(id, "RevealRequest", "id"))


@strawberry.type
class RevealMutation:
    @strawberry.mutation(description="Ask to reveal a person's identity for an active case "
                                     "about them, with a justification (Investigators; "
                                     "audited). Granted at once, or PENDING under the "
                                     "two-person rule.",
                         metadata=operation("people:reveal"))
    async def reveal_person(
        self, info: Info, input: Annotated[RevealPersonInput, INPUT],
    ) -> RevealPersonPayload:
        async def work() -> RevealPersonPayload:
            subject = person_segment(input.person_id, "personId")
            case = decode_id(input.case_id, "Case", "caseId")
            data = await info.context.services.call(
                "identity", "POST", f"/people/{subject}/reveal",
                json={"case_id": case, "justification": input.justification})
            forget(info.context.loaders.person, subject)
            return RevealPersonPayload(request=RevealRequest.from_service(data))

        return await attempt(RevealPersonPayload, work)

    @strawberry.mutation(description="Approve a pending reveal (a second Investigator or an "
                                     "Admin, never the requester; audited).",
                         metadata=operation("reveals:approve"))
    async def approve_reveal(
        self, info: Info, input: Annotated[ApproveRevealInput, INPUT],
    ) -> ApproveRevealPayload:
        async def work() -> ApproveRevealPayload:
            return ApproveRevealPayload(
                request=await _decide(info, input.request_id, "approve", input.reason))

        return await attempt(ApproveRevealPayload, work)

    @strawberry.mutation(description="Refuse a pending reveal, with a reason (a second "
                                     "Investigator or an Admin; audited).",
                         metadata=operation("reveals:refuse"))
    async def refuse_reveal(
        self, info: Info, input: Annotated[RefuseRevealInput, INPUT],
    ) -> RefuseRevealPayload:
        async def work() -> RefuseRevealPayload:
            return RefuseRevealPayload(
                request=await _decide(info, input.request_id, "refuse", input.reason))

        return await attempt(RefuseRevealPayload, work)
