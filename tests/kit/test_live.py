"""Live notices leave only after commit: a rolled-back change publishes nothing, and a Redis
that cannot be reached never fails the change that has committed."""

from __future__ import annotations

import logging
import uuid

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from services.kit.db import Database
from services.kit.live import AccessChanged, LiveEvent, LivePublisher, publish_after_commit
from tests.conftest import Api


class Recorder:
    def __init__(self) -> None:
        self.sent: list[list[LiveEvent]] = []

    async def publish(self, events: list[LiveEvent]) -> int:
        self.sent.append(list(events))
        return len(events)


async def test_notices_go_out_after_commit_and_never_after_rollback(api: Api) -> None:
    db = Database(api.stack.database_url, pool_size=1)
    db.publisher = recorder = Recorder()
    first, second = (AccessChanged(subject=f"user:{uuid.uuid4()}") for _ in range(2))
    try:
        with pytest.raises(RuntimeError):
            async with db.unit_of_work() as uow:
                await uow.session.execute(text("select 1"))
                publish_after_commit(uow.session, first)
                raise RuntimeError("the change fails")
        assert recorder.sent == []
        async with db.unit_of_work() as uow:
            await uow.session.execute(text("select 1"))
            publish_after_commit(uow.session, first)
            publish_after_commit(uow, second)
            assert recorder.sent == []  # not before the commit
        assert recorder.sent == [[first, second]]  # one batch, in order
    finally:
        await db.dispose()


async def test_an_unreachable_redis_is_logged_not_raised(caplog: pytest.LogCaptureFixture
                                                         ) -> None:
    redis = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    publisher = LivePublisher(redis)
    try:
        with caplog.at_level(logging.WARNING, logger="openirm.live"):
            assert await publisher.publish([AccessChanged(subject="user:x")]) == 0
        assert "could not publish" in caplog.text
        # Within the back-off it does not even try (no request waits on a dead Redis).
        caplog.clear()
        assert await publisher.publish([AccessChanged(subject="user:x")]) == 0
        assert caplog.text == ""
    finally:
        await redis.aclose()
