"""The FastAPI factory every service uses: errors, request ids, health and readiness."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit.context import request_id_var
from services.kit.errors import (
    InvalidInput,
    InvalidParam,
    PayloadTooLarge,
    install_error_handlers,
    problem_response,
)
from services.kit.logs import setup_logging
from services.kit.runtime import Runtime

log = logging.getLogger("openirm.app")


class RequestIdMiddleware:
    """Takes X-Request-ID from the caller (or makes one) and returns it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for key, value in scope.get("headers", []):
            if key == b"x-request-id":
                rid = value.decode("latin-1")[:64]
                break
        rid = rid or uuid.uuid4().hex
        token = request_id_var.set(rid)

        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Anything unhandled still gets a problem+json answer that names the request.
            log.exception("unhandled error")
            if started:
                raise
            await problem_response(500, "internal_error", "internal error")(
                scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


STREAMED_TYPES = (b"application/x-ndjson", b"application/jsonl", b"application/ndjson",
                  b"text/csv")


class BodyGuardMiddleware:
    """Refuses, before any work: bodies over the size limit (413, by Content-Length or while
    reading) and NUL characters anywhere (422), which PostgreSQL cannot store in text or JSON
    (found by fuzzing). Ordinary bodies are checked whole, so a NUL split across chunks is
    caught; streamed uploads (NDJSON, CSV) are checked chunk by chunk as the endpoint reads
    them, under their own, larger limit, and never held whole. File uploads (multipart to the
    paths an app names in `binary_upload_paths`) are streamed to the endpoint too, under the
    ordinary limit, NUL bytes allowed (files are binary): the endpoint applies its own limit
    and keeps NUL out of the text it stores."""

    def __init__(self, app: ASGIApp, default_limit: int = 32 * 1024 * 1024) -> None:
        self.app, self.default_limit = app, default_limit

    def _limits(self, scope: Scope) -> tuple[int, int, frozenset[str]]:
        app = scope.get("app")
        runtime = getattr(getattr(app, "state", None), "runtime", None)
        paths = getattr(getattr(app, "state", None), "streamed_paths", frozenset())
        if runtime is None:
            return self.default_limit, self.default_limit, paths
        return runtime.settings.max_body_bytes, runtime.settings.max_upload_bytes, paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, stream_limit, streamed_paths = self._limits(scope)
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            await _refuse_nul("query", scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("raw_path", b""):
            await _refuse_nul("path", scope, receive, send)
            return
        types = [v for k, v in scope.get("headers", []) if k == b"content-type"]
        if len(types) > 1:
            await problem_response(400, "bad_request", "send one Content-Type header")(
                scope, receive, send)
            return
        # Streamed only where the endpoint reads the stream itself (the NDJSON and CSV
        # uploads); everywhere else a body is read whole, under the ordinary limit.
        streamed = (scope.get("path") in streamed_paths and bool(types)
                    and types[0].split(b";")[0].strip().lower() in STREAMED_TYPES)
        if streamed:
            limit = stream_limit
        binary_paths = getattr(getattr(scope.get("app"), "state", None),
                               "binary_upload_paths", ())
        binary = (bool(types) and bool(binary_paths)
                  and types[0].split(b";")[0].strip().lower() == b"multipart/form-data"
                  and any(p.fullmatch(scope.get("path", "")) for p in binary_paths))
        for key, value in scope.get("headers", []):
            if key == b"content-length" and value.isdigit() and int(value) > limit:
                await _too_large(limit, scope, receive, send)
                return
        if streamed or binary:
            await self.app(scope, _guarded(receive, limit, allow_nul=binary), send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit, scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if b"\\u0000" in body or b"\x00" in body:
            await _refuse_nul("body", scope, receive, send)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body,
                                        "more_body": False}], receive), send)


def _guarded(receive: Receive, limit: int, *, allow_nul: bool = False) -> Receive:
    """A receive that raises (as a problem the endpoint's error handling renders) once the
    stream passes `limit` bytes or carries a NUL, even one split across two chunks."""
    size, tail = 0, b""

    async def receive_checked() -> Message:
        nonlocal size, tail
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"the request body exceeds {limit} bytes")
            window = tail + chunk
            if allow_nul:
                return message
            if b"\x00" in chunk or b"\\u0000" in window:
                raise InvalidInput("NUL characters are not allowed (body)",
                                   extra={"invalid_params": [InvalidParam(
                                       field="(body)", reason="contains NUL")]})
            tail = window[-5:]
        return message

    return receive_checked


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = iter(messages)

    async def receive_again() -> Message:
        try:
            return next(pending)
        except StopIteration:
            return await receive()

    return receive_again


async def _refuse_nul(where: str, scope: Scope, receive: Receive, send: Send) -> None:
    await problem_response(422, "invalid_input", f"NUL characters are not allowed ({where})",
                           [InvalidParam(field=f"({where})", reason="contains NUL")])(
        scope, receive, send)


async def _too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    await problem_response(413, "payload_too_large",
                           f"the request body exceeds {limit} bytes")(scope, receive, send)


def create_app(name: str, title: str, runtime_factory: Callable[[], Runtime],
               routers: list[APIRouter], description: str = "",
               setup: Callable[[FastAPI, Runtime], None] | None = None,
               streamed_paths: frozenset[str] = frozenset(),
               binary_upload_paths: tuple[str, ...] = ()) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = runtime_factory()
        setup_logging(name, runtime.settings.log_format)
        app.state.runtime = runtime
        if setup is not None:
            setup(app, runtime)
        log.info("%s service started", name)
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.streamed_paths = streamed_paths
    app.state.binary_upload_paths = tuple(re.compile(p) for p in binary_upload_paths)
    app.add_middleware(BodyGuardMiddleware)
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)

    @app.get("/healthz", operation_id="health:alive", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", operation_id="health:ready", tags=["operations"])
    async def readyz() -> JSONResponse:
        runtime: Runtime = app.state.runtime
        checks: dict[str, str] = {}
        try:
            await runtime.db.ping()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        try:
            await runtime.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", **checks},
                            status_code=200 if ok else 503)

    for router in routers:
        app.include_router(router)
    return app
