from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.identity.access import service
from services.identity.access.schemas import AccessScopeRead, AccessScopeUpdate, ResolvedScope
from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["access"])


@router.get("/accounts/{account_id}/scope", operation_id="accounts:get_scope",
            response_model=AccessScopeRead, responses=problem_responses(401, 403, 404))
async def get_scope(uow: UoW, account_id: uuid.UUID,
                    _: Annotated[Principal, require("accounts", "read")]) -> AccessScopeRead:
    """Which people the account sees: departments and regions (empty: everyone)."""
    return await service.get(uow, account_id)


@router.put("/accounts/{account_id}/scope", operation_id="accounts:set_scope",
            response_model=AccessScopeRead, responses=problem_responses(401, 403, 404, 422))
async def set_scope(rt: RuntimeDep, uow: UoW, account_id: uuid.UUID, body: AccessScopeUpdate,
                    principal: Annotated[Principal, require("roles", "write")]
                    ) -> AccessScopeRead:
    """Limit an Analyst or Investigator to people of some departments or regions (cases are
    shared with a case viewer in the cases service). Every service applies it within a
    second; audited."""
    return await service.put(rt, uow, principal.subject, account_id, body)


@router.get("/access/scope", operation_id="access:resolve", response_model=ResolvedScope,
            responses=problem_responses(401, 403, 422))
async def resolve_scope(uow: UoW, _: Annotated[Principal, require("access", "resolve")],
                        subject: Annotated[str, Query(min_length=3, max_length=200)]
                        ) -> ResolvedScope:
    """The subject ids a caller may see (services only)."""
    return await service.resolve(uow.session, subject)
