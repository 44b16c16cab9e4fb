"""The scoring service: indicators, templates and policies; scores with explanations."""

from __future__ import annotations

from fastapi import FastAPI

from services.kit.app import create_app
from services.kit.runtime import Runtime
from services.scoring.analytics.router import router as analytics_router
from services.scoring.candidates.router import router as candidates_router
from services.scoring.exclusions.router import router as exclusions_router
from services.scoring.global_settings.router import router as settings_router
from services.scoring.indicators.router import router as indicators_router
from services.scoring.policies.router import router as policies_router
from services.scoring.priority_groups.router import router as priority_groups_router
from services.scoring.replay.router import router as replay_router
from services.scoring.settings import ScoringSettings
from services.scoring.subjects.router import router as subjects_router


def build_runtime() -> Runtime:
    return Runtime("scoring", ScoringSettings())


def create() -> FastAPI:
    return create_app("scoring", "OpenIRM scoring", build_runtime,
                      [settings_router, indicators_router, priority_groups_router,
                       policies_router, subjects_router, replay_router, analytics_router,
                       candidates_router, exclusions_router],
                      "Global settings, indicators, priority groups, policy templates and "
                      "policies; scores activity, publishes alert candidates with their "
                      "explanation, replays policies over history and serves analytics; "
                      "suppression rules and benign marks say what stops counting.")


app = create()
