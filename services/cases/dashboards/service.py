"""Dashboards: the triage team's figures, scoped to the people the caller sees."""

from __future__ import annotations

from datetime import datetime

from services.cases.alerts import repository as alerts_repo
from services.cases.alerts import service as alerts
from services.cases.alerts.schemas import AlertQuery, Bucket
from services.cases.dashboards import repository as repo
from services.cases.dashboards.schemas import SlaBreaches, TriageDashboard, TriageTimes
from services.kit.db import UnitOfWork
from services.kit.deps import Caller


async def triage(uow: UnitOfWork, caller: Caller, *, start: datetime | None,
                 end: datetime | None, bucket: Bucket) -> TriageDashboard:
    first, end, step_s, n = alerts.buckets(start, end, bucket)
    start = start or first
    subjects = caller.scope.subject_list()
    counts = await alerts.counts(uow, caller, AlertQuery(detected_from=start, detected_to=end))
    everything = alerts_repo.QueueFilter(subjects=subjects)
    open_alerts = await alerts_repo.open_histogram(uow.session, everything, first, end, step_s)
    open_cases = await alerts_repo.case_histogram(uow.session, subjects, first, end, step_s)
    triaged, mean_triage, late = await repo.triage_times(uow.session, subjects, start, end)
    resolved, mean_resolve = await repo.resolve_times(uow.session, subjects, start, end)
    breached = await alerts.counts(uow, caller, AlertQuery(sla_breached=True))
    return TriageDashboard.model_validate({
        "from": start, "to": end, "bucket": bucket, "alerts": counts,
        "open_alerts_over_time": alerts.running_counts(open_alerts, first, end, step_s, n),
        "open_cases_over_time": alerts.running_counts(open_cases, first, end, step_s, n),
        "time_to_triage": TriageTimes(count=triaged, mean_s=mean_triage),
        "time_to_resolve": TriageTimes(count=resolved, mean_s=mean_resolve),
        "sla": SlaBreaches(breached_now=breached.total, breached_before_triage=late,
                           triaged_within_sla=triaged - late)})
