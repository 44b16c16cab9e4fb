"""The scoring service: indicators, templates and policies; scores with explanations."""

from __future__ import annotations

from fastapi import FastAPI

from services.kit.app import create_app
from services.kit.runtime import Runtime
from services.kit.settings import KitSettings
from services.scoring.candidates.router import router as candidates_router
from services.scoring.indicators.router import router as indicators_router
from services.scoring.policies.router import router as policies_router


def build_runtime() -> Runtime:
    return Runtime("scoring", KitSettings())


def create() -> FastAPI:
    return create_app("scoring", "OpenIRM scoring", build_runtime,
                      [indicators_router, policies_router, candidates_router],
                      "Indicator settings, policy templates and policies; scores activity "
                      "and publishes alert candidates with their explanation.")


app = create()
