from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from services.identity.clients import service
from services.identity.clients.exceptions import (
    InvalidClient,
    InvalidTokenRequest,
    UnsupportedGrantType,
)
from services.identity.clients.schemas import (
    ClientCreate,
    ClientRead,
    ClientRolesUpdate,
    ClientSecretRead,
    ClientTokenRead,
    ClientTokenRequest,
)
from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import (
    InvalidInput,
    InvalidParam,
    UnsupportedMediaType,
    problem_responses,
)
from services.kit.tokens import Principal

router = APIRouter(tags=["clients"])

FORM = "application/x-www-form-urlencoded"
_TOKEN_BODY = ClientTokenRequest.model_json_schema()
# Answers that carry a secret or a token must not be kept by any cache (RFC 6749 §5.1).
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _basic(request: Request) -> tuple[str, str] | None:
    """client_id and client_secret from `Authorization: Basic`, each form-encoded first as
    RFC 6749 §2.3.1 asks (plain values decode to themselves)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("the Basic authorization header is not valid base64") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient("the Basic authorization header must be client_id:client_secret")
    return unquote_plus(client_id), unquote_plus(secret)


def _field_error(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}",
                        extra={"invalid_params": [InvalidParam(field=field, reason=reason)]})


async def _token_request(request: Request) -> ClientTokenRequest:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    fields: dict[str, Any]
    if media == FORM:
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise _field_error("(body)", "is not UTF-8") from None
        names = [name for name, _ in pairs]
        if dup := next((n for n in names if names.count(n) > 1), None):
            raise _field_error(dup, "is given more than once")
        fields = dict(pairs)
    elif media == "application/json":
        try:
            fields = json.loads(raw)
        except ValueError:
            raise _field_error("(body)", "is not valid JSON") from None
        if not isinstance(fields, dict):
            raise _field_error("(body)", "must be a JSON object")
    else:
        raise UnsupportedMediaType(f"send the grant as {FORM} (or application/json)")
    try:
        return ClientTokenRequest.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


@router.post("/auth/client-token", operation_id="auth:client_token",
             response_model=ClientTokenRead,
             responses=problem_responses(400, 401, 415, 422, 429),
             openapi_extra={"requestBody": {"required": True, "content": {
                 FORM: {"schema": _TOKEN_BODY}, "application/json": {"schema": _TOKEN_BODY}}}})
async def client_token(rt: RuntimeDep, request: Request, response: Response
                       ) -> ClientTokenRead:
    """OAuth 2.0 client credentials grant (RFC 6749 §4.4): `grant_type=client_credentials`
    with client_id and client_secret as form fields, JSON, or an HTTP Basic header. Answers
    a short-lived bearer token whose subject is `client:<id>`; what it may do is decided by
    the client's roles at each call. Repeated failures lock the client for a while (429)."""
    body = await _token_request(request)
    if body.grant_type != "client_credentials":
        raise UnsupportedGrantType(f"grant_type {body.grant_type!r} is not supported "
                                   "(only client_credentials)")
    basic = _basic(request)
    if basic and (body.client_id or body.client_secret):
        raise InvalidTokenRequest("send client credentials one way: HTTP Basic or the body, "
                                  "not both")
    client_id, client_secret = basic or (body.client_id, body.client_secret)
    if not client_id:
        raise InvalidClient("client_id is missing (form field, JSON or HTTP Basic)")
    if not client_secret:
        raise InvalidClient("client_secret is missing (form field, JSON or HTTP Basic)")
    if len(client_id) > 100 or len(client_secret) > 200:
        raise InvalidClient("client_id or client_secret is wrong")
    response.headers.update(_NO_STORE)
    return await service.issue_token(rt, client_id, client_secret)


@router.post("/clients", operation_id="clients:create", response_model=ClientSecretRead,
             status_code=201, responses=problem_responses(401, 403, 409, 422))
async def create_client(rt: RuntimeDep, uow: UoW, body: ClientCreate, response: Response,
                        principal: Annotated[Principal, require("clients", "write")]
                        ) -> ClientSecretRead:
    """A new client with its roles. The answer carries the secret, this once only."""
    response.headers.update(_NO_STORE)
    return await service.create(rt, uow, principal.subject, body)


@router.get("/clients", operation_id="clients:list", response_model=list[ClientRead],
            responses=problem_responses(401, 403))
async def list_clients(uow: UoW, _: Annotated[Principal, require("clients", "read")]
                       ) -> list[ClientRead]:
    """Every client, revoked ones included (never a secret)."""
    return await service.list_clients(uow)


@router.get("/clients/{client_id}", operation_id="clients:get", response_model=ClientRead,
            responses=problem_responses(401, 403, 404, 422))
async def get_client(uow: UoW, client_id: uuid.UUID,
                     _: Annotated[Principal, require("clients", "read")]) -> ClientRead:
    return await service.get(uow, client_id)


@router.put("/clients/{client_id}/roles", operation_id="clients:set_roles",
            response_model=ClientRead, responses=problem_responses(401, 403, 404, 409, 422))
async def set_client_roles(rt: RuntimeDep, uow: UoW, client_id: uuid.UUID,
                           body: ClientRolesUpdate,
                           principal: Annotated[Principal, require("clients", "write")]
                           ) -> ClientRead:
    """Replace the client's roles; every service applies the change at once."""
    return await service.set_roles(rt, uow, principal.subject, client_id, list(body.roles))


@router.post("/clients/{client_id}/secret", operation_id="clients:rotate_secret",
             response_model=ClientSecretRead, responses=problem_responses(401, 403, 404, 409,
                                                                          422))
async def rotate_client_secret(rt: RuntimeDep, uow: UoW, client_id: uuid.UUID,
                               response: Response,
                               principal: Annotated[Principal, require("clients", "write")]
                               ) -> ClientSecretRead:
    """A new secret, shown once; the old one stops working. Tokens already issued expire on
    their own (revoke the client to cut it off at once)."""
    response.headers.update(_NO_STORE)
    return await service.rotate_secret(rt, uow, principal.subject, client_id)


@router.delete("/clients/{client_id}", operation_id="clients:revoke", response_model=ClientRead,
               responses=problem_responses(401, 403, 404, 409, 422))
async def revoke_client(rt: RuntimeDep, uow: UoW, client_id: uuid.UUID,
                        principal: Annotated[Principal, require("clients", "write")]
                        ) -> ClientRead:
    """Revoke: the secret and the role assignments go at once (its tokens are refused by
    every service); the client stays listed, revoked, for the audit trail."""
    return await service.revoke(rt, uow, principal.subject, client_id)
