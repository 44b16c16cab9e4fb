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
        queued = await pool.queued_jobs(queue_name=QUEUE)
        assert len(queued) == 2  # the next window's job
        await pool.delete(QUEUE, *(f"arq:job:{j.job_id}" for j in queued))
    finally:
        await queue.close()


async def test_an_ask_after_its_window_started_goes_to_the_next_window(api: Api) -> None:
    """If the worker's clock runs ahead, a window's job may start while this host still
    places commits in it: those asks must not be dropped (arq refuses a job id it knows)."""
    queue = JobQueue(api.stack.redis_url)
    try:
        pool = await queue.pool()
        await pool.delete(QUEUE)
        window = 0.5
        await asyncio.sleep(window - time.time() % window + 0.01)
        current = int(time.time() // window)
        started = f"score.wake:{current}"
        # What arq holds for a job that is running: its job key and an in-progress key.
        await pool.set(f"arq:job:{started}", b"x", px=5000)
        await pool.set(f"arq:in-progress:{started}", b"1", px=5000)
        assert await queue.enqueue(PendingJob(QUEUE, "score.wake", {}, coalesce_s=window))
        ids = {j.job_id for j in await pool.queued_jobs(queue_name=QUEUE)}
        assert ids == {f"score.wake:{current + 1}"}
        await pool.delete(QUEUE, f"arq:job:{started}", f"arq:in-progress:{started}",
                          f"arq:job:score.wake:{current + 1}")
    finally:
        await queue.close()
