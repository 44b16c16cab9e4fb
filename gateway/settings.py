"""The gateway's settings: the shared OPENIRM_ variables plus what only the gateway uses."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import KitSettings


class GatewaySettings(KitSettings):
    """Service URLs, timeouts and the environment come from `KitSettings`."""

    graphiql: bool = Field(default=True, description="Serve GraphiQL at /graphql (development "
                           "only; never outside development).")
    readiness_timeout_s: float = Field(default=2.0, gt=0, le=30,
                                       description="How long /readyz waits for each service.")
