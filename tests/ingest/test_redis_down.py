"""Durability: with Redis down, ingest still accepts (it commits first; the wake-up is only a
hint), and once Redis is back scoring catches up and counts every event once."""

from __future__ import annotations

import asyncio
import time

import pytest

from openirm.embedded import start_redis
from tests.conftest import Api
from tests.factories import downloads_counted, event, ingest, person_email, subject_of


async def test_ingest_accepts_while_redis_is_down_and_scoring_catches_up(api: Api) -> None:
    if api.stack.redis is None:
        pytest.skip("Redis is external here; the test stops the embedded one")
    actor = person_email()
    ingest(api, [event(actor, "file.downloaded", file_name="before.docx")])
    subject = subject_of(api, actor)["subject_id"]
    redis_dir = api.stack.redis.data_dir
    api.stack.redis.stop()
    try:
        batches = [[event(actor, "file.downloaded", file_name=f"{b}-{i}.docx")
                    for i in range(100)] for b in range(5)]
        for batch in batches:
            ingest(api, batch)  # 202 each time: committed, the lost wake-up is not an error
        ingest(api, batches[0])  # re-sent while Redis is down: still nothing twice
    finally:
        api.stack.redis = start_redis(redis_dir)
    deadline = time.monotonic() + 60
    while (counted := await downloads_counted(api, subject)) < 501 and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
    assert counted == 501
    await asyncio.sleep(1.5)
    assert await downloads_counted(api, subject) == 501
    assert api.stack.crashed() == []
