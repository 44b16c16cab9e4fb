"""Service errors become GraphQL errors with a stable `extensions.code`; anything unexpected
becomes INTERNAL with a generic message, so no stack trace or internal detail reaches a caller."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult
from strawberry.utils.logging import StrawberryLogger

from services.kit.context import request_id_var

log = logging.getLogger("openirm.gateway.errors")

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
CONFLICT = "CONFLICT"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL = "INTERNAL"
RATE_LIMITED = "RATE_LIMITED"

CODE_BY_STATUS = {401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT,
                  400: BAD_USER_INPUT, 413: BAD_USER_INPUT, 415: BAD_USER_INPUT,
                  422: BAD_USER_INPUT, 429: RATE_LIMITED}
INTERNAL_MESSAGE = "Internal server error."


class ServiceError(Exception):
    """What a service answered with (RFC 9457: status, machine code, detail), or a check the
    gateway makes itself before calling (service "gateway")."""

    def __init__(self, status: int, code: str, detail: str, *, service: str = "gateway",
                 invalid_params: list[dict[str, Any]] | None = None,
                 body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{service}: {status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail
        self.service = service
        self.invalid_params = invalid_params
        self.body = body or {}  # the whole problem document, e.g. a 409's current_status

    @property
    def graphql_code(self) -> str:
        return CODE_BY_STATUS.get(self.status, INTERNAL)


def bad_input(detail: str, field: str | None = None) -> ServiceError:
    """An argument the gateway refuses before calling any service."""
    params = [{"field": field, "reason": detail}] if field else None
    return ServiceError(422, "invalid_input", detail, invalid_params=params)


def _is_request_error(error: GraphQLError) -> bool:
    """Parse, validation and variable-coercion errors: about the query, not the server."""
    if error.path is not None:
        return False
    return error.original_error is None or bool(error.nodes)


def _rebuild(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(message, nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path, original_error=None,
                        extensions=extensions)


def to_client_error(error: GraphQLError) -> GraphQLError:
    """The error as a caller sees it: a code always, a message only when it is safe."""
    original = error.original_error
    request_id = request_id_var.get()
    if isinstance(original, ServiceError):
        code = original.graphql_code
        ext: dict[str, Any] = {"code": code, "status": original.status,
                               "serviceCode": original.code}
        if original.invalid_params:
            ext["invalidParams"] = original.invalid_params
        if request_id:
            ext["requestId"] = request_id
        if code == INTERNAL:
            message = (f"The {original.service} service is unavailable; try again later."
                       if original.status in (502, 503, 504) else INTERNAL_MESSAGE)
        else:
            message = original.detail
        return _rebuild(error, message, ext)
    if _is_request_error(error):
        ext = {**(error.extensions or {}), "code": BAD_USER_INPUT}
        return _rebuild(error, error.message, ext)
    ext = {"code": INTERNAL}
    if request_id:
        ext["requestId"] = request_id
    return _rebuild(error, INTERNAL_MESSAGE, ext)


class ErrorCodes(SchemaExtension):
    """Rewrites every error of a result once the operation is done (after `process_errors`
    has logged the originals), like strawberry's MaskErrors but with codes."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult) \
                and result.errors:
            result.errors = [to_client_error(e) for e in result.errors]


class GatewaySchema(strawberry.Schema):
    """Logs expected failures (a service's 4xx, a bad query) in one line and unexpected ones
    with their stack trace; callers only ever see what `ErrorCodes` leaves."""

    async def execute(self, *args: Any, **kwargs: Any) -> StrawberryExecutionResult:
        """Also codes the errors of a request that failed inside an extension's hook (a
        cached parse refusing a document), which ends before `ErrorCodes` sees it."""
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = [e if (e.extensions or {}).get("code") else to_client_error(e)
                             for e in result.errors]
        return result

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            original = error.original_error
            if isinstance(original, ServiceError):
                level = logging.WARNING if original.graphql_code == INTERNAL else logging.INFO
                log.log(level, "%s at %s: %s", original.graphql_code,
                        ".".join(map(str, error.path or [])) or "-", original)
            elif _is_request_error(error):
                log.info("rejected query: %s", error.message)
            else:
                StrawberryLogger.error(error, execution_context)
