"""The scoring service's settings (environment; the global settings Admins edit are data)."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import KitSettings


class ScoringSettings(KitSettings):
    event_retention_days: int = Field(
        default=365, ge=7, le=3650,
        description="The same variable as ingest's: scoring's signals and daily aggregates of "
                    "days longer ago are deleted by the hourly maintenance.")
