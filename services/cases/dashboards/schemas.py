from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.cases.alerts.schemas import AlertCounts, Bucket, OpenPoint


class TriageTimes(BaseModel):
    count: int
    mean_s: float | None = Field(description="Mean seconds; null when none in the window.")


class SlaBreaches(BaseModel):
    breached_now: int = Field(description="Alerts still in needs_review past their due time.")
    breached_before_triage: int = Field(description=(
        "Alerts triaged in the window after their due time."))
    triaged_within_sla: int = Field(description="Alerts triaged in the window in time.")


class TriageDashboard(BaseModel):
    """The triage team's figures over a window, for the people the caller sees."""

    from_: datetime = Field(alias="from", serialization_alias="from")
    to: datetime
    bucket: Bucket
    alerts: AlertCounts = Field(description="Alerts detected in the window, by severity and "
                                "by their status now.")
    open_alerts_over_time: list[OpenPoint]
    open_cases_over_time: list[OpenPoint]
    time_to_triage: TriageTimes = Field(description="Detection to confirm or dismiss, over "
                                        "the alerts triaged in the window.")
    time_to_resolve: TriageTimes = Field(description="Detection to the closing of the alert's "
                                         "case, over the alerts resolved in the window.")
    sla: SlaBreaches
