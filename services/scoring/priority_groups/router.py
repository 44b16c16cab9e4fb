from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal
from services.scoring.priority_groups import service
from services.scoring.priority_groups.schemas import (
    PriorityGroupCreate,
    PriorityGroupRead,
    PriorityGroupUpdate,
)

router = APIRouter(tags=["priority groups"])
Reader = Annotated[Principal, require("settings", "read")]
Writer = Annotated[Principal, require("settings", "write")]


@router.get("/priority-groups", operation_id="priority_groups:list",
            response_model=list[PriorityGroupRead], responses=problem_responses(401, 403))
async def list_groups(uow: UoW, _: Reader) -> list[PriorityGroupRead]:
    return await service.list_groups(uow)


@router.post("/priority-groups", operation_id="priority_groups:create", status_code=201,
             response_model=PriorityGroupRead, responses=problem_responses(401, 403, 409, 422))
async def create_group(rt: RuntimeDep, uow: UoW, body: PriorityGroupCreate, principal: Writer
                       ) -> PriorityGroupRead:
    """A priority user group; its members are re-scored."""
    return await service.create(rt, uow, principal.subject, body)


@router.get("/priority-groups/{group_id}", operation_id="priority_groups:get",
            response_model=PriorityGroupRead, responses=problem_responses(401, 403, 404, 422))
async def get_group(uow: UoW, group_id: uuid.UUID, _: Reader) -> PriorityGroupRead:
    return service.to_read(await service.get(uow, group_id))


@router.patch("/priority-groups/{group_id}", operation_id="priority_groups:update",
              response_model=PriorityGroupRead, responses=problem_responses(401, 403, 404, 422))
async def update_group(rt: RuntimeDep, uow: UoW, group_id: uuid.UUID, body: PriorityGroupUpdate,
                       principal: Writer) -> PriorityGroupRead:
    return await service.update(rt, uow, principal.subject, group_id, body)


@router.delete("/priority-groups/{group_id}", operation_id="priority_groups:delete",
               status_code=204, responses=problem_responses(401, 403, 404, 409, 422))
async def delete_group(rt: RuntimeDep, uow: UoW, group_id: uuid.UUID, principal: Writer
                       ) -> Response:
    """Refused (409) while a policy is scoped to the group."""
    await service.delete(rt, uow, principal.subject, group_id)
    return Response(status_code=204)
