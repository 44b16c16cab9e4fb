"""The cases service: the alert queue and triage, cases and notes."""

from __future__ import annotations

from fastapi import FastAPI

from services.cases.alerts.router import router as alerts_router
from services.cases.cases.router import router as cases_router
from services.cases.feeds.router import router as feeds_router
from services.cases.risk_levels.router import router as risk_levels_router
from services.cases.settings import CasesSettings
from services.cases.webhooks.router import router as webhooks_router
from services.kit.app import create_app
from services.kit.runtime import Runtime


def build_runtime() -> Runtime:
    return Runtime("cases", CasesSettings())


def create() -> FastAPI:
    # The feed's router first: /alerts/feed is not an alert id.
    return create_app("cases", "OpenIRM cases", build_runtime,
                      [feeds_router, alerts_router, cases_router, risk_levels_router,
                       webhooks_router],
                      "The alert queue and triage, cases, notes and resolutions; the SIEM "
                      "export feed, risk levels and signed webhooks.")


app = create()
