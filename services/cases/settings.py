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
    case_window_days: int = Field(
        default=30, ge=1, le=400,
        description="A case's activity and content window when none of its alerts carries "
                    "scoring's activity window: this many days before the case was opened, "
                    "up to now.")
