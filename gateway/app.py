"""The GraphQL gateway: strawberry over the services' REST APIs, holding no data of its own."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from graphql import ExecutionResult
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from gateway.clients import check_health, create_http_client
from gateway.context import GatewayContext, Loaders, get_context
from gateway.errors import BAD_USER_INPUT
from gateway.limits import PersistedQueryStore
from gateway.live import LiveHub, connect, connection_of
from gateway.schema import build_schema
from gateway.settings import GatewaySettings
from services.kit.app import RequestIdMiddleware
from services.kit.logs import setup_logging

log = logging.getLogger("openirm.gateway")


class GatewayRouter(GraphQLRouter[GatewayContext, None]):
    """strawberry's router plus automatic persisted queries and authenticated subscription
    websockets (graphql-transport-ws)."""

    persisted: PersistedQueryStore | None = None

    async def on_ws_connect(self, context: GatewayContext) -> UnsetType | dict[str, object] | None:
        """The token of `connection_init`, not of an HTTP header, is the caller's for the
        whole connection; a missing or refused one closes it with 4403."""
        websocket = context.request
        conn = await connect(websocket, context.connection_params)
        context.services = conn.services()
        context.loaders = Loaders(context.services)
        return UNSET

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        finally:
            if (conn := connection_of(request)) is not None:
                conn.end()  # the websocket has ended: stop its timers

    async def execute_single(self, request: Any, request_adapter: Any, sub_response: Any,
                             context: GatewayContext, root_value: Any,
                             request_data: GraphQLRequestData) -> ExecutionResult:
        if self.persisted is not None and request_data.extensions \
                and "persistedQuery" in request_data.extensions:
            query, error = self.persisted.resolve(request_data.query, request_data.extensions)
            if error is not None:
                return ExecutionResult(data=None, errors=[error])
            request_data.query = query
        return await super().execute_single(request, request_adapter, sub_response, context,
                                            root_value, request_data)


GC_THRESHOLD = (20_000, 50, 100)


def calm_garbage_collector() -> None:
    """A GraphQL answer allocates tens of thousands of short-lived objects; with CPython's
    default thresholds (700, 10, 10) that sets off a full collection every few requests,
    which walks every long-lived object (the schema, the modules) and showed as 100 ms
    spikes at p95. Long-lived objects are frozen out of collection once started, and the
    young generation collects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def create(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_logging("gateway", settings.log_format)
        app.state.http = create_http_client(settings)
        app.state.live = LiveHub(settings, app.state.http)
        await app.state.live.start()
        calm_garbage_collector()
        log.info("gateway started")
        try:
            yield
        finally:
            await app.state.live.stop()
            await app.state.http.aclose()

    app = FastAPI(title="OpenIRM gateway", version="0.1.0", lifespan=lifespan,
                  description="GraphQL for front-ends over the OpenIRM services' REST APIs. "
                              "It forwards the caller's bearer token; each service decides.")
    app.state.settings = settings
    app.add_middleware(RequestIdMiddleware)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        """Refuse an oversized query before reading it (413, in GraphQL's error shape)."""
        length = request.headers.get("content-length")
        multipart = request.headers.get("content-type", "").startswith("multipart/")
        if request.url.path.startswith("/graphql") and not multipart and length \
                and length.isdigit() and int(length) > settings.max_query_bytes:
            return JSONResponse({"errors": [{
                "message": f"The request is over {settings.max_query_bytes} bytes.",
                "extensions": {"code": BAD_USER_INPUT}}]}, status_code=413)
        return await call_next(request)

    # Multipart requests (the GraphQL multipart request spec) carry file uploads such as case
    # evidence; the body limit above does not apply to them, the owning service's does.
    graphql = GatewayRouter(
        build_schema(settings), context_getter=get_context,
        graphql_ide="graphiql" if settings.graphiql_enabled else None, tags=["graphql"],
        multipart_uploads_enabled=True, subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,))
    if settings.persisted_queries:
        graphql.persisted = PersistedQueryStore(settings.persisted_queries)
    app.include_router(graphql, prefix="/graphql")

    @app.get("/healthz", operation_id="health:alive", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", operation_id="health:ready", tags=["operations"])
    async def readyz() -> JSONResponse:
        checks = await check_health(app.state.http, settings)
        checks["live"] = "ok" if app.state.live.ready.is_set() else "error: not subscribed"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", **checks},
                            status_code=200 if ok else 503)

    return app


app = create()
