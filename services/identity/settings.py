from __future__ import annotations

from pydantic import Field, model_validator

from services.kit.settings import KitSettings

PLACEHOLDER_KEY = "change-me-identity-key-development-only"


class IdentitySettings(KitSettings):
    """`identity_key` protects the pseudonym map (it wraps each person's data key and keys
    the blind index); `identity_previous_keys` are keys it replaced, still read until the
    re-encryption pass (`POST /people/rekey`) has moved every row to the current key."""

    identity_key: str = PLACEHOLDER_KEY
    identity_previous_keys: list[str] = Field(default_factory=list, description=(
        "Identity keys used before a rotation: they still open and find what they sealed, "
        "but seal nothing. JSON list, e.g. '[\"old-key\"]'."))
    reveal_ttl_s: int = 8 * 3600
    directory_import_max_rows: int = Field(default=1_000_000, ge=1, le=10_000_000, description=(
        "Records one directory import may hold (CSV and NDJSON are streamed; a JSON array is "
        "limited to 50,000 besides)."))
    refresh_token_ttl_s: int = Field(default=12 * 3600, ge=60, le=30 * 86400, description=(
        "How long a sign-in session can be refreshed without a new sign-in."))
    sign_in_max_failures: int = Field(default=5, ge=1, le=1000, description=(
        "Failed sign-ins for one email within the lockout window before it is locked."))
    sign_in_lockout_s: int = Field(default=900, ge=1, le=86400, description=(
        "How long failures are remembered, and a locked email stays locked."))

    @model_validator(mode="after")
    def _refuse_placeholder_key(self) -> IdentitySettings:
        if self.env != "development" and self.identity_key == PLACEHOLDER_KEY:
            raise ValueError("OPENIRM_IDENTITY_KEY must be set outside development")
        if len(self.identity_key) < 16:
            raise ValueError("OPENIRM_IDENTITY_KEY must be at least 16 characters")
        return self
