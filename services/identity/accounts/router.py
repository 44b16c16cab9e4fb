from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from services.identity.accounts import service
from services.identity.accounts.schemas import (
    AccountCreate,
    AccountRead,
    RefreshRequest,
    RolesUpdate,
    SignIn,
    TokenRead,
)
from services.kit.deps import PrincipalDep, RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["accounts"])


@router.post("/auth/token", operation_id="auth:token", response_model=TokenRead,
             responses=problem_responses(401, 422, 429))
async def sign_in(rt: RuntimeDep, body: SignIn) -> TokenRead:
    """Exchange email and password for a short-lived access token. After repeated failures
    an email is locked for a while (429 with Retry-After), whatever the next password."""
    return await service.sign_in(rt, body.email, body.password)


@router.post("/auth/refresh", operation_id="auth:refresh", response_model=TokenRead,
             responses=problem_responses(401, 422))
async def refresh(rt: RuntimeDep, body: RefreshRequest) -> TokenRead:
    """Exchange a refresh token for a new access token and a new refresh token. Each refresh
    token works once: presenting a used one ends the whole session."""
    return await service.refresh(rt, body.refresh_token)


@router.post("/auth/sign-out", operation_id="auth:sign_out", status_code=204,
             responses=problem_responses(422))
async def sign_out(rt: RuntimeDep, body: RefreshRequest) -> Response:
    """End the session of this refresh token (its access tokens expire on their own)."""
    await service.sign_out(rt, body.refresh_token)
    return Response(status_code=204)


@router.get("/accounts/me", operation_id="accounts:me", response_model=AccountRead,
            responses=problem_responses(401, 404))
async def me(uow: UoW, principal: PrincipalDep) -> AccountRead:
    kind, _, raw_id = principal.subject.partition(":")
    if kind != "user":
        raise service.AccountNotFound("the caller is not a staff account")
    return await service.get(uow, uuid.UUID(raw_id))


@router.post("/accounts", operation_id="accounts:create", response_model=AccountRead,
             status_code=201, responses=problem_responses(401, 403, 409, 422))
async def create_account(rt: RuntimeDep, uow: UoW, body: AccountCreate,
                         principal: Annotated[Principal, require("accounts", "write")]
                         ) -> AccountRead:
    return await service.create(rt, uow, principal.subject, body)


@router.get("/accounts", operation_id="accounts:list", response_model=list[AccountRead],
            responses=problem_responses(401, 403))
async def list_accounts(uow: UoW, _: Annotated[Principal, require("accounts", "read")]
                        ) -> list[AccountRead]:
    return await service.list_accounts(uow)


@router.get("/accounts/{account_id}", operation_id="accounts:get", response_model=AccountRead,
            responses=problem_responses(401, 403, 404, 422))
async def get_account(uow: UoW, account_id: uuid.UUID,
                      _: Annotated[Principal, require("accounts", "read")]) -> AccountRead:
    """One staff account, with its roles (who may read the list may read one)."""
    return await service.get(uow, account_id)


@router.put("/accounts/{account_id}/roles", operation_id="accounts:set_roles",
            response_model=AccountRead, responses=problem_responses(401, 403, 404, 422))
async def set_roles(rt: RuntimeDep, uow: UoW, account_id: uuid.UUID, body: RolesUpdate,
                    principal: Annotated[Principal, require("roles", "write")]) -> AccountRead:
    return await service.set_roles(rt, uow, principal.subject, account_id, list(body.roles))
