"""One error base rendered as RFC 9457 problem+json, with the offending field and item index."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("openirm.errors")

PROBLEM_JSON = "application/problem+json"


class OpenIRMError(Exception):
    """A domain error: a message for people, an HTTP status and a stable machine code."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.extra = extra or {}


class NotFound(OpenIRMError):
    status, code = 404, "not_found"


class Conflict(OpenIRMError):
    status, code = 409, "conflict"


class Unauthenticated(OpenIRMError):
    status, code = 401, "unauthenticated"


class Forbidden(OpenIRMError):
    status, code = 403, "forbidden"


class InvalidInput(OpenIRMError):
    status, code = 422, "invalid_input"


class UnsupportedMediaType(OpenIRMError):
    status, code = 415, "unsupported_media_type"


class PayloadTooLarge(OpenIRMError):
    status, code = 413, "payload_too_large"


class TooManyRequests(OpenIRMError):
    """Rendered with a Retry-After header from `extra["retry_after"]` (seconds)."""

    status, code = 429, "too_many_requests"


class UpstreamUnavailable(OpenIRMError):
    status, code = 503, "upstream_unavailable"


class InvalidParam(BaseModel):
    field: str
    index: int | None = None
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error response of OpenIRM."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    request_id: str | None = None
    invalid_params: list[InvalidParam] | None = None
    current_status: str | None = Field(default=None, description=(
        "For a refused state change (409): the state the resource is in now."))


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status documented as problem+json."""
    return {s: {"model": Problem, "content": {PROBLEM_JSON: {}}} for s in statuses}


def problem_response(status: int, code: str, detail: str,
                     invalid: list[InvalidParam] | None = None,
                     headers: dict[str, str] | None = None,
                     current_status: str | None = None) -> JSONResponse:
    from services.kit.context import request_id_var

    body = Problem(title=code.replace("_", " ").capitalize(), status=status, detail=detail,
                   code=code, request_id=request_id_var.get(), invalid_params=invalid,
                   current_status=current_status)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status,
                        media_type=PROBLEM_JSON, headers=headers)


def _invalid_params(errors: list[dict[str, Any]]) -> list[InvalidParam]:
    out: list[InvalidParam] = []
    for err in errors:
        loc = [p for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        index = next((p for p in loc if isinstance(p, int)), None)
        field = ".".join(str(p) for p in loc if not isinstance(p, int)) or "(body)"
        out.append(InvalidParam(field=field, index=index, reason=str(err.get("msg", "invalid"))))
    return out


def _sqlstate(exc: Exception) -> str | None:
    if getattr(exc, "sqlstate", None):  # asyncpg's own errors (raw COPY and fetch)
        return exc.sqlstate  # type: ignore[attr-defined]
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None),
                                                      "sqlstate", None)


def _is_client_data_error(exc: Exception) -> bool:
    """asyncpg refuses out-of-range values (e.g. a year-1 timestamp) before sending them."""
    import asyncpg
    from asyncpg.exceptions._base import DataError as ClientDataError

    if isinstance(exc, ClientDataError):
        return True
    cause = getattr(getattr(exc, "orig", None), "__cause__", None)
    return isinstance(cause, asyncpg.DataError | ClientDataError | OverflowError)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpenIRMError)
    async def _domain(request: Request, exc: OpenIRMError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 429:
            headers = {"Retry-After": str(int(exc.extra.get("retry_after", 60)))}
        invalid = exc.extra.get("invalid_params")
        return problem_response(exc.status, exc.code, exc.message, invalid, headers,
                                exc.extra.get("current_status"))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        params = _invalid_params(list(exc.errors()))
        first = params[0] if params else None
        detail = "request is invalid"
        if first:
            at = f" (item {first.index})" if first.index is not None else ""
            detail = f"{first.field}{at}: {first.reason}"
        return problem_response(422, "invalid_input", detail, params)

    import asyncpg
    from asyncpg.exceptions._base import DataError as ClientDataError

    # Raw asyncpg errors too: ingest runs COPY and fetch on the driver connection.
    @app.exception_handler(asyncpg.PostgresError)
    @app.exception_handler(ClientDataError)
    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        """Concurrency outcomes become answers a client can act on; anything else is a 500."""
        state = _sqlstate(exc)
        if state in ("40P01", "40001", "55P03"):
            return problem_response(503, "retry", "the request collided with a concurrent one; "
                            "retry it", headers={"Retry-After": "1"})
        if state == "23505":
            return problem_response(409, "conflict", "it exists already (a concurrent request "
                            "may have created it)")
        if (state and state.startswith("22")) or _is_client_data_error(exc):
            return problem_response(422, "invalid_input", "a value is out of range")
        log.exception("database error", exc_info=exc)
        return problem_response(500, "internal_error", "internal error")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
                415: "unsupported_media_type"}.get(exc.status_code, "http_error")
        return problem_response(exc.status_code, code, str(exc.detail))
