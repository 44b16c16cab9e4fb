"""Case sharing: a reviewer gives a case viewer (an HR or Legal contact holding the CaseViewer
role) read access to one case — the case, its notes and its alerts' metadata, never content —
and takes it back. Effective on the viewer's next request; audited."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.clients import uuid_segment
from gateway.context import Info
from gateway.schema.common import INPUT, decode_id, operation, parse_datetime, to_global_id
from gateway.schema.payloads import Payload, attempt

if TYPE_CHECKING:
    from gateway.schema.cases import Case


@strawberry.type(description="A case viewer a case is shared with.")
class CaseViewer:
    case_key: strawberry.Private[str]
    account_key: strawberry.Private[str]
    reason: str = strawberry.field(description="Why they have access, e.g. 'HR business "
                                               "partner'.")
    shared_by: str = strawberry.field(description="Who shared it (account subject).")
    created_at: datetime = strawberry.field(description="When it was shared.")

    @strawberry.field(description="The viewer's staff account, as a global Account id (pass "
                                  "it to `unshareCase`).")
    def account_id(self) -> strawberry.ID:
        return to_global_id("Account", self.account_key)

    @strawberry.field(description="The viewer's staff account id as the REST APIs use it.")
    def account_raw_id(self) -> str:
        return self.account_key

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> CaseViewer:
        return cls(case_key=str(data["case_id"]), account_key=str(data["account_id"]),
                   reason=data["reason"], shared_by=data["shared_by"],
                   created_at=parse_datetime(data["created_at"]))


@strawberry.input(description="Share a case with a case viewer.")
class ShareCaseInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    account_id: strawberry.ID = strawberry.field(
        description="A staff account holding the CaseViewer role (its global Account id or "
                    "its UUID).")
    reason: str = strawberry.field(description="Why they need it, e.g. 'HR business partner' "
                                               "(1 to 500 characters).")


@strawberry.type(description="The share just made.")
class ShareCasePayload(Payload):
    viewer: CaseViewer | None = strawberry.field(default=None, description="The new share.")

    @strawberry.field(description="The case now shared.", metadata=operation("cases:get"))
    async def case(self, info: Info) -> Annotated[Case, strawberry.lazy(
            "gateway.schema.cases")] | None:
        from gateway.schema.cases import case_by_id

        return await case_by_id(info, self.viewer.case_key) if self.viewer else None


@strawberry.input(description="Take a case viewer's access to a case back.")
class UnshareCaseInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    account_id: strawberry.ID = strawberry.field(
        description="The viewer's account (`CaseViewer.accountId` or its UUID).")


@strawberry.type(description="The share just revoked.")
class UnshareCasePayload(Payload):
    case_key: strawberry.Private[str | None] = None

    @strawberry.field(description="The case, no longer shared with that viewer.",
                      metadata=operation("cases:get"))
    async def case(self, info: Info) -> Annotated[Case, strawberry.lazy(
            "gateway.schema.cases")] | None:
        from gateway.schema.cases import case_by_id

        return await case_by_id(info, self.case_key) if self.case_key else None


@strawberry.type
class SharingMutation:
    @strawberry.mutation(description="Give a case viewer read access to one case: the case, "
                                     "its notes and its alerts' metadata, never content. "
                                     "Audited; effective at once.",
                         metadata=operation("viewers:add"))
    async def share_case(
        self, info: Info, input: Annotated[ShareCaseInput, INPUT],
    ) -> ShareCasePayload:
        async def share() -> ShareCasePayload:
            seg = uuid_segment(decode_id(input.case_id, "Case", "caseId"), "caseId")
            account = uuid_segment(decode_id(input.account_id, "Account", "accountId"),
                                   "accountId")
            data = await info.context.services.call(
                "cases", "POST", f"/cases/{seg}/viewers",
                json={"account_id": account, "reason": input.reason})
            return ShareCasePayload(viewer=CaseViewer.from_service(data))

        return await attempt(ShareCasePayload, share)

    @strawberry.mutation(description="Take a case viewer's access back; their next request no "
                                     "longer sees the case. Audited.",
                         metadata=operation("viewers:revoke"))
    async def unshare_case(
        self, info: Info, input: Annotated[UnshareCaseInput, INPUT],
    ) -> UnshareCasePayload:
        async def unshare() -> UnshareCasePayload:
            seg = uuid_segment(decode_id(input.case_id, "Case", "caseId"), "caseId")
            account = uuid_segment(decode_id(input.account_id, "Account", "accountId"),
                                   "accountId")
            await info.context.services.call("cases", "DELETE",
                                             f"/cases/{seg}/viewers/{account}")
            return UnshareCasePayload(case_key=seg)

        return await attempt(UnshareCasePayload, unshare)
