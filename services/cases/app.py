"""The cases service: the alert queue and triage, cases and notes."""

from __future__ import annotations

from fastapi import FastAPI

from services.cases.alerts.router import router as alerts_router
from services.cases.cases.router import router as cases_router
from services.kit.app import create_app
from services.kit.runtime import Runtime
from services.kit.settings import KitSettings


def build_runtime() -> Runtime:
    return Runtime("cases", KitSettings())


def create() -> FastAPI:
    return create_app("cases", "OpenIRM cases", build_runtime, [alerts_router, cases_router],
                      "The alert queue and triage, cases, notes and resolutions.")


app = create()
