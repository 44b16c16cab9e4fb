from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class ActivityTypeShare(BaseModel):
    type: str
    events: int
    people: int


class DepartmentShare(BaseModel):
    department: str
    people: int
    people_with_exfiltration: int
    share_with_exfiltration: float


class AnalyticsOverview(BaseModel):
    """Organisation-level insights without any policy. Groups smaller than the minimum size
    are never shown: their people count only in the organisation's totals."""

    start: date
    end: date
    min_group_size: int
    people_active: int | None = Field(description="Null when fewer than the minimum.")
    people_with_exfiltration: int | None
    share_with_exfiltration: float | None
    top_activity_types: list[ActivityTypeShare]
    departments: list[DepartmentShare]
    departments_suppressed: int = Field(description="Departments left out for being smaller "
                                        "than the minimum group size.")
