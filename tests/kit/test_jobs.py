"""Wake-ups that many commits ask for are coalesced: one job per window, run when it closes."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from services.kit.db import PendingJob
from services.kit.jobs import JobQueue
from tests.conftest import Api

QUEUE = "openirm:test-coalesce"


async def test_wake_ups_in_one_window_become_one_deferred_job(api: Api) -> None:
    queue = JobQueue(api.stack.redis_url)
    try:
        pool = await queue.pool()
        await pool.delete(QUEUE)
        window = 0.5
        # Start just after a window opens, so the three asks fall in the same one.
        await asyncio.sleep(window - time.time() % window + 0.01)
        for _ in range(3):
            assert await queue.enqueue(PendingJob(QUEUE, "score.wake", {}, coalesce_s=window))
        jobs = await pool.queued_jobs(queue_name=QUEUE)
        assert len(jobs) == 1
        score = await pool.zscore(QUEUE, jobs[0].job_id)
        runs_at = datetime.fromtimestamp(score / 1000, UTC)
        assert runs_at > datetime.now(UTC)  # deferred to the end of the window
        await asyncio.sleep(window)
        assert await queue.enqueue(PendingJob(QUEUE, "score.wake", {}, coalesce_s=window))
        assert len(await pool.queued_jobs(queue_name=QUEUE)) == 2  # the next window's job
        await pool.delete(QUEUE)
    finally:
        await queue.close()
