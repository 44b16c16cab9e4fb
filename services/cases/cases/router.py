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
from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["cases"])
Reader = Annotated[Principal, require("cases", "read")]
Writer = Annotated[Principal, require("cases", "write")]


@router.get("/cases", operation_id="cases:list", response_model=CasePage,
            responses=problem_responses(401, 403, 422))
async def list_cases(uow: UoW, _: Reader, status: CaseStatus | None = None,
                     cursor: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50) -> CasePage:
    return await service.list_cases(uow, status=status, cursor=cursor, limit=limit)


@router.get("/cases/{case_id}", operation_id="cases:get", response_model=CaseRead,
            responses=problem_responses(401, 403, 404))
async def get_case(uow: UoW, case_id: uuid.UUID, _: Reader) -> CaseRead:
    return CaseRead.model_validate(await service.get_case(uow, case_id))


@router.get("/cases/{case_id}/notes", operation_id="cases:notes", response_model=list[NoteRead],
            responses=problem_responses(401, 403, 404))
async def list_notes(uow: UoW, case_id: uuid.UUID, _: Reader) -> list[NoteRead]:
    return await service.list_notes(uow, case_id)


@router.post("/cases/{case_id}/notes", operation_id="cases:add_note", response_model=NoteRead,
             status_code=201, responses=problem_responses(401, 403, 404, 409, 422))
async def add_note(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID, body: NoteCreate,
                   principal: Writer) -> NoteRead:
    return await service.add_note(rt, uow, principal.subject, case_id, body)


@router.post("/cases/{case_id}/close", operation_id="cases:close", response_model=CaseRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def close_case(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID, body: CaseClose,
                     principal: Writer) -> CaseRead:
    return await service.close(rt, uow, principal.subject, case_id, body)
