"""Settings shared by every service: one env prefix, typed URLs, refusal of placeholder secrets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-development-only"
# Asymmetric only: with HS* the issuer's public key would become a shared secret anyone knows.
OIDC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"})


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
    oidc_issuer: str | None = Field(default=None, max_length=500, description=(
        "An external OpenID Connect issuer whose access tokens every service accepts, exactly "
        "as it writes `iss` (e.g. https://login.microsoftonline.com/<tenant>/v2.0). Unset: "
        "only OpenIRM's own tokens are accepted."))
    oidc_audience: str | None = Field(default=None, max_length=500, description=(
        "The `aud` the issuer's tokens must carry for OpenIRM (Entra ID: the app's client id)."))
    oidc_claim: str = Field(default="email", min_length=1, max_length=100, description=(
        "The claim whose value is a staff account's email (email, preferred_username, upn)."))
    oidc_jwks_url: HttpUrl | None = Field(default=None, description=(
        "Where the issuer's signing keys are; by default the `jwks_uri` of "
        "<issuer>/.well-known/openid-configuration."))
    oidc_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"], description=(
        "Signature algorithms accepted from the issuer: asymmetric only (RS*, ES*)."))
    oidc_jwks_min_refetch_s: float = Field(default=60.0, ge=0, le=3600, description=(
        "A token naming a key the cached set lacks refetches the keys at most this often, "
        "so a flood of made-up key ids cannot hammer the issuer."))
    oidc_jwks_max_age_s: float = Field(default=3600.0, ge=10, le=86400, description=(
        "Cached keys are refetched after this long (kept if the issuer is unreachable)."))
    oidc_leeway_s: int = Field(default=30, ge=0, le=300, description=(
        "Clock skew allowed when checking the issuer's `exp` and `nbf`."))
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

    @model_validator(mode="after")
    def _check_oidc(self) -> KitSettings:
        if not self.oidc_issuer:
            return self
        if not self.oidc_audience:
            raise ValueError("OPENIRM_OIDC_AUDIENCE must be set with OPENIRM_OIDC_ISSUER")
        if self.oidc_issuer == self.jwt_issuer:
            raise ValueError("OPENIRM_OIDC_ISSUER must differ from OPENIRM_JWT_ISSUER")
        if self.env != "development" and not self.oidc_issuer.startswith("https://"):
            raise ValueError("OPENIRM_OIDC_ISSUER must be an https URL outside development")
        refused = [a for a in self.oidc_algorithms if a not in OIDC_ALGORITHMS]
        if refused or not self.oidc_algorithms:
            raise ValueError(f"OPENIRM_OIDC_ALGORITHMS may hold only {sorted(OIDC_ALGORITHMS)} "
                             f"(never HS* or none); refused: {refused}")
        return self
