"""The scoring worker: wake-ups from ingest and policy changes, plus a periodic catch-up so
nothing depends on a job surviving (Redis restart, worker crash)."""

from __future__ import annotations

import uuid

from services.kit.jobs import SCORING_QUEUE
from services.kit.runtime import Runtime
from services.kit.worker import catch_up, job, worker_settings
from services.scoring.app import build_runtime
from services.scoring.pipeline.service import process_feed, rescore_policy


async def wake(rt: Runtime) -> int:
    return await process_feed(rt)


async def policy_changed(rt: Runtime, policy_id: str) -> int:
    return await rescore_policy(rt, uuid.UUID(policy_id))


WorkerSettings = worker_settings(
    "scoring", SCORING_QUEUE, build_runtime,
    [job("score.wake", wake), job("score.policy", policy_changed)],
    [catch_up(process_feed, 5)])
