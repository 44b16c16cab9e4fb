"""The GraphQL gateway: strawberry over the services' REST APIs, holding no data of its own."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter

from gateway.clients import check_health, create_http_client
from gateway.context import GatewayContext, get_context
from gateway.schema import schema
from gateway.settings import GatewaySettings
from services.kit.app import RequestIdMiddleware
from services.kit.logs import setup_logging

log = logging.getLogger("openirm.gateway")


def create(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_logging("gateway", settings.log_format)
        app.state.http = create_http_client(settings)
        log.info("gateway started")
        try:
            yield
        finally:
            await app.state.http.aclose()

    app = FastAPI(title="OpenIRM gateway", version="0.1.0", lifespan=lifespan,
                  description="GraphQL for front-ends over the OpenIRM services' REST APIs. "
                              "It forwards the caller's bearer token; each service decides.")
    app.state.settings = settings
    app.add_middleware(RequestIdMiddleware)

    graphiql = settings.graphiql and settings.env == "development"
    graphql: GraphQLRouter[GatewayContext, None] = GraphQLRouter(
        schema, context_getter=get_context, graphql_ide="graphiql" if graphiql else None,
        tags=["graphql"])
    app.include_router(graphql, prefix="/graphql")

    @app.get("/healthz", operation_id="health:alive", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", operation_id="health:ready", tags=["operations"])
    async def readyz() -> JSONResponse:
        checks = await check_health(app.state.http, settings)
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", **checks},
                            status_code=200 if ok else 503)

    return app


app = create()
