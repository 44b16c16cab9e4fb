from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PartitionRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str
    from_: datetime = Field(alias="from", serialization_alias="from")
    to: datetime
    estimated_events: int = Field(description="PostgreSQL's estimate (after ANALYZE).")


class RetentionResult(BaseModel):
    cutoff: datetime = Field(description="Events that occurred before this are gone.")
    dropped_partitions: list[str]
    dropped_events: int
    dropped_keys: int
