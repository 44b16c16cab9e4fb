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
    evidence_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, le=512 * 1024 * 1024,
        description="Largest evidence attachment accepted, in bytes (default 10 MiB); a "
                    "larger upload is refused with 413 while it streams in.")
