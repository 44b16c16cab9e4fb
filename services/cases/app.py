"""The cases service: the alert queue and triage, cases and notes."""

from __future__ import annotations

from fastapi import FastAPI

from services.cases.alerts.router import router as alerts_router
from services.cases.cases.router import router as cases_router
from services.cases.dashboards.router import router as dashboards_router
from services.cases.feeds.router import router as feeds_router
from services.cases.settings import CasesSettings
from services.cases.triage_settings.router import router as triage_settings_router
from services.kit.app import create_app
from services.kit.runtime import Runtime


def build_runtime() -> Runtime:
    return Runtime("cases", CasesSettings())


def create() -> FastAPI:
    # The feed's router first: /alerts/feed is not an alert id.
    return create_app("cases", "OpenIRM cases", build_runtime,
                      [feeds_router, alerts_router, cases_router, triage_settings_router,
                       dashboards_router],
                      "The alert queue and triage (filters, SLA, triage assistant), cases, "
                      "notes and resolutions; the SIEM export feed; dashboards.")


app = create()
