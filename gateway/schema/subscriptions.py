"""Subscriptions: alerts, cases, replays and exports as they change, over graphql-transport-ws.

Each event is fetched from the owning service with the subscriber's own token before it is
sent (see `gateway/live.py`), so a subscription shows exactly what the same caller's queries
would, and nothing about objects the caller may not read."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Callable
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from gateway.clients import uuid_segment as _uuid
from gateway.context import Info, Loaders
from gateway.errors import ServiceError, to_client_error
from gateway.live import LiveConnection, Notice, connection_of
from gateway.schema.alerts import Alert, Severity
from gateway.schema.cases import Case
from gateway.schema.exports import ExportState

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}


@strawberry.enum(description="Where a what-if replay is.")
class ReplayState(Enum):
    QUEUED = strawberry.enum_value("queued", description="Waiting for a worker.")
    RUNNING = strawberry.enum_value("running", description="Reading history and evaluating.")
    SUCCEEDED = strawberry.enum_value("succeeded", description="Done; the result is ready.")
    FAILED = strawberry.enum_value("failed", description="Stopped by an error (see `error`).")
    CANCELLED = strawberry.enum_value("cancelled", description="Cancelled on request.")


REPLAY_DONE = {ReplayState.SUCCEEDED, ReplayState.FAILED, ReplayState.CANCELLED}
EXPORT_DONE = {ExportState.READY, ExportState.FAILED}


@strawberry.type(description="How far a what-if replay has come.")
class ReplayProgress:
    replay_id: strawberry.ID = strawberry.field(description="The replay.")
    state: ReplayState = strawberry.field(description="Where it is.")
    progress: float = strawberry.field(description="From 0 to 1.")
    people_total: int = strawberry.field(description="People it evaluates.")
    people_done: int = strawberry.field(description="People evaluated so far.")
    events_read: int = strawberry.field(description="Stored events read so far.")
    error: str | None = strawberry.field(description="Why it failed, if it did.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ReplayProgress:
        return cls(replay_id=strawberry.ID(str(data["id"])), state=ReplayState(data["status"]),
                   progress=float(data["progress"]), people_total=int(data["people_total"]),
                   people_done=int(data["people_done"]),
                   events_read=int(data["events_read"]), error=data.get("error"))


@strawberry.type(description="How far an escalation export has come.")
class ExportProgress:
    export_id: strawberry.ID = strawberry.field(description="The export.")
    case_id: strawberry.ID = strawberry.field(description="The case it exports.")
    state: ExportState = strawberry.field(description="Where it is.")
    progress: int = strawberry.field(description="Percent of the sections built.")
    error: str | None = strawberry.field(description="Why it failed, if it did.")
    size_bytes: int | None = strawberry.field(description="Size of the bundle when ready.")
    sha256: str | None = strawberry.field(description="SHA-256 of the bundle when ready.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> ExportProgress:
        return cls(export_id=strawberry.ID(str(data["id"])),
                   case_id=strawberry.ID(str(data["case_id"])),
                   state=ExportState(data["state"]), progress=int(data["progress"]),
                   error=data.get("error"), size_bytes=data.get("size_bytes"),
                   sha256=data.get("sha256"))


def coded(resolver: Callable[..., AsyncGenerator[Any, None]]
          ) -> Callable[..., AsyncGenerator[Any, None]]:
    """A subscription's errors with a code in `extensions`, as for queries: strawberry sends
    a subscription's errors without running the schema's ErrorCodes extension."""

    @functools.wraps(resolver)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
        try:
            async for item in resolver(*args, **kwargs):
                yield item
        except ServiceError as exc:
            raise to_client_error(GraphQLError(str(exc), original_error=exc)) from None

    return wrapper


def _connection(info: Info) -> LiveConnection:
    conn = connection_of(info.context.request)
    if conn is None:
        raise ServiceError(400, "websocket_required",
                           "Subscriptions are served over a graphql-transport-ws websocket.")
    return conn


def _same(a: Any, b: Any) -> bool:
    return str(a).lower() == str(b).lower()


async def _visible(info: Info, conn: LiveConnection, notice: Notice) -> dict[str, Any] | None:
    """The object as the subscriber may see it; a fresh set of loaders for its nested fields,
    so a long-lived connection never answers from an old event's cache."""
    data = await conn.visible(notice)
    if data is not None:
        info.context.loaders = Loaders(info.context.services)
    return data


