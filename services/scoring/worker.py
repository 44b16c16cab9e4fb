"""The scoring worker: wake-ups from ingest, policy, settings and people changes, the
directory's changes from identity, what-if replays, plus periodic work so nothing depends on
a job surviving (Redis restart, worker crash): a catch-up of both feeds every 5 seconds, and
an hourly re-score (cumulative norms move with everyone's activity; scores held by the
alert-volume cap get their next day); every minute, expired suppression rules go to review."""

from __future__ import annotations

import uuid

from arq import cron

from services.kit.jobs import SCORING_QUEUE
from services.kit.runtime import Runtime
from services.kit.worker import catch_up, job, worker_settings
from services.scoring.app import build_runtime
from services.scoring.exclusions.tasks import exclusions_changed, sweep
from services.scoring.pipeline.service import (
    process_feed,
    promote_held,
    prune,
    rebuild,
    rescore_all,
    rescore_policy,
    rescore_subjects,
)
from services.scoring.replay.service import run as run_replay
from services.scoring.subjects.service import sync_directory


async def wake(rt: Runtime) -> int:
    return await process_feed(rt)


async def policy_changed(rt: Runtime, policy_id: str) -> int:
    return await rescore_policy(rt, uuid.UUID(policy_id))


async def subjects_changed(rt: Runtime, subjects: list[str]) -> int:
    return await rescore_subjects(rt, sorted(uuid.UUID(s) for s in subjects))


async def settings_changed(rt: Runtime, version: int) -> int:
    return await rescore_all(rt)


async def counting_changed(rt: Runtime, version: int) -> int:
    return await rebuild(rt)


async def replay(rt: Runtime, replay_id: str) -> str:
    return await run_replay(rt, uuid.UUID(replay_id))


async def directory_changed(rt: Runtime) -> int:
    return await sync_directory(rt)


async def hourly(ctx: dict) -> int:
    rt: Runtime = ctx["rt"]
    await prune(rt)
    return await rescore_all(rt) + await promote_held(rt)


WorkerSettings = worker_settings(
    "scoring", SCORING_QUEUE, build_runtime,
    [job("score.wake", wake), job("score.policy", policy_changed),
     job("score.subjects", subjects_changed), job("score.all", settings_changed),
     job("score.rebuild", counting_changed), job("score.replay", replay),
     job("score.directory", directory_changed), job("score.exclusions", exclusions_changed)],
    [catch_up(process_feed, 5), catch_up(sync_directory, 5), catch_up(sweep, 60),
     cron(hourly, minute=7, second=0, unique=True)])
