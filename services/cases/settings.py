"""The cases service's settings."""

from __future__ import annotations

import uuid
from typing import Literal
from urllib.parse import urlsplit

from pydantic import EmailStr, Field, SecretStr, model_validator

from services.kit.settings import KitSettings

# Documented in docs/siem.md: the tenant id of o365 feed records unless one is configured.
DEFAULT_ORGANIZATION_ID = uuid.UUID("0e1d1a3e-0000-4000-8000-000000000001")


class CasesSettings(KitSettings):
    organization_id: uuid.UUID = Field(
        default=DEFAULT_ORGANIZATION_ID,
        description="OrganizationId of the records of the SIEM feed's o365 format (the "
                    "reference product's tenant id).")

    smtp_url: SecretStr | None = Field(default=None, description=(
        "Where notices are sent, e.g. smtp://user:password@mail.example.com:587 (smtps:// for "
        "TLS from the first byte). Unset: notices are kept in the outbox, not sent."))
    smtp_security: Literal["none", "starttls", "tls"] | None = Field(default=None, description=(
        "none, starttls or tls; by default tls for smtps:// and starttls otherwise."))
    smtp_default_from: EmailStr | None = Field(default=None, description=(
        "The envelope sender (bounces) of notices; by default each template's send-from."))
    smtp_timeout_s: float = Field(default=15.0, gt=0, le=300)
    notice_max_attempts: int = Field(default=5, ge=1, le=50, description=(
        "Delivery attempts of a notice (with growing delays) before it is marked failed."))
    export_signing_key: SecretStr | None = Field(default=None, description=(
        "The Ed25519 private key that signs export manifests: PEM (PKCS#8) or the base64 of "
        "the 32-byte raw key. `openirm up` generates one into the data directory."))
    export_max_activities: int = Field(default=20000, ge=1, le=1_000_000, description=(
        "At most this many activities go into an export's activities.json."))

    @model_validator(mode="after")
    def _check_smtp(self) -> CasesSettings:
        if self.smtp_url is not None:
            url = urlsplit(self.smtp_url.get_secret_value())
            if url.scheme not in ("smtp", "smtps") or not url.hostname:
                raise ValueError("OPENIRM_SMTP_URL must look like smtp://user:pass@host:port "
                                 "or smtps://...")
        return self
    evidence_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024,
        description="Largest evidence attachment accepted, in bytes (default 10 MiB); a "
                    "larger upload is refused with 413 while it streams in.")
    case_window_days: int = Field(
        default=30, ge=1, le=400,
        description="A case's activity and content window when none of its alerts carries "
                    "scoring's activity window: this many days before the case was opened, "
                    "up to now.")
    webhook_allow_private_networks: bool | None = Field(default=None, description=(
        "May webhook URLs point at loopback, private, link-local or other non-public "
        "addresses? Unset: yes in development (local receivers), no in production."))
    webhook_disable_after_failures: int = Field(default=20, ge=1, le=10_000, description=(
        "A subscription is disabled after this many failed delivery attempts in a row "
        "(unless it sets its own limit)."))
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=60, description=(
        "Time limit of one webhook delivery attempt (connect, send, answer)."))
    webhook_concurrency: int = Field(default=16, ge=1, le=256, description=(
        "Webhook deliveries in flight at once per worker."))

    @property
    def webhooks_may_reach_private(self) -> bool:
        if self.webhook_allow_private_networks is None:
            return self.env == "development"
        return self.webhook_allow_private_networks
