"""Time partitions of the event table: made ahead of need (and on demand for any month a batch
touches), dropped whole once past the retention window, each drop audited."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from services.ingest.events.repository import driver
from services.ingest.storage import repository as repo
from services.ingest.storage.schemas import PartitionRead, RetentionResult
from services.kit.runtime import Runtime

log = logging.getLogger("openirm.ingest.storage")


def month_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date().replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


class Partitions:
    """Remembers which months have a partition so the hot path asks PostgreSQL only for a
    month it has not seen; creation runs in its own short transaction, never inside a
    batch's (creating a partition locks the parent table)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.known: set[date] = set()

    async def ensure(self, months: set[date]) -> None:
        missing = months - self.known
        if not missing:
            return
        async with self.rt.db.engine.connect() as sa_conn:
            raw = await sa_conn.get_raw_connection()
            conn = raw.driver_connection
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", repo.PARTITION_LOCK)
                for month in sorted(missing):
                    if await repo.create_partition(conn, month, next_month(month)):
                        log.info("created partition %s", repo.partition_name(month))
        self.known |= missing

    async def ensure_ahead(self, months_ahead: int) -> None:
        month = month_of(datetime.now(UTC))
        wanted = set()
        for _ in range(months_ahead + 1):
            wanted.add(month)
            month = next_month(month)
        await self.ensure(wanted)

    async def apply_retention(self, actor: str, retention_days: int) -> RetentionResult:
        """Drop every partition that ends before the retention cutoff, and the idempotency
        keys of those events, in one audited transaction."""
        cutoff = datetime.now(UTC) - timedelta(days=retention_days)
        dropped: list[str] = []
        events = 0
        async with self.rt.db.unit_of_work() as uow:
            conn = await driver(uow.session)
            await conn.execute("SELECT pg_advisory_xact_lock($1)", repo.PARTITION_LOCK)
            for name, _start, end in await repo.existing_partitions(conn):
                if end <= cutoff:
                    events += await repo.drop_partition(conn, name)
                    dropped.append(name)
            keys = await repo.delete_keys_before(conn, cutoff)
            if dropped or keys:
                await self.rt.audit.record(uow.session, actor=actor, action="events.retention",
                                           target="ingest.activity_event",
                                           detail={"cutoff": cutoff.isoformat(),
                                                   "partitions": dropped, "events": events,
                                                   "keys": keys})
        self.known = {m for m in self.known if next_month(m) > cutoff.date()}
        return RetentionResult(cutoff=cutoff, dropped_partitions=dropped, dropped_events=events,
                               dropped_keys=keys)

    async def list(self) -> list[PartitionRead]:
        async with self.rt.db.engine.connect() as sa_conn:
            raw = await sa_conn.get_raw_connection()
            rows = await repo.partition_sizes(raw.driver_connection)
        return [PartitionRead.model_validate(r) for r in rows]
