from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from services.kit.batch import BatchIds
from services.kit.deps import Caller, RuntimeDep, UoW, require, require_scoped
from services.kit.errors import problem_responses
from services.kit.tokens import Principal
from services.scoring.policies import service
from services.scoring.policies.schemas import (
    MemberCreate,
    MemberRead,
    PolicyBatch,
    PolicyCreate,
    PolicyHealth,
    PolicyRead,
    PolicyUpdate,
    TemplateRead,
)

router = APIRouter(tags=["policies"])
Reader = Annotated[Principal, require("policies", "read")]
Writer = Annotated[Principal, require("policies", "write")]


@router.get("/templates", operation_id="templates:list", response_model=list[TemplateRead],
            responses=problem_responses(401, 403))
async def list_templates(_: Reader) -> list[TemplateRead]:
    """The policy templates: triggering events, default indicators, prerequisites."""
    return service.list_templates()


@router.post("/policies", operation_id="policies:create", response_model=PolicyRead,
             status_code=201, responses=problem_responses(401, 403, 409, 422))
async def create_policy(rt: RuntimeDep, uow: UoW, body: PolicyCreate, principal: Writer
                        ) -> PolicyRead:
    """Create a policy from a template; its indicators must be enabled globally. Omitted
    fields take the template's defaults and the global timeframes."""
    return await service.create(rt, uow, principal.subject, body)


@router.get("/policies", operation_id="policies:list", response_model=list[PolicyRead],
            responses=problem_responses(401, 403))
async def list_policies(uow: UoW, _: Reader) -> list[PolicyRead]:
    return await service.list_policies(uow)


@router.get("/policies/batch", operation_id="policies:get_batch", response_model=PolicyBatch,
            responses=problem_responses(401, 403, 422))
async def get_policies(uow: UoW, ids: BatchIds, _: Reader) -> PolicyBatch:
    """Several policies in one call (`?ids=…&ids=…`), each exactly as
    `GET /policies/{policy_id}` shows it; an id of no policy is in `missing`."""
    return await service.read_many(uow, ids)


@router.get("/policies/{policy_id}", operation_id="policies:get", response_model=PolicyRead,
            responses=problem_responses(401, 403, 404, 422))
async def get_policy(uow: UoW, policy_id: uuid.UUID, _: Reader) -> PolicyRead:
    return await service.read(uow, policy_id)


@router.patch("/policies/{policy_id}", operation_id="policies:update", response_model=PolicyRead,
              responses=problem_responses(401, 403, 404, 422))
async def update_policy(rt: RuntimeDep, uow: UoW, policy_id: uuid.UUID, body: PolicyUpdate,
                        principal: Writer) -> PolicyRead:
    """Change anything but the name and template; the policy is re-scored."""
    return await service.update(rt, uow, principal.subject, policy_id, body)


@router.delete("/policies/{policy_id}", operation_id="policies:delete", status_code=204,
               responses=problem_responses(401, 403, 404, 422))
async def delete_policy(rt: RuntimeDep, uow: UoW, policy_id: uuid.UUID, principal: Writer
                        ) -> Response:
    """Delete a policy and its scores; alerts it raised stay in cases."""
    await service.delete_policy(rt, uow, principal.subject, policy_id)
    return Response(status_code=204)


@router.post("/policies/{policy_id}/activate", operation_id="policies:activate",
             response_model=PolicyRead, responses=problem_responses(401, 403, 404, 422))
async def activate(rt: RuntimeDep, uow: UoW, policy_id: uuid.UUID, principal: Writer
                   ) -> PolicyRead:
    return await service.set_active(rt, uow, principal.subject, policy_id, True)


@router.post("/policies/{policy_id}/deactivate", operation_id="policies:deactivate",
             response_model=PolicyRead, responses=problem_responses(401, 403, 404, 422))
async def deactivate(rt: RuntimeDep, uow: UoW, policy_id: uuid.UUID, principal: Writer
                     ) -> PolicyRead:
    return await service.set_active(rt, uow, principal.subject, policy_id, False)


@router.get("/policies/{policy_id}/health", operation_id="policies:health",
            response_model=PolicyHealth, responses=problem_responses(401, 403, 404, 422))
async def health(uow: UoW, policy_id: uuid.UUID, _: Reader) -> PolicyHealth:
    """Healthy, recommendations or warnings, with the reasons."""
    return await service.policy_health(uow, policy_id)


@router.post("/policies/{policy_id}/members", operation_id="policies:add_member",
             response_model=MemberRead, status_code=201,
             responses=problem_responses(401, 403, 404, 422))
async def add_member(rt: RuntimeDep, uow: UoW, policy_id: uuid.UUID, body: MemberCreate,
                     principal: Annotated[Principal, require("policy_members", "write")]
                     ) -> MemberRead:
    """Add a person to the policy by hand for a limited time, with a reason (manual
    triggering); audited. Admins, and cases for an Investigator's activity report."""
    return await service.add_member(rt, uow, principal.subject, policy_id, body)


@router.get("/policies/{policy_id}/members", operation_id="policies:list_members",
            response_model=list[MemberRead], responses=problem_responses(401, 403, 404, 422))
async def list_members(uow: UoW, policy_id: uuid.UUID,
                       caller: Annotated[Caller, require_scoped("policies", "read")]
                       ) -> list[MemberRead]:
    """People added to the policy by hand; a scoped reviewer sees only those in scope."""
    return await service.list_members(uow, policy_id, caller.scope)


@router.delete("/policies/{policy_id}/members/{member_id}",
               operation_id="policies:remove_member", response_model=MemberRead,
               responses=problem_responses(401, 403, 404, 422))
async def remove_member(rt: RuntimeDep, uow: UoW, policy_id: uuid.UUID, member_id: uuid.UUID,
                        principal: Writer) -> MemberRead:
    """End a manual addition now."""
    return await service.remove_member(rt, uow, principal.subject, policy_id, member_id)
