"""An event ingest answered 202 for is scored exactly once in effect, even when the scoring
worker is killed in the middle of its work."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx

from services.kit.db import async_url
from tests.conftest import Api
from tests.factories import event, ingest, person_email, subject_of


async def _counted(api: Api, subject_id: str) -> int:
    url = async_url(api.stack.database_url).replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(
            "SELECT coalesce(sum(count), 0) FROM scoring.daily_activity "
            "WHERE subject_id = $1 AND indicator = 'download'", subject_id)
    finally:
        await conn.close()


async def test_killed_worker_scores_every_event_once(api: Api) -> None:
    actor = person_email()
    batches = [[event(actor, "file.downloaded", file_name=f"{b}-{i}.docx") for i in range(200)]
               for b in range(10)]
    ingest(api, batches[0])
    subject = subject_of(api, actor)["subject_id"]
    for i, batch in enumerate(batches[1:], start=1):
        ingest(api, batch)
        if i == 3:
            api.stack.kill("scoring-worker")  # dies wherever it is
        if i == 6:
            api.stack.respawn("scoring-worker")
    ingest(api, batches[2])  # a re-sent batch changes nothing
    deadline = time.monotonic() + 30
    while (counted := await _counted(api, subject)) < 2000 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert counted == 2000
    await asyncio.sleep(1.5)  # and nothing is counted twice afterwards
    assert await _counted(api, subject) == 2000
    async with httpx.AsyncClient() as client:
        ready = await client.get(f"{api.scoring}/readyz")
    assert ready.status_code == 200
