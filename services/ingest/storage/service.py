"""Time partitions of the event table: made ahead of need (and on demand for any month a batch
touches), dropped whole once past the retention window, each drop audited."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from services.ingest.storage import repository as repo
from services.ingest.storage.schemas import PartitionRead, RetentionResult
from services.kit.audit import AuditWriter
from services.kit.db import Database, driver

log = logging.getLogger("openirm.ingest.storage")


def month_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date().replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


DDL_LOCK_TIMEOUT = "3s"


class Partitions:
    """Keeps a partition for every month an event may fall in: from the retention cutoff to
    a year ahead (the window ingest accepts), plus `partitions_ahead_months`. They are made
    by the maintenance loop, so uploads never wait for DDL; `ensure` remains as a safety net.
    DDL runs on the runtime's separate bookkeeping connections with a lock timeout: creating
    or detaching a partition locks the parent table, and must never wait on an upload's own
    transaction (PostgreSQL could not see that cycle) nor queue every insert behind it for
    long. A timeout is a 503 the client retries."""

    def __init__(self, db: Database, retention_days: int, ahead_months: int) -> None:
        self.db = db
        self.retention_days, self.ahead_months = retention_days, ahead_months
        self.known: set[date] = set()

    def window(self) -> set[date]:
        now = datetime.now(UTC)
        month = month_of(now - timedelta(days=self.retention_days))
        last = month_of(now + timedelta(days=366))
        for _ in range(self.ahead_months):
            last = next_month(last)
        wanted = set()
        while month <= last:
            wanted.add(month)
            month = next_month(month)
        return wanted

    async def ensure(self, months: set[date]) -> None:
        missing = months - self.known
        if not missing:
            return
        async with self.db.engine.connect() as sa_conn:
            raw = await sa_conn.get_raw_connection()
            conn = raw.driver_connection
            async with conn.transaction():
                await conn.execute(f"SET LOCAL lock_timeout = '{DDL_LOCK_TIMEOUT}'")
                await conn.execute("SELECT pg_advisory_xact_lock($1)", repo.PARTITION_LOCK)
                for month in sorted(missing):
                    if await repo.create_partition(conn, month, next_month(month)):
                        log.info("created partition %s", repo.partition_name(month))
        self.known |= missing

    async def ensure_window(self) -> None:
        await self.ensure(self.window())

    async def apply_retention(self, audit: AuditWriter, actor: str) -> RetentionResult:
        """Drop every partition that ends before the retention cutoff, and the idempotency
        keys of the events they held, in one audited transaction. Keys live exactly as long as
        their partition, so the (unindexed) key table is scanned only when a month goes,
        not every interval."""
        cutoff = datetime.now(UTC) - timedelta(days=self.retention_days)
        dropped: list[str] = []
        events = 0
        async with self.db.unit_of_work() as uow:
            conn = await driver(uow.session)
            await conn.execute(f"SET LOCAL lock_timeout = '{DDL_LOCK_TIMEOUT}'")
            await conn.execute("SELECT pg_advisory_xact_lock($1)", repo.PARTITION_LOCK)
            keys, dropped_until = 0, None
            for name, _start, end in await repo.existing_partitions(conn):
                if end <= cutoff:
                    events += await repo.drop_partition(conn, name)
                    dropped.append(name)
                    dropped_until = max(end, dropped_until or end)
            if dropped_until is not None:
                keys = await repo.delete_keys_before(conn, dropped_until)
                await audit.record(uow.session, actor=actor, action="events.retention",
                                   target="ingest.activity_event",
                                   detail={"cutoff": cutoff.isoformat(), "partitions": dropped,
                                           "events": events, "keys": keys})
        self.known = {m for m in self.known if next_month(m) > cutoff.date()}
        return RetentionResult(cutoff=cutoff, dropped_partitions=dropped, dropped_events=events,
                               dropped_keys=keys)

    async def list(self) -> list[PartitionRead]:
        async with self.db.engine.connect() as sa_conn:
            raw = await sa_conn.get_raw_connection()
            rows = await repo.partition_sizes(raw.driver_connection)
        return [PartitionRead.model_validate(r) for r in rows]
