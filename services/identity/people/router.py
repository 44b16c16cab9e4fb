from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request

from services.identity.people import service
from services.identity.people.crypto import IdentityVault
from services.identity.people.schemas import (
    PersonRead,
    PersonUpsert,
    PersonUpserted,
    ResolveRequest,
    ResolveResponse,
)
from services.kit.deps import Caller, RuntimeDep, UoW, require, require_scoped
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["people"])


def _vault(request: Request) -> IdentityVault:
    return request.app.state.vault


@router.post("/people", operation_id="people:upsert", response_model=PersonUpserted,
             responses=problem_responses(401, 403, 422))
async def upsert_person(request: Request, rt: RuntimeDep, uow: UoW, body: PersonUpsert,
                        principal: Annotated[Principal, require("people", "write")]
                        ) -> PersonUpserted:
    """Add or update a monitored person in the directory (keyed by email/UPN); only the
    fields sent change. The answer carries no subject id or alias."""
    return await service.upsert(rt, _vault(request), uow, principal.subject, body)


@router.post("/people/resolve", operation_id="people:resolve", response_model=ResolveResponse,
             responses=problem_responses(401, 403, 422))
async def resolve(request: Request, rt: RuntimeDep, uow: UoW, body: ResolveRequest,
                  principal: Annotated[Principal, require("people", "resolve")]
                  ) -> ResolveResponse:
    """Pseudonymise actors: subject ids and aliases for emails/UPNs (services only)."""
    items = await service.resolve(rt, _vault(request), uow, principal.subject, body.identifiers)
    return ResolveResponse(items=items)


@router.get("/people/{subject_id}", operation_id="people:get", response_model=PersonRead,
            responses=problem_responses(401, 403, 404))
async def get_person(request: Request, rt: RuntimeDep, uow: UoW, subject_id: uuid.UUID,
                     caller: Annotated[Caller, require_scoped("people", "read")]) -> PersonRead:
    """The person as the caller may see them: by alias while the privacy setting is on, with
    the identity only under the caller's own reveal grant (each such read is audited); by
    name when it is off. A person outside the caller's scope is not found."""
    return await service.read(rt, _vault(request), uow, caller, subject_id)

