"""Subscriptions: alerts, cases, replays and exports as they change, over graphql-transport-ws.

Each event is fetched from the owning service with the subscriber's own token before it is
sent (see `gateway/live.py`), so a subscription shows exactly what the same caller's queries
would, and nothing about objects the caller may not read."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Callable
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from gateway.context import Info, Loaders
from gateway.errors import ServiceError, to_client_error
from gateway.live import LiveConnection, Notice, connection_of
from gateway.schema.alerts import Alert, Severity
from gateway.schema.case_items import decode_item_id
from gateway.schema.cases import Case
from gateway.schema.common import decode_id
from gateway.schema.exports import Export, ExportState, export_node, export_of
from gateway.schema.replays import FINISHED, Replay, replay_node

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}


REPLAY_DONE = set(FINISHED)
EXPORT_DONE = {ExportState.READY, ExportState.FAILED}


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
        policy = decode_id(policy_id, "Policy", "policyId") if policy_id else None

        def wanted(d: dict[str, Any]) -> bool:
            return (policy is None or _same(d.get("policy_id"), policy)) \
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
        key = decode_id(alert_id, "Alert", "alertId") if alert_id else None
        async for alert in _alerts(
                info, "alert.updated",
                lambda d: key is None or _same(d.get("alert_id"), key)):
            yield alert

    @strawberry.subscription(description="Cases the caller may see, each time one is opened, "
                                         "closed, or gets a note or an alert.")
    @coded
    async def case_updated(
        self, info: Info,
        case_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this case.")] = None,
    ) -> AsyncGenerator[Case, None]:
        key = decode_id(case_id, "Case", "caseId") if case_id else None
        conn = _connection(info)
        async with conn.subscription("case.updated", ("cases", "read")) as feed:
            async for notice in feed:
                if (key is None or _same(notice.data.get("case_id"), key)) \
                        and (data := await _visible(info, conn, notice)):
                    yield Case.from_service(data)

    @strawberry.subscription(description="A what-if replay as it runs: its current state "
                                         "first, then each change of state or progress; ends "
                                         "when it finishes.")
    @coded
    async def replay_progress(
        self, info: Info,
        replay_id: Annotated[strawberry.ID, strawberry.argument(
            description="The replay's id.")],
    ) -> AsyncGenerator[Replay, None]:
        key = decode_id(replay_id, "Replay", "replayId")
        conn = _connection(info)
        async with conn.subscription("replay.progress", ("replays", "read")) as feed:
            current = await replay_node(info, key)
            yield current
            if current.state in REPLAY_DONE:
                return
            async for notice in feed:
                if _same(notice.data.get("replay_id"), key) \
                        and (data := await _visible(info, conn, notice)):
                    current = Replay.from_service(data)
                    yield current
                    if current.state in REPLAY_DONE:
                        return

    @strawberry.subscription(description="An escalation export as it is built: its current "
                                         "state first, then each change; ends when it is "
                                         "ready or has failed.")
    @coded
    async def export_progress(
        self, info: Info,
        export_id: Annotated[strawberry.ID, strawberry.argument(
            description="The export's (global) id.")],
    ) -> AsyncGenerator[Export, None]:
        case_id, key = decode_item_id(export_id, "Export", "exportId")
        conn = _connection(info)
        async with conn.subscription("export.progress", ("cases", "read")) as feed:
            current = await export_node(info, f"{case_id}:{key}")
            yield current
            if current.state in EXPORT_DONE:
                return
            async for notice in feed:
                if _same(notice.data.get("export_id"), key) \
                        and (data := await _visible(info, conn, notice)):
                    current = export_of(info, data)
                    yield current
                    if current.state in EXPORT_DONE:
                        return
