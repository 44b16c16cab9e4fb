from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.identity.reveals import service
from services.identity.reveals.schemas import (
    RevealCreate,
    RevealDecision,
    RevealPage,
    RevealRead,
    RevealRefusal,
    RevealStatus,
)
from services.kit.deps import Caller, RuntimeDep, UoW, caller_token, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["reveals"])
Approver = Annotated[Caller, require_scoped("reveals", "approve", audit_denied=True)]


@router.post("/people/{subject_id}/reveal", operation_id="people:reveal",
             response_model=RevealRead, status_code=201,
             responses={202: {"model": RevealRead, "description": (
                 "Under the two-person rule: the request waits for a second approver.")},
                 **problem_responses(401, 403, 404, 409, 422)})
async def reveal(request: Request, response: Response, rt: RuntimeDep, uow: UoW,
                 subject_id: uuid.UUID, body: RevealCreate,
                 caller: Annotated[Caller, require_scoped("people", "reveal",
                                                          audit_denied=True)]) -> RevealRead:
    """Ask to see who a person is, for an active case about them, with a justification
    (Investigators). Granted at once (201, with the identity), or, under the two-person rule,
    pending a second Investigator's or an Admin's approval (202)."""
    out = await service.request(rt, request.app.state.vault, uow, caller,
                                caller_token(request), subject_id, body)
    if out.status == "pending":
        response.status_code = 202
    return out


@router.get("/reveal-requests", operation_id="reveals:list", response_model=RevealPage,
            responses=problem_responses(401, 403, 422))
async def list_reveals(uow: UoW, caller: Annotated[Caller, require_scoped("reveals", "read")],
                       status: RevealStatus | None = None, subject_id: uuid.UUID | None = None,
                       cursor: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> RevealPage:
    """Reveal requests about people in the caller's scope, newest first (`status=pending` is
    the approvers' queue)."""
    return await service.list_requests(uow, caller.scope, status=status, subject_id=subject_id,
                                       cursor=cursor, limit=limit)


@router.get("/reveal-requests/{request_id}", operation_id="reveals:get",
            response_model=RevealRead, responses=problem_responses(401, 403, 404))
async def get_reveal(uow: UoW, request_id: uuid.UUID,
                     caller: Annotated[Caller, require_scoped("reveals", "read")]
                     ) -> RevealRead:
    return await service.get(uow, request_id, caller.scope)


@router.post("/reveal-requests/{request_id}/approve", operation_id="reveals:approve",
             response_model=RevealRead, responses=problem_responses(401, 403, 404, 409, 422))
async def approve_reveal(rt: RuntimeDep, uow: UoW, request_id: uuid.UUID,
                         body: RevealDecision, caller: Approver) -> RevealRead:
    """Approve a pending reveal (a second Investigator or an Admin, never the requester):
    the requester may then see the identity for that case until the grant expires."""
    return await service.decide(rt, uow, caller, request_id, approve=True, reason=body.reason)


@router.post("/reveal-requests/{request_id}/refuse", operation_id="reveals:refuse",
             response_model=RevealRead, responses=problem_responses(401, 403, 404, 409, 422))
async def refuse_reveal(rt: RuntimeDep, uow: UoW, request_id: uuid.UUID,
                        body: RevealRefusal, caller: Approver) -> RevealRead:
    """Refuse a pending reveal, with a reason."""
    return await service.decide(rt, uow, caller, request_id, approve=False,
                                reason=body.reason)
