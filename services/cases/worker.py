"""The cases worker: alert wake-ups from scoring, plus a periodic catch-up."""

from __future__ import annotations

from services.cases.alerts.sync import sync_alerts
from services.cases.app import build_runtime
from services.kit.jobs import CASES_QUEUE
from services.kit.worker import catch_up, job, worker_settings

WorkerSettings = worker_settings(
    "cases", CASES_QUEUE, build_runtime,
    [job("alert.sync", sync_alerts)],
    [catch_up(sync_alerts, 5)])
