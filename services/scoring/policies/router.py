from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal
from services.scoring.policies import service
from services.scoring.policies.schemas import PolicyCreate, PolicyRead, PolicyUpdate, TemplateRead

router = APIRouter(tags=["policies"])
Reader = Annotated[Principal, require("policies", "read")]
Writer = Annotated[Principal, require("policies", "write")]


@router.get("/templates", operation_id="templates:list", response_model=list[TemplateRead],
            responses=problem_responses(401, 403))
async def list_templates(_: Reader) -> list[TemplateRead]:
    return service.list_templates()


@router.post("/policies", operation_id="policies:create", response_model=PolicyRead,
             status_code=201, responses=problem_responses(401, 403, 409, 422))
async def create_policy(rt: RuntimeDep, uow: UoW, body: PolicyCreate, principal: Writer
                        ) -> PolicyRead:
    """Create a policy from a template; its indicators must be enabled globally."""
    return await service.create(rt, uow, principal.subject, body)


@router.get("/policies", operation_id="policies:list", response_model=list[PolicyRead],
            responses=problem_responses(401, 403))
async def list_policies(uow: UoW, _: Reader) -> list[PolicyRead]:
    return await service.list_policies(uow)


@router.get("/policies/{policy_id}", operation_id="policies:get", response_model=PolicyRead,
            responses=problem_responses(401, 403, 404))
async def get_policy(uow: UoW, policy_id: uuid.UUID, _: Reader) -> PolicyRead:
    return service.to_read(await service.get_policy(uow, policy_id))


@router.patch("/policies/{policy_id}", operation_id="policies:update", response_model=PolicyRead,
              responses=problem_responses(401, 403, 404, 422))
async def update_policy(rt: RuntimeDep, uow: UoW, policy_id: uuid.UUID, body: PolicyUpdate,
                        principal: Writer) -> PolicyRead:
    """Change anything but the name and template; the policy is re-scored."""
    return await service.update(rt, uow, principal.subject, policy_id, body)
