"""The cases worker: alert wake-ups from scoring, notice delivery, export and report builds,
webhook deliveries and the risk-level expiry sweep, each with a periodic catch-up."""

from __future__ import annotations

from services.cases.alerts.sync import sync_alerts
from services.cases.app import build_runtime
from services.cases.cases.tasks import report_violations
from services.cases.exports.tasks import build_export, requeue_exports
from services.cases.notices.tasks import deliver_notice, requeue_notices
from services.cases.reports.tasks import build_report, resume_reports
from services.cases.risk_levels.tasks import sweep, sweep_expired
from services.cases.webhooks.tasks import deliver
from services.kit.jobs import CASES_QUEUE
from services.kit.worker import catch_up, job, worker_settings

WorkerSettings = worker_settings(
    "cases", CASES_QUEUE, build_runtime,
    [job("alert.sync", sync_alerts), job("case.violations", report_violations),
     job("notice.deliver", deliver_notice), job("export.build", build_export),
     job("activity_report.build", build_report), job("webhook.deliver", deliver),
     job("risk_level.sweep", sweep)],
    [catch_up(sync_alerts, 5), catch_up(report_violations, 30), catch_up(requeue_notices, 60),
     catch_up(requeue_exports, 60), catch_up(resume_reports, 10), catch_up(deliver, 5),
     catch_up(sweep_expired, 5)])