async def _alerts(info: Info, channel: str, wanted: Any) -> AsyncGenerator[Alert, None]:
    conn = _connection(info)
    async with conn.subscription(channel, ("alerts", "read")) as feed:
        async for notice in feed:
            if wanted(notice.data) and (data := await _visible(info, conn, notice)):
                yield Alert.from_service(data)


@strawberry.type(description="Live updates, over a graphql-transport-ws websocket "
                             "authenticated in `connection_init`.")
class Subscription:
    @strawberry.subscription(description="New alerts the caller may see, as they are raised.")
    @coded
    async def alert_raised(
        self, info: Info,
        policy_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only alerts of this policy.")] = None,
        min_severity: Annotated[Severity | None, strawberry.argument(
            description="Only alerts of this severity or higher.")] = None,
    ) -> AsyncGenerator[Alert, None]:
        floor = SEVERITY_RANK[min_severity.value] if min_severity else 0

        def wanted(d: dict[str, Any]) -> bool:
            return (policy_id is None or _same(d.get("policy_id"), policy_id)) \
                and SEVERITY_RANK.get(str(d.get("severity")), 0) >= floor

        async for alert in _alerts(info, "alert.raised", wanted):
            yield alert

    @strawberry.subscription(description="Alerts the caller may see, each time one changes "
                                         "(triage, a new score, its case closed).")
    @coded
    async def alert_updated(
        self, info: Info,
        alert_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this alert.")] = None,
    ) -> AsyncGenerator[Alert, None]:
        async for alert in _alerts(
                info, "alert.updated",
                lambda d: alert_id is None or _same(d.get("alert_id"), alert_id)):
            yield alert

    @strawberry.subscription(description="Cases the caller may see, each time one is opened, "
                                         "closed, or gets a note or an alert.")
    @coded
    async def case_updated(
        self, info: Info,
        case_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this case.")] = None,
    ) -> AsyncGenerator[Case, None]:
        conn = _connection(info)
        async with conn.subscription("case.updated", ("cases", "read")) as feed:
            async for notice in feed:
                if (case_id is None or _same(notice.data.get("case_id"), case_id)) \
                        and (data := await _visible(info, conn, notice)):
                    yield Case.from_service(data)

    @strawberry.subscription(description="A what-if replay's progress: its current state "
                                         "first, then each change; ends when it finishes.")
    @coded
    async def replay_progress(
        self, info: Info,
        replay_id: Annotated[strawberry.ID, strawberry.argument(description="The replay.")],
    ) -> AsyncGenerator[ReplayProgress, None]:
        conn = _connection(info)
        async with conn.subscription("replay.progress", ("replays", "read")) as feed:
            current = ReplayProgress.from_service(await info.context.services.call(
                "scoring", "GET", f"/replays/{_uuid(replay_id, 'replayId')}"))
            yield current
            if current.state in REPLAY_DONE:
                return
            async for notice in feed:
                if _same(notice.data.get("replay_id"), replay_id) \
                        and (data := await _visible(info, conn, notice)):
                    current = ReplayProgress.from_service(data)
                    yield current
                    if current.state in REPLAY_DONE:
                        return

    @strawberry.subscription(description="An escalation export's progress; with `caseId`, "
                                         "its current state first. Ends when it is ready or "
                                         "has failed.")
    @coded
    async def export_progress(
        self, info: Info,
        export_id: Annotated[strawberry.ID, strawberry.argument(description="The export.")],
        case_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Its case, to get the current state at once.")] = None,
    ) -> AsyncGenerator[ExportProgress, None]:
        conn = _connection(info)
        async with conn.subscription("export.progress", ("cases", "read")) as feed:
            if case_id is not None:
                current = ExportProgress.from_service(await info.context.services.call(
                    "cases", "GET", f"/cases/{_uuid(case_id, 'caseId')}"
                                    f"/exports/{_uuid(export_id, 'exportId')}"))
                yield current
                if current.state in EXPORT_DONE:
                    return
            async for notice in feed:
                if _same(notice.data.get("export_id"), export_id) \
                        and (data := await _visible(info, conn, notice)):
                    current = ExportProgress.from_service(data)
                    yield current
                    if current.state in EXPORT_DONE:
                        return
