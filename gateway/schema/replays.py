"""What-if replays: a draft or existing policy, with draft or current global settings, run
over stored history in the background; it shows the alerts the policy would have raised and
creates none. Admins only (the scoring service decides)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gateway.clients import uuid_segment
from gateway.context import Info
from gateway.errors import ServiceError
from gateway.schema.alerts import AlertExplanation, Severity, SeverityCount
from gateway.schema.common import (
    AFTER,
    FIRST,
    INPUT,
    MAX_PAGE,
    Connection,
    Node,
    decode_id,
    list_connection,
    node_resolver,
    operation,
    parse_optional_datetime,
)
from gateway.schema.payloads import Payload, attempt
from gateway.schema.people import Person, person_of
from gateway.schema.policies import Policy, PolicyDraftInput, scoring
from gateway.schema.scoring_admin import SettingsChangesInput, settings_with

RESULT_PAGE = 1000  # the service keeps the first 1,000 alerts of a replay


async def replay_by_id(info: Info, key: str) -> dict[str, Any]:
    """One replay as the REST API reads it (replays:get)."""
    return await scoring(info, "GET", f"/replays/{uuid_segment(key, 'id')}")


@strawberry.enum(description="Where a replay is.")
class ReplayState(Enum):
    QUEUED = strawberry.enum_value("queued", description="Waiting for a worker.")
    RUNNING = strawberry.enum_value("running", description="Reading history and scoring.")
    SUCCEEDED = strawberry.enum_value("succeeded", description="Done; see `result`.")
    FAILED = strawberry.enum_value("failed", description="Stopped by an error; see `error`.")
    CANCELLED = strawberry.enum_value("cancelled", description="Stopped by `cancelReplay`.")


FINISHED = (ReplayState.SUCCEEDED, ReplayState.FAILED, ReplayState.CANCELLED)


@strawberry.type(description="An alert a replay would have raised (none is created).")
class ReplayAlert:
    subject_id: strawberry.ID = strawberry.field(description="Pseudonymous subject id.")
    alias: str = strawberry.field(description="The person's alias.")
    score: int = strawberry.field(description="Risk score, 0 to 100.")
    severity: Severity = strawberry.field(description="Severity, from the score.")
    explanation: AlertExplanation = strawberry.field(
        description="The contributions that make up the score.")

    @strawberry.field(description="The person, pseudonymous unless revealed to the caller.",
                      metadata=operation("people:get"))
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, str(self.subject_id), self.alias)

    @classmethod
    def from_service(cls, d: dict[str, Any]) -> ReplayAlert:
        return cls(subject_id=strawberry.ID(str(d["subject_id"])), alias=d["alias"],
                   score=int(d["score"]), severity=Severity(d["severity"]),
                   explanation=AlertExplanation.from_json(d.get("explanation") or {}))


@strawberry.type(description="What a finished replay found.")
class ReplayResult:
    alert_count: int = strawberry.field(description="Alerts it would have raised.")
    by_severity: list[SeverityCount] = strawberry.field(description="Those, per severity.")
    people_in_scope: int = strawberry.field(description="People in the policy's scope.")
    people_scored: int = strawberry.field(
        description="Of them, people with a triggering event in the range.")
    events_read: int = strawberry.field(description="Stored signals read.")
    elapsed_s: float = strawberry.field(description="Seconds the run took.")
    events_per_s: float = strawberry.field(description="Signals read per second.")
    alert_items: strawberry.Private[list[dict[str, Any]]]

    @strawberry.field(description="The alerts, highest score first (the service keeps the "
                                  "first 1,000).")
    def alerts(
        self, first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {RESULT_PAGE}.")] = 50,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[ReplayAlert]:
        return list_connection(self.alert_items, ReplayAlert.from_service, first=first,
                               after=after, maximum=RESULT_PAGE)

    @classmethod
    def from_service(cls, d: dict[str, Any]) -> ReplayResult:
        return cls(alert_count=int(d["alert_count"]),
                   by_severity=[SeverityCount(severity=Severity(k), count=int(v))
                                for k, v in (d.get("by_severity") or {}).items()],
                   people_in_scope=int(d["people_in_scope"]),
                   people_scored=int(d["people_scored"]), events_read=int(d["events_read"]),
                   elapsed_s=float(d["elapsed_s"]), events_per_s=float(d["events_per_s"]),
                   alert_items=list(d.get("alerts") or []))


@strawberry.type(description="A what-if replay: a policy (draft or existing) run over stored "
                             "history. Poll `replay(id:)` (or subscribe to its progress) until "
                             "its state is finished.")
class Replay(Node):
    state: ReplayState = strawberry.field(description="Where it is.")
    progress: float = strawberry.field(description="How far it is, 0 to 1.")
    requested_by: str = strawberry.field(description="Who started it (token subject).")
    policy_name: str = strawberry.field(description="Name of the policy replayed.")
    start: date = strawberry.field(description="First day whose triggering events count.")
    end: date = strawberry.field(description="Last day (inclusive).")
    created_at: datetime | None = strawberry.field(description="When it was asked for.")
    finished_at: datetime | None = strawberry.field(
        description="When it finished; null while queued or running.")
    detail: strawberry.Private[dict[str, Any] | None] = None
    fetching: strawberry.Private[asyncio.Task[dict[str, Any]] | None] = None

    @classmethod
    def from_service(cls, d: dict[str, Any]) -> Replay:
        """From a replay (replays:get) or a list entry (replays:list); the fields only the
        former has are fetched when asked for."""
        full = "policy" in d
        name = d["policy"].get("name", "") if full else d.get("policy_name", "")
        return cls(key=str(d["id"]), state=ReplayState(d["status"]),
                   progress=float(d["progress"]), requested_by=str(d["requested_by"]),
                   policy_name=str(name), start=date.fromisoformat(str(d["start"])),
                   end=date.fromisoformat(str(d["end"])),
                   created_at=parse_optional_datetime(d.get("created_at")),
                   finished_at=parse_optional_datetime(d.get("finished_at")),
                   detail=d if full else None)

    async def _detail(self, info: Info) -> dict[str, Any]:
        if self.detail is None:
            if self.fetching is None:
                self.fetching = asyncio.ensure_future(replay_by_id(info, self.key))
            self.detail = await self.fetching
        return self.detail

    @strawberry.field(description="Whether it has finished (succeeded, failed or cancelled).")
    def finished(self) -> bool:
        return self.state in FINISHED

    @strawberry.field(description="People with stored activity in the range, all of whom "
                                  "are checked against the policy's scope.",
                      metadata=operation("replays:get"))
    async def people_total(self, info: Info) -> int:
        return int((await self._detail(info))["people_total"])

    @strawberry.field(description="Of them, people checked so far.",
                      metadata=operation("replays:get"))
    async def people_done(self, info: Info) -> int:
        return int((await self._detail(info))["people_done"])

    @strawberry.field(description="Stored signals read so far.",
                      metadata=operation("replays:get"))
    async def events_read(self, info: Info) -> int:
        return int((await self._detail(info))["events_read"])

    @strawberry.field(description="Why it failed; null unless FAILED.",
                      metadata=operation("replays:get"))
    async def error(self, info: Info) -> str | None:
        return (await self._detail(info)).get("error")

    @strawberry.field(description="When a worker started it.",
                      metadata=operation("replays:get"))
    async def started_at(self, info: Info) -> datetime | None:
        return parse_optional_datetime((await self._detail(info)).get("started_at"))

    @strawberry.field(description="The policy definition replayed, as the scoring service "
                                  "recorded it (the draft's or the policy's fields at the "
                                  "time).", metadata=operation("replays:get"))
    async def policy_definition(self, info: Info) -> JSON:
        return (await self._detail(info))["policy"]

    @strawberry.field(description="The existing policy replayed; null for a draft or a "
                                  "policy deleted since.",
                      metadata=operation("replays:get", "policies:get"))
    async def policy(self, info: Info) -> Policy | None:
        policy_id = (await self._detail(info))["policy"].get("id")
        if not policy_id:
            return None
        try:
            return Policy.from_service(await info.context.loaders.policy.load(str(policy_id)))
        except ServiceError as exc:
            if exc.status == 404:
                return None
            raise

    @strawberry.field(description="What it found; null until it has SUCCEEDED.",
                      metadata=operation("replays:get"))
    async def result(self, info: Info) -> ReplayResult | None:
        result = (await self._detail(info)).get("result")
        return ReplayResult.from_service(result) if result else None


@node_resolver("Replay")
async def replay_node(info: Info, key: str) -> Replay:
    return Replay.from_service(await replay_by_id(info, key))


@strawberry.input(description="Start a what-if replay of an existing policy (`policyId`) or of "
                              "a draft (`policy`) — exactly one — over a range of days.")
class StartReplayInput:
    policy_id: strawberry.ID | None = strawberry.field(
        default=None, description="An existing policy, as it is now.")
    policy: PolicyDraftInput | None = strawberry.field(
        default=None, description="A draft policy; omitted fields take the template's "
                                  "defaults and the global timeframes.")
    settings: SettingsChangesInput | None = strawberry.field(
        default=None, description="Draft global settings: these changes over the settings "
                                  "in force (reading them needs the settings permission). "
                                  "The settings in force when omitted.")
    start: date = strawberry.field(description="First day whose triggering events count.")
    end: date = strawberry.field(description="Last day (inclusive; at most 400 days in all).")


@strawberry.input(description="A replay, by id.")
class CancelReplayInput:
    replay_id: strawberry.ID = strawberry.field(description="The replay.")


@strawberry.type(description="The replay just started; follow it with `replay(id:)`.")
class StartReplayPayload(Payload):
    replay: Replay | None = strawberry.field(default=None, description="The replay, queued.")


@strawberry.type(description="The replay just cancelled.")
class CancelReplayPayload(Payload):
    replay: Replay | None = strawberry.field(default=None, description="The replay now.")


@strawberry.type
class ReplayQuery:
    @strawberry.field(description="The latest 200 replays, newest first (Admins).",
                      metadata=operation("replays:list"))
    async def replays(
        self, info: Info,
        state: Annotated[ReplayState | None, strawberry.argument(
            description="Only replays in this state.")] = None,
        first: Annotated[int, FIRST] = 50, after: Annotated[str | None, AFTER] = None,
    ) -> Connection[Replay]:
        items = [r for r in await scoring(info, "GET", "/replays")
                 if state is None or r["status"] == state.value]
        return list_connection(items, Replay.from_service, first=first, after=after,
                               maximum=MAX_PAGE)

    @strawberry.field(description="A replay by id, with its progress and, once it has "
                                  "succeeded, its result (Admins).",
                      metadata=operation("replays:get"))
    async def replay(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The replay's id.")],
    ) -> Replay:
        return await replay_node(info, decode_id(id, "Replay", "id"))


@strawberry.type
class ReplayMutation:
    @strawberry.mutation(description="Start a what-if replay (Admins). It returns at once, "
                                     "queued; it creates no alert.",
                         metadata=operation("replays:create"))
    async def start_replay(
        self, info: Info, input: Annotated[StartReplayInput, INPUT],
    ) -> StartReplayPayload:
        async def work() -> StartReplayPayload:
            body: dict[str, Any] = {"start": input.start.isoformat(),
                                    "end": input.end.isoformat()}
            if input.policy_id is not None:
                body["policy_id"] = decode_id(input.policy_id, "Policy", "policyId")
            if input.policy is not None:
                body["policy"] = input.policy.to_service()
            if input.settings is not None:
                body["settings"] = (await settings_with(info, input.settings))[1]
            data = await scoring(info, "POST", "/replays", json=body)
            return StartReplayPayload(replay=Replay.from_service(data))

        return await attempt(StartReplayPayload, work)

    @strawberry.mutation(description="Stop a queued or running replay (Admins); a "
                                     "ConflictError when it has already finished.",
                         metadata=operation("replays:cancel"))
    async def cancel_replay(
        self, info: Info, input: Annotated[CancelReplayInput, INPUT],
    ) -> CancelReplayPayload:
        async def work() -> CancelReplayPayload:
            seg = uuid_segment(decode_id(input.replay_id, "Replay", "replayId"), "replayId")
            data = await scoring(info, "POST", f"/replays/{seg}/cancel")
            return CancelReplayPayload(replay=Replay.from_service(data))

        return await attempt(CancelReplayPayload, work)
