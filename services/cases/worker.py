"""The cases worker: alert wake-ups from scoring, webhook deliveries, the risk-level expiry
sweep, each with a periodic catch-up."""

from __future__ import annotations

from services.cases.alerts.sync import sync_alerts
from services.cases.app import build_runtime
from services.cases.cases.tasks import report_violations
from services.cases.risk_levels.tasks import sweep, sweep_expired
from services.cases.webhooks.tasks import deliver
from services.kit.jobs import CASES_QUEUE
from services.kit.worker import catch_up, job, worker_settings

WorkerSettings = worker_settings(
    "cases", CASES_QUEUE, build_runtime,
    [job("alert.sync", sync_alerts), job("case.violations", report_violations),
     job("webhook.deliver", deliver), job("risk_level.sweep", sweep)],
    [catch_up(sync_alerts, 5), catch_up(report_violations, 30), catch_up(deliver, 5),
     catch_up(sweep_expired, 5)])
