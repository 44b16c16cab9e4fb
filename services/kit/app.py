"""The FastAPI factory every service uses: errors, request ids, health and readiness."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit.context import request_id_var
from services.kit.errors import install_error_handlers
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

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class RejectNulMiddleware:
    """PostgreSQL cannot store NUL characters in text or JSON: refuse them up front with a 422
    instead of failing deep in a query (found by fuzzing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = None
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            where = "query"
        elif "\x00" in scope.get("path", "") or b"%00" in scope.get("raw_path", b""):
            where = "path"
        messages: list[Message] = []
        if where is None:
            more = True
            while more:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                if b"\\u0000" in message.get("body", b"") or b"\x00" in message.get("body", b""):
                    where = "body"
                more = message.get("more_body", False)
        if where is not None:
            response = JSONResponse(
                {"type": "about:blank", "title": "Invalid input", "status": 422,
                 "code": "invalid_input", "detail": f"NUL characters are not allowed ({where})",
                 "invalid_params": [{"field": f"({where})", "reason": "contains NUL"}]},
                status_code=422, media_type="application/problem+json")
            await response(scope, receive, send)
            return
        replay = iter(messages)

        async def receive_again() -> Message:
            try:
                return next(replay)
            except StopIteration:
                return await receive()

        await self.app(scope, receive_again, send)


def create_app(name: str, title: str, runtime_factory: Callable[[], Runtime],
               routers: list[APIRouter], description: str = "",
               setup: Callable[[FastAPI, Runtime], None] | None = None) -> FastAPI:
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
    app.add_middleware(RejectNulMiddleware)
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
