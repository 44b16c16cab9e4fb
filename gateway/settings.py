"""The gateway's settings: the shared OPENIRM_ variables plus what only the gateway uses."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import CommonSettings


class GatewaySettings(CommonSettings):
    """Service URLs, timeouts and the environment come from `CommonSettings`; the gateway
    holds no database and no key: it forwards tokens, the services check them. Redis carries
    the services' live events to subscriptions."""

    redis_url: str = Field(default="redis://localhost:6379/0",
                           description="Where the services publish live events.")
    graphiql: bool | None = Field(default=None, description=(
        "Serve the GraphiQL IDE at /graphql; unset: on in development, off in production."))
    introspection: bool | None = Field(default=None, description=(
        "Answer introspection queries; unset: on in development, off in production."))
    max_depth: int = Field(default=12, ge=2, le=50, description="Deepest selection nesting.")
    max_aliases: int = Field(default=30, ge=1, le=1000, description="Aliases per request.")
    max_tokens: int = Field(default=5000, ge=100, le=100_000,
                            description="Lexical tokens per query document.")
    max_cost: int = Field(default=10_000, ge=10, le=10_000_000, description=(
        "Cost budget per request: 1 per field, a list's selection counted per item asked "
        "for (`first`)."))
    max_query_bytes: int = Field(default=100_000, ge=1024, le=10_000_000,
                                 description="Largest request body accepted.")
    persisted_queries: int = Field(default=2000, ge=0, le=1_000_000, description=(
        "Automatic persisted queries kept in memory (0 turns them off)."))
    live_recheck_s: float = Field(default=60.0, gt=0, le=3600, description=(
        "How often each subscription websocket checks its account again at identity (an "
        "access change is also acted on at once, when identity tells of it)."))
    live_queue_size: int = Field(default=256, ge=1, le=100_000, description=(
        "Live events one subscription may have waiting; one that falls further behind is "
        "ended with an error rather than slowing the others."))
    connect_timeout_s: float = Field(default=2.0, gt=0, le=30, description=(
        "How long a call waits to connect to a service (the other phases wait "
        "OPENIRM_HTTP_TIMEOUT_S): a service that is down fails its fields fast."))
    readiness_timeout_s: float = Field(default=2.0, gt=0, le=30,
                                       description="How long /readyz waits for each service.")

    @property
    def graphiql_enabled(self) -> bool:
        return self.env == "development" if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return self.env == "development" if self.introspection is None else self.introspection
