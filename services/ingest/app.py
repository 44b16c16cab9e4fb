"""The ingest service: validates, pseudonymises and stores activity; wakes scoring."""

from __future__ import annotations

from fastapi import FastAPI

from services.ingest.events.router import router as events_router
from services.kit.app import create_app
from services.kit.runtime import Runtime
from services.kit.settings import KitSettings


def build_runtime() -> Runtime:
    return Runtime("ingest", KitSettings())


def create() -> FastAPI:
    return create_app("ingest", "OpenIRM ingest", build_runtime, [events_router],
                      "Receives activity events, pseudonymises actors and stores them "
                      "idempotently; serves the committed-event feed to scoring.")


app = create()
