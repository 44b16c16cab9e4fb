"""Database engine and the unit of work: one transaction per request or job; jobs are sent
after commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from services.kit.audit import discard_pending, write_pending


def async_url(url: str) -> str:
    """Accept plain `postgresql://` URLs (as operators write them) and use asyncpg."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    return url


def create_engine(url: str, *, pool_size: int = 10,
                  application_name: str | None = None) -> AsyncEngine:
    # A transaction left open would hold back every commit-ordered feed: end it.
    server_settings = {"idle_in_transaction_session_timeout": "60000"}
    if application_name:  # who is who in pg_stat_activity
        server_settings["application_name"] = application_name
    return create_async_engine(async_url(url), pool_size=pool_size, max_overflow=pool_size,
                               pool_pre_ping=True,
                               connect_args={"server_settings": server_settings})


@dataclass
class PendingJob:
    queue: str
    function: str
    kwargs: dict[str, Any]
    job_id: str | None = None
    coalesce_s: float | None = None  # see JobQueue.enqueue


@dataclass
class UnitOfWork:
    """A session plus the jobs to enqueue once its transaction has committed."""

    session: AsyncSession
    jobs: list[PendingJob] = field(default_factory=list)
    after_commit: list[Any] = field(default_factory=list)
    publisher: Any = None  # services.kit.live.LivePublisher, when the process has Redis
    live: list[Any] = field(default_factory=list)  # see services.kit.live

    def enqueue_after_commit(self, queue: str, function: str, *, job_id: str | None = None,
                             coalesce_s: float | None = None, **kwargs: Any) -> None:
        self.jobs.append(PendingJob(queue, function, kwargs, job_id, coalesce_s))


_UOW = "openirm.unit_of_work"


def unit_of_work_of(session: AsyncSession) -> UnitOfWork | None:
    """The unit of work a session belongs to, so code handed only the session can still
    buffer a job for after its commit."""
    return session.info.get(_UOW)


async def advisory_xact_lock(session: AsyncSession, key: int) -> None:
    """Hold a transaction-scoped advisory lock: one transaction at a time does this work."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


async def try_advisory_xact_lock(session: AsyncSession, key: int) -> bool:
    """Take the transaction-scoped advisory lock if it is free; never wait for it."""
    got = await session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})
    return bool(got.scalar())


async def driver(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session, inside the session's transaction (COPY and
    array parameters without the ORM). SQLAlchemy's asyncpg adapter sends BEGIN only with its
    first statement, so one is sent first: without it, raw statements would each commit on
    their own."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver_conn: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
    if not driver_conn.is_in_transaction():
        await session.execute(text("SELECT 1"))
    if not driver_conn.is_in_transaction():
        raise RuntimeError("the session did not open a transaction")
    return driver_conn


class Database:
    def __init__(self, url: str, *, pool_size: int = 10,
                 application_name: str | None = None) -> None:
        self.engine = create_engine(url, pool_size=pool_size, application_name=application_name)
        self.sessionmaker = async_sessionmaker(self.engine, class_=AsyncSession,
                                               expire_on_commit=False)
        self.publisher: Any = None  # set by the runtime: live events after commit

    @asynccontextmanager
    async def unit_of_work(self, queue: Any = None) -> AsyncIterator[UnitOfWork]:
        """Commit on success, roll back on error; then hand buffered jobs to the queue."""
        async with self.sessionmaker() as session:
            uow = UnitOfWork(session, publisher=self.publisher)
            session.info[_UOW] = uow
            try:
                yield uow
                await write_pending(session)
                await session.commit()
            except BaseException:
                discard_pending(session)
                await session.rollback()
                raise
        if queue is not None:
            for job in uow.jobs:
                await queue.enqueue(job)
        for callback in uow.after_commit:
            await callback()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("select 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
