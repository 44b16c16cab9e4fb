from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.cases.cases import service
from services.cases.cases.schemas import (
    CaseClose,
    CasePage,
    CaseRead,
    CaseStatus,
    NoteCreate,
    NoteRead,
)
from services.kit.deps import Caller, RuntimeDep, UoW, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["cases"])
Reader = Annotated[Caller, require_scoped("cases", "read")]
Writer = Annotated[Caller, require_scoped("cases", "write")]


@router.get("/cases", operation_id="cases:list", response_model=CasePage,
            responses=problem_responses(401, 403, 422))
async def list_cases(uow: UoW, caller: Reader, status: CaseStatus | None = None,
                     cursor: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50) -> CasePage:
    """Cases, newest first: a scoped reviewer sees those about people of their departments
    or regions, a case viewer only the cases shared with them."""
    return await service.list_cases(uow, caller.scope, status=status, cursor=cursor,
                                    limit=limit)


@router.get("/cases/{case_id}", operation_id="cases:get", response_model=CaseRead,
            responses=problem_responses(401, 403, 404))
async def get_case(uow: UoW, case_id: uuid.UUID, caller: Reader) -> CaseRead:
    return CaseRead.model_validate(await service.get_case(uow, case_id, caller.scope))


@router.get("/cases/{case_id}/notes", operation_id="cases:notes", response_model=list[NoteRead],
            responses=problem_responses(401, 403, 404))
async def list_notes(uow: UoW, case_id: uuid.UUID, caller: Reader) -> list[NoteRead]:
    return await service.list_notes(uow, case_id, caller.scope)


@router.post("/cases/{case_id}/notes", operation_id="cases:add_note", response_model=NoteRead,
             status_code=201, responses=problem_responses(401, 403, 404, 409, 422))
async def add_note(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID, body: NoteCreate,
                   caller: Writer) -> NoteRead:
    return await service.add_note(rt, uow, caller, case_id, body)


@router.post("/cases/{case_id}/close", operation_id="cases:close", response_model=CaseRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def close_case(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID, body: CaseClose,
                     caller: Writer) -> CaseRead:
    return await service.close(rt, uow, caller, case_id, body)
