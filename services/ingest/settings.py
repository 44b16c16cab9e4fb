"""The ingest service's settings."""

from __future__ import annotations

from pydantic import Field

from services.kit.settings import KitSettings


class IngestSettings(KitSettings):
    event_retention_days: int = Field(
        default=365, ge=7, le=3650,
        description="Events that occurred longer ago are refused and their monthly partitions "
                    "dropped.")
    partitions_ahead_months: int = Field(
        default=1, ge=0, le=24,
        description="Monthly partitions made beyond the accepted window (a year ahead).")
    maintenance_interval_s: float = Field(default=3600.0, ge=1.0)
    actor_cache_ttl_s: float = Field(default=300.0, ge=0.0)
