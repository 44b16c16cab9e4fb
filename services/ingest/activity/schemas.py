from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from services.ingest.events.catalogue import ActivityType, Category, Group


class ActivityRead(BaseModel):
    id: str
    subject_id: uuid.UUID
    alias: str
    type: ActivityType
    category: Category
    group: Group
    occurred_at: datetime
    received_at: datetime
    source: str
    attributes: dict[str, Any] = Field(description="Without content (file names, paths, "
                                       "subjects, URLs, remarks) unless `content_visible`.")
    content_visible: bool = Field(description="Whether the caller may see content.")
    original: dict[str, Any] | None = Field(default=None, description="The source record as "
                                            "received (content viewers only).")


class ActivityPage(BaseModel):
    items: list[ActivityRead]
    next_cursor: str | None


class DayCount(BaseModel):
    day: date
    category: Category
    count: int


class ActivitySummary(BaseModel):
    subject_id: uuid.UUID
    since: datetime
    until: datetime
    days: list[DayCount] = Field(description="Events per UTC day and category.")
    by_category: dict[str, int]
    by_type: dict[str, int]
    total: int
