from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from services.kit.deps import Caller, RuntimeDep, UoW, require, require_scoped
from services.kit.errors import problem_responses
from services.kit.tokens import Principal
from services.scoring.subjects import service
from services.scoring.subjects.schemas import (
    ScoreRead,
    SubjectAttributes,
    SubjectRead,
    ViolationCreate,
)

router = APIRouter(tags=["subjects"])


@router.get("/subjects/{subject_id}", operation_id="subjects:get", response_model=SubjectRead,
            responses=problem_responses(401, 403, 404, 422))
async def get_subject(uow: UoW, subject_id: uuid.UUID,
                      caller: Annotated[Caller, require_scoped("scores", "read")]
                      ) -> SubjectRead:
    caller.scope.check(subject_id)
    return await service.get(uow, subject_id)


@router.put("/subjects/{subject_id}/attributes", operation_id="subjects:attributes",
            response_model=SubjectRead, responses=problem_responses(401, 403, 422))
async def set_attributes(rt: RuntimeDep, uow: UoW, subject_id: uuid.UUID,
                         body: SubjectAttributes,
                         principal: Annotated[Principal, require("subjects", "write")]
                         ) -> SubjectRead:
    """Department and high-impact flag, from the directory (pseudonymous; no identity)."""
    return await service.set_attributes(rt, uow, principal.subject, subject_id, body)


@router.post("/subjects/{subject_id}/violations", operation_id="subjects:violation",
             response_model=SubjectRead, responses=problem_responses(401, 403, 422))
async def add_violation(rt: RuntimeDep, uow: UoW, subject_id: uuid.UUID, body: ViolationCreate,
                        principal: Annotated[Principal, require("violations", "write")]
                        ) -> SubjectRead:
    """A case about this person was closed as a confirmed violation (sent by cases; the same
    case twice counts once). Feeds the previous-violation booster."""
    return await service.add_violation(rt, uow, principal.subject, subject_id, body.case_id)


@router.get("/subjects/{subject_id}/scores", operation_id="subjects:scores",
            response_model=list[ScoreRead], responses=problem_responses(401, 403, 404, 422))
async def list_scores(uow: UoW, subject_id: uuid.UUID,
                      caller: Annotated[Caller, require_scoped("scores", "read")]
                      ) -> list[ScoreRead]:
    """The person's current score under every policy, with its contributions."""
    caller.scope.check(subject_id)
    return await service.scores(uow, subject_id)
