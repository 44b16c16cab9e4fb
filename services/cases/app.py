"""The cases service: the alert queue and triage, cases and notes."""

from __future__ import annotations

from fastapi import FastAPI

from services.cases.activity.router import router as activity_router
from services.cases.alerts.router import router as alerts_router
from services.cases.cases.router import router as cases_router
from services.cases.dashboards.router import router as dashboards_router
from services.cases.evidence.router import EVIDENCE_UPLOAD_PATH
from services.cases.evidence.router import router as evidence_router
from services.cases.exports.router import router as exports_router
from services.cases.feeds.router import router as feeds_router
from services.cases.notices.router import router as notices_router
from services.cases.reports.router import router as reports_router
from services.cases.risk_levels.router import router as risk_levels_router
from services.cases.settings import CasesSettings
from services.cases.shares.router import router as shares_router
from services.cases.triage_settings.router import router as triage_settings_router
from services.cases.webhooks.router import router as webhooks_router
from services.kit.app import create_app
from services.kit.runtime import Runtime


def build_runtime() -> Runtime:
    return Runtime("cases", CasesSettings())


def create() -> FastAPI:
    # The feed's router first: /alerts/feed is not an alert id.
    return create_app("cases", "OpenIRM cases", build_runtime,
                      [feeds_router, alerts_router, cases_router, evidence_router,
                       shares_router, notices_router, exports_router, activity_router,
                       reports_router, risk_levels_router, webhooks_router,
                       triage_settings_router, dashboards_router],
                      "The alert queue and triage (filters, SLA, triage assistant), cases, "
                      "notes, evidence, case sharing and resolutions; notices; escalation "
                      "exports; a person's activity by risk level, the content explorer and "
                      "user activity reports; the SIEM export feed, risk levels and signed "
                      "webhooks; dashboards.",
                      binary_upload_paths=(EVIDENCE_UPLOAD_PATH,))


app = create()
