"""Wake-ups that many commits ask for are coalesced: one job per window, run when it closes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from services.kit.db import PendingJob
from services.kit.jobs import JobQueue
from tests.conftest import Api

QUEUE = "openirm:test-coalesce"
WINDOW = 0.5


@pytest.fixture
async def queue(api: Api) -> AsyncIterator[JobQueue]:
    """A queue on the stack's Redis, empty, just after a window opened (so that the asks a
    test makes fall in one window)."""
    jobs = JobQueue(api.stack.redis_url)
    await (await jobs.pool()).delete(QUEUE)
    await asyncio.sleep(WINDOW - time.time() % WINDOW + 0.01)
    yield jobs
    await jobs.close()


async def test_wake_ups_in_one_window_become_one_deferred_job(queue: JobQueue) -> None:
    pool, window = await queue.pool(), WINDOW
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


async def test_an_ask_after_its_window_started_goes_to_the_next_window(queue: JobQueue
                                                                       ) -> None:
    """If the worker's clock runs ahead, a window's job may start while this host still
    places commits in it: those asks must not be dropped (arq refuses a job id it knows)."""
    pool, window = await queue.pool(), WINDOW
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
