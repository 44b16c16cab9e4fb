"""The cases service's settings."""

from __future__ import annotations

import uuid

from pydantic import Field

from services.kit.settings import KitSettings

# Documented in docs/siem.md: the tenant id of o365 feed records unless one is configured.
DEFAULT_ORGANIZATION_ID = uuid.UUID("0e1d1a3e-0000-4000-8000-000000000001")


class CasesSettings(KitSettings):
    organization_id: uuid.UUID = Field(
        default=DEFAULT_ORGANIZATION_ID,
        description="OrganizationId of the records of the SIEM feed's o365 format (the "
                    "reference product's tenant id).")
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
