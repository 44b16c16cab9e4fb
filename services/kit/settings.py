"""Settings shared by every service: one env prefix, typed URLs, refusal of placeholder secrets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-development-only"


class CommonSettings(BaseSettings):
    """What every process reads, the gateway included: environment, where the services are,
    logging, limits. No database, no keys."""

    model_config = SettingsConfigDict(env_prefix="OPENIRM_", extra="ignore")

    env: Literal["development", "production"] = "development"
    ingest_url: str = "http://127.0.0.1:8101"
    scoring_url: str = "http://127.0.0.1:8102"
    cases_url: str = "http://127.0.0.1:8103"
    identity_url: str = "http://127.0.0.1:8104"
    log_format: Literal["text", "json"] = "text"
    http_timeout_s: float = 10.0
    max_body_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=2 * 1024**3, ge=1024,
                                  description="Limit of a streamed upload (NDJSON, CSV).")


class KitSettings(CommonSettings):
    """A service's settings; each service subclasses it and adds its own fields."""

    database_url: str = "postgresql+asyncpg://postgres@localhost:5432/openirm"
    redis_url: str = "redis://localhost:6379/0"
    jwt_secret: str = PLACEHOLDER_SECRET
    jwt_previous_secrets: list[str] = Field(default_factory=list, description=(
        "Keys that signed tokens before a rotation: they still verify (until those tokens "
        "expire) but sign nothing. JSON list, e.g. '[\"old-key\"]'."))
    jwt_issuer: str = "openirm"
    jwt_audience: str = "openirm"
    access_token_ttl_s: int = Field(default=900, ge=30, le=86400)
    # This service's own client credentials (`openirm up` provisions them): it obtains its
    # token for calls to other services from identity with them.
    client_id: str | None = Field(default=None, max_length=100, description=(
        "The id (or name) of this service's client at identity."))
    client_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> KitSettings:
        if self.env != "development" and self.jwt_secret == PLACEHOLDER_SECRET:
            raise ValueError("OPENIRM_JWT_SECRET must be set outside development")
        if len(self.jwt_secret) < 16:
            raise ValueError("OPENIRM_JWT_SECRET must be at least 16 characters")
        return self
