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
    RevealGrantRead,
    RevealRequest,
)
from services.kit.deps import RuntimeDep, UoW, caller_token, require
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
                     principal: Annotated[Principal, require("people", "read")]) -> PersonRead:
    """The person as the caller may see them: alias, identity only under a reveal grant."""
    return await service.read(rt, _vault(request), uow, principal.subject, subject_id)


@router.post("/people/{subject_id}/reveal", operation_id="people:reveal",
             response_model=RevealGrantRead, status_code=201,
             responses=problem_responses(401, 403, 404, 409, 422))
async def reveal(request: Request, rt: RuntimeDep, uow: UoW, subject_id: uuid.UUID,
                 body: RevealRequest,
                 principal: Annotated[Principal, require("people", "reveal", audit_denied=True)]
                 ) -> RevealGrantRead:
    """Reveal a person's identity for a case, with a justification (Investigators only)."""
    return await service.reveal(rt, _vault(request), uow, principal.subject,
                                caller_token(request), subject_id, body)
