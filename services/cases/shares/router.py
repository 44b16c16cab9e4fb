from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from services.cases.shares import service
from services.cases.shares.schemas import ViewerCreate, ViewerRead
from services.kit.deps import Caller, RuntimeDep, UoW, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["case sharing"])
Reader = Annotated[Caller, require_scoped("case_shares", "read")]
Writer = Annotated[Caller, require_scoped("case_shares", "write")]


@router.post("/cases/{case_id}/viewers", operation_id="viewers:add", response_model=ViewerRead,
             status_code=201, responses=problem_responses(401, 403, 404, 409, 422))
async def add_viewer(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID, body: ViewerCreate,
                     caller: Writer) -> ViewerRead:
    """Give a case viewer (an account with the CaseViewer role, e.g. an HR or Legal contact)
    read access to this case: the case, its notes and its alerts' metadata, never content.
    Audited; effective at once."""
    return await service.share(rt, uow, caller, case_id, body)


@router.get("/cases/{case_id}/viewers", operation_id="viewers:list",
            response_model=list[ViewerRead], responses=problem_responses(401, 403, 404))
async def list_viewers(uow: UoW, case_id: uuid.UUID, caller: Reader) -> list[ViewerRead]:
    return await service.viewers(uow, caller, case_id)


@router.delete("/cases/{case_id}/viewers/{account_id}", operation_id="viewers:revoke",
               status_code=204, response_class=Response,
               responses=problem_responses(401, 403, 404))
async def revoke_viewer(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID, account_id: uuid.UUID,
                        caller: Writer) -> Response:
    """Take the access back; the viewer's next request no longer sees the case. Audited."""
    await service.revoke(rt, uow, caller, case_id, account_id)
    return Response(status_code=204)
