"""The job queue: arq over Redis; jobs are wake-ups carrying ids, safe to run twice."""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix, result_key_prefix
from pydantic import BaseModel

from services.kit.context import request_id_var

log = logging.getLogger("openirm.jobs")

SCORING_QUEUE = "openirm:scoring"
CASES_QUEUE = "openirm:cases"


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 1
    return settings


class JobQueue:
    """Enqueues jobs; a Redis outage is logged, not raised: durable state lives in PostgreSQL
    and every consumer has a periodic catch-up, so a lost wake-up only delays work."""

    backoff_s = 5.0

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: ArqRedis | None = None
        self._down_until = 0.0

    async def pool(self) -> ArqRedis:
        if self._pool is None:
            self._pool = await create_pool(redis_settings(self.url))
        return self._pool

    async def enqueue(self, job: Any) -> bool:
        """Send a job. A job with `coalesce_s` is a wake-up that many commits may ask for: all
        asks within one window of that length become one job, run when the window closes. It
        is sent after the asker's commit, so a job still waiting will see that commit. Should
        the window's job have started already (the worker's clock runs ahead of this host's),
        the ask goes to the next window instead of being dropped."""
        if time.monotonic() < self._down_until:
            return False  # Redis was just unreachable: do not make every request wait for it
        try:
            pool = await self.pool()
            kwargs = dict(job.kwargs)
            kwargs.setdefault("request_id", request_id_var.get())
            if not job.coalesce_s:
                await pool.enqueue_job(job.function, _job_id=job.job_id, _queue_name=job.queue,
                                       **kwargs)
                return True
            window = math.floor(time.time() / job.coalesce_s)
            for w in (window, window + 1):
                job_id = f"{job.function}:{w}"
                queued = await pool.enqueue_job(
                    job.function, _job_id=job_id, _queue_name=job.queue,
                    _defer_until=datetime.fromtimestamp((w + 1) * job.coalesce_s, UTC),
                    **kwargs)
                if queued is not None or not await pool.exists(
                        in_progress_key_prefix + job_id, result_key_prefix + job_id):
                    return True  # ours, or one that has not started yet and will see us
            log.warning("wake-ups of %s keep finding their window started; relying on "
                        "catch-up (are the clocks of this host and the worker apart?)",
                        job.function)
            return False
        except Exception as exc:  # Redis down: the catch-up job will pick the work up
            log.warning("enqueue of %s failed, relying on catch-up for %.0f s: %s",
                        job.function, self.backoff_s, exc)
            self._down_until = time.monotonic() + self.backoff_s
            return False

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


class ScoreWake(BaseModel):
    """Ingest committed new events: read the feed from the durable cursor."""

    request_id: str | None = None


class ScorePolicy(BaseModel):
    """A policy was created or changed: re-score everyone in its scope."""

    policy_id: str
    request_id: str | None = None


class ScoreSubjects(BaseModel):
    """Facts about these people changed (priority group, attributes, manual addition,
    violation): re-score them under every active policy."""

    subjects: list[str]
    request_id: str | None = None


class ScoreAll(BaseModel):
    """The global settings changed without changing what counts: re-score everyone in scope."""

    version: int
    request_id: str | None = None


class ScoreRebuild(BaseModel):
    """What counts changed (detections, priority content, custom indicators): rebuild the
    daily aggregates from the stored signals, then re-score everyone in scope."""

    version: int
    request_id: str | None = None


class ScoreReplay(BaseModel):
    """Run a what-if replay (its definition is stored with it)."""

    replay_id: str
    request_id: str | None = None


class DirectoryWake(BaseModel):
    """The directory changed (department, region, high impact, erasure): read identity's
    people-change feed from the durable cursor."""

    request_id: str | None = None


class ScoreExclusions(BaseModel):
    """A suppression rule or benign mark of these people changed: decide again which of their
    events count, rebuild their daily aggregates and re-score them."""

    subjects: list[str]
    request_id: str | None = None


class AlertSync(BaseModel):
    """Scoring appended alert candidates: cases reads them from its durable cursor."""

    request_id: str | None = None


class NoticeDeliver(BaseModel):
    """Send a notice recorded on a case (retried with growing delays)."""

    notice_id: str
    request_id: str | None = None


class ExportBuild(BaseModel):
    """Build the bundle of an escalation export."""

    export_id: str
    request_id: str | None = None


class ActivityReportBuild(BaseModel):
    """An activity report was asked for: read its person's activity into it."""

    report_id: str
    request_id: str | None = None


JOBS: dict[str, tuple[str, type[BaseModel]]] = {
    "score.wake": (SCORING_QUEUE, ScoreWake),
    "score.policy": (SCORING_QUEUE, ScorePolicy),
    "score.subjects": (SCORING_QUEUE, ScoreSubjects),
    "score.all": (SCORING_QUEUE, ScoreAll),
    "score.rebuild": (SCORING_QUEUE, ScoreRebuild),
    "score.replay": (SCORING_QUEUE, ScoreReplay),
    "score.directory": (SCORING_QUEUE, DirectoryWake),
    "score.exclusions": (SCORING_QUEUE, ScoreExclusions),
    "alert.sync": (CASES_QUEUE, AlertSync),
    "notice.deliver": (CASES_QUEUE, NoticeDeliver),
    "export.build": (CASES_QUEUE, ExportBuild),
    "activity_report.build": (CASES_QUEUE, ActivityReportBuild),
}
