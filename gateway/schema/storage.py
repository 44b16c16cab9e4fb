"""Event storage of the ingest service: its monthly partitions and the retention window that
drops old ones (Admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from gateway.context import Info
from gateway.schema.common import Connection, list_connection, operation, parse_datetime
from gateway.schema.payloads import Payload, attempt

MAX_PAGE = 500


@strawberry.type(description="One monthly partition of the activity-event table.")
class EventPartition:
    name: str = strawberry.field(description="The partition's table name.")
    starts_at: datetime = strawberry.field(description="Events at or after this time …")
    ends_at: datetime = strawberry.field(description="… and before this one.")
    estimated_events: int = strawberry.field(
        description="PostgreSQL's estimate of its rows (after ANALYZE).")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> EventPartition:
        return cls(name=data["name"], starts_at=parse_datetime(data["from"]),
                   ends_at=parse_datetime(data["to"]),
                   estimated_events=int(data["estimated_events"]))


@strawberry.type(description="What applying the retention window dropped.")
class RetentionResult:
    cutoff: datetime = strawberry.field(description="Events that occurred before this are "
                                                    "gone.")
    dropped_partitions: list[str] = strawberry.field(description="The partitions dropped.")
    dropped_events: int = strawberry.field(description="Events dropped with them.")
    dropped_keys: int = strawberry.field(description="Idempotency keys dropped with them.")


@strawberry.type(description="The result of applyRetention.")
class ApplyRetentionPayload(Payload):
    result: RetentionResult | None = strawberry.field(default=None,
                                                      description="What was dropped.")


@strawberry.type
class StorageQuery:
    @strawberry.field(description="The event table's monthly partitions, oldest first "
                                  "(Admins).",
                      metadata=operation("storage:partitions"))
    async def storage_partitions(
        self, info: Info,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 100,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[EventPartition]:
        items = await info.context.services.call("ingest", "GET", "/storage/partitions")
        return list_connection(items, EventPartition.from_service, first=first, after=after,
                               maximum=MAX_PAGE)


@strawberry.type
class StorageMutation:
    @strawberry.mutation(description="Apply the retention window now (it also runs every "
                                     "maintenance interval): drop the event partitions that "
                                     "ended before it, for good (Admins; audited). Takes no "
                                     "input: the window is the service's setting.",
                         metadata=operation("storage:retention"))
    async def apply_retention(self, info: Info) -> ApplyRetentionPayload:
        async def work() -> ApplyRetentionPayload:
            data = await info.context.services.call("ingest", "POST", "/storage/retention")
            return ApplyRetentionPayload(result=RetentionResult(
                cutoff=parse_datetime(data["cutoff"]),
                dropped_partitions=list(data["dropped_partitions"]),
                dropped_events=int(data["dropped_events"]),
                dropped_keys=int(data["dropped_keys"])))

        return await attempt(ApplyRetentionPayload, work)
