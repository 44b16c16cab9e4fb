"""One error base rendered as RFC 9457 problem+json, with the offending field and item index."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status documented as problem+json."""
    return {s: {"model": Problem, "content": {PROBLEM_JSON: {}}} for s in statuses}


def _problem(request: Request, status: int, code: str, detail: str,
             invalid: list[InvalidParam] | None = None, headers: dict[str, str] | None = None
             ) -> JSONResponse:
    from services.kit.context import request_id_var

    body = Problem(title=code.replace("_", " ").capitalize(), status=status, detail=detail,
                   code=code, request_id=request_id_var.get(), invalid_params=invalid)
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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpenIRMError)
    async def _domain(request: Request, exc: OpenIRMError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        invalid = exc.extra.get("invalid_params")
        return _problem(request, exc.status, exc.code, exc.message, invalid, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        params = _invalid_params(list(exc.errors()))
        first = params[0] if params else None
        detail = "request is invalid"
        if first:
            at = f" (item {first.index})" if first.index is not None else ""
            detail = f"{first.field}{at}: {first.reason}"
        return _problem(request, 422, "invalid_input", detail, params)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
                415: "unsupported_media_type"}.get(exc.status_code, "http_error")
        return _problem(request, exc.status_code, code, str(exc.detail))
