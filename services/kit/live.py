"""Live events for the gateway's subscriptions: small notices published on Redis pub/sub once
the change they tell of has committed (a rolled-back change publishes nothing).

A notice carries ids and what a subscriber needs to route it, never a person's identity: the
gateway fetches the object itself with each subscriber's token, so the service that owns it
still decides who sees it. Pub/sub is fire-and-forget: a notice missed while Redis or the
gateway is down is not replayed (the REST APIs and the SIEM feed are the durable record)."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.db import UnitOfWork, unit_of_work_of

log = logging.getLogger("openirm.live")

CHANNEL_PREFIX = "openirm:live:"


class LiveEvent(BaseModel):
    """A notice on one channel; `channel` names it (the Redis channel is prefixed)."""

    channel: ClassVar[str]


class AlertLive(LiveEvent):
    """An alert was raised or changed (`alert.raised` / `alert.updated`)."""

    alert_id: uuid.UUID
    subject_id: uuid.UUID = Field(description="The person's pseudonymous subject id.")
    policy_id: uuid.UUID
    status: str
    severity: str
    operation: Literal["created", "updated"]


class AlertRaised(AlertLive):
    """An alert was raised."""

    channel: ClassVar[str] = "alert.raised"


class AlertUpdated(AlertLive):
    """An alert changed: triaged, scored again, or resolved with its case."""

    channel: ClassVar[str] = "alert.updated"


CaseChange = Literal["opened", "note_added", "alert_added", "closed"]


class CaseUpdated(LiveEvent):
    """A case was opened or closed, or got a note or an alert."""

    channel: ClassVar[str] = "case.updated"
    case_id: uuid.UUID
    subject_id: uuid.UUID = Field(description="The person's pseudonymous subject id.")
    status: str
    change: CaseChange


class ExportProgress(LiveEvent):
    """An escalation export moved on."""

    channel: ClassVar[str] = "export.progress"
    export_id: uuid.UUID
    case_id: uuid.UUID
    state: str
    progress: int = Field(ge=0, le=100)


class ReplayProgress(LiveEvent):
    """A what-if replay moved on (throttled by the replay job to a few a second)."""

    channel: ClassVar[str] = "replay.progress"
    replay_id: uuid.UUID
    state: str
    progress: float = Field(ge=0, le=1)


class AccessChanged(LiveEvent):
    """A subject's roles or access scope changed, or it was revoked: whoever holds its
    tokens should check its access again now rather than at its next periodic check."""

    channel: ClassVar[str] = "access.changed"
    subject: str = Field(description="`user:<id>` or `client:<id>`.")


EVENTS: tuple[type[LiveEvent], ...] = (AlertRaised, AlertUpdated, CaseUpdated, ExportProgress,
                                       ReplayProgress, AccessChanged)
CHANNELS: tuple[str, ...] = tuple(e.channel for e in EVENTS)


def redis_channel(channel: str) -> str:
    return CHANNEL_PREFIX + channel


class LivePublisher:
    """Publishes notices; a Redis failure is logged and never fails the caller (the change has
    committed already). After a failure it stays quiet for a few seconds, so a Redis outage
    does not make every request wait for its connect timeout."""

    backoff_s = 5.0

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._down_until = 0.0

    async def publish(self, events: list[LiveEvent]) -> int:
        """Send the notices in one round trip; the number sent (0 on failure)."""
        if not events or time.monotonic() < self._down_until:
            return 0
        try:
            pipe = self.redis.pipeline(transaction=False)
            for event in events:
                pipe.publish(redis_channel(event.channel), event.model_dump_json())
            await pipe.execute()
            return len(events)
        except Exception as exc:  # never fail a committed change over a notice
            self._down_until = time.monotonic() + self.backoff_s
            log.warning("could not publish %d live event(s); live subscribers miss them: %s",
                        len(events), exc)
            return 0


def publish_after_commit(target: AsyncSession | UnitOfWork, event: LiveEvent) -> None:
    """Buffer a notice until the unit of work commits; dropped if it rolls back. A session
    outside any unit of work, or one of a database without a publisher (migrations, scripts),
    publishes nothing. All notices of one transaction go out together, in order."""
    uow = target if isinstance(target, UnitOfWork) else unit_of_work_of(target)
    if uow is None or uow.publisher is None:
        return
    if not uow.live:
        publisher: Any = uow.publisher

        async def flush() -> None:
            await publisher.publish(list(uow.live))

        uow.after_commit.append(flush)
    uow.live.append(event)
