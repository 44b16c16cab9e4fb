"""The gateway's settings: the shared OPENIRM_ variables plus what only the gateway uses."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import CommonSettings


class GatewaySettings(CommonSettings):
    """Service URLs, timeouts and the environment come from `CommonSettings`; the gateway
    holds no database URL and no key: it forwards tokens, the services check them."""

    graphiql: bool = Field(default=True, description="Serve GraphiQL at /graphql (development "
                           "only; never outside development).")
    readiness_timeout_s: float = Field(default=2.0, gt=0, le=30,
                                       description="How long /readyz waits for each service.")
