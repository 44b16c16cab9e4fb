"""Typed FastAPI dependencies: the unit of work and the Casbin-checked caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.kit.db import UnitOfWork
from services.kit.errors import Forbidden, Unauthenticated
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope
from services.kit.tokens import Principal

_bearer = HTTPBearer(auto_error=False, description=(
    "A JWT issued by the identity service, or an access token of the configured external "
    "OpenID Connect issuer"))


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_uow(request: Request):
    """One transaction per request, committed before the response is sent."""
    runtime: Runtime = request.app.state.runtime
    async with runtime.db.unit_of_work(runtime.queue) as uow:
        yield uow


UoW = Annotated[UnitOfWork, Depends(get_uow, scope="function")]


async def get_principal(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise Unauthenticated("a bearer token is required", code="token_missing")
    principal = await get_runtime(request).verifier.verify(creds.credentials)
    request.state.token = creds.credentials
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(obj: str, act: str, *, audit_denied: bool = False):
    """A dependency that lets the call through only if Casbin allows `obj`/`act` for the
    caller. With `audit_denied`, a refusal is itself recorded (sensitive resources)."""

    async def dependency(request: Request, principal: PrincipalDep) -> Principal:
        runtime = get_runtime(request)
        if await runtime.authorizer.allowed(principal.subject, obj, act):
            return principal
        if audit_denied:
            async with runtime.db.unit_of_work() as uow:
                await runtime.audit.record(uow.session, actor=principal.subject,
                                           action=f"{obj}.{act}", target=request.url.path,
                                           outcome="denied")
        raise Forbidden(f"your role may not {act} {obj}")

    return Depends(dependency)


def caller_token(request: Request) -> str:
    return request.state.token


@dataclass(frozen=True)
class Caller:
    """A caller Casbin let through, with the part of the population they may see."""

    principal: Principal
    scope: AccessScope


def require_scoped(obj: str, act: str, *, audit_denied: bool = False):
    """As `require`, plus the caller's access scope (services see everyone)."""
    allowed = require(obj, act, audit_denied=audit_denied)

    async def dependency(request: Request, principal: Principal = allowed) -> Caller:
        return Caller(principal, await get_runtime(request).scopes.of(principal))

    return Depends(dependency)
