"""An event ingest answered 202 for is scored exactly once in effect, even when the scoring
worker is killed in the middle of its work."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.conftest import Api
from tests.factories import downloads_counted, event, ingest, person_email, subject_of


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
    while (counted := await downloads_counted(api, subject)) < 2000 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert counted == 2000
    await asyncio.sleep(1.5)  # and nothing is counted twice afterwards
    assert await downloads_counted(api, subject) == 2000
    async with httpx.AsyncClient() as client:
        ready = await client.get(f"{api.scoring}/readyz")
    assert ready.status_code == 200
