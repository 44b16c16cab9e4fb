from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.ingest.deps import IngestRuntimeDep
from services.ingest.events import service
from services.ingest.events.catalogue import CATALOGUE
from services.ingest.events.schemas import (
    ActivityEvent,
    ActivityTypeRead,
    BatchReceipt,
    EventBatch,
    EventFeedPage,
)
from services.ingest.events.service import OnError
from services.ingest.events.uploads import NDJSON, body_outcomes, media_type, stream_into
from services.kit.deps import UoW, require
from services.kit.errors import UnsupportedMediaType, problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["events"])

_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/EventBatch"}},
    "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/ActivityEvent"}},
}}}


@router.post("/events", operation_id="events:ingest", response_model=BatchReceipt,
             status_code=202, openapi_extra=_BODY,
             responses=problem_responses(401, 403, 413, 415, 422, 503))
async def ingest_events(request: Request, rt: IngestRuntimeDep, uow: UoW,
                        principal: Annotated[Principal, require("events", "write")],
                        on_error: OnError = OnError.REJECT_ALL) -> BatchReceipt:
    """Accept canonical activity events: a JSON batch (`{"events": [...]}`, up to 5,000) or
    an NDJSON stream (`application/x-ndjson`, one event per line, any length, parsed as it
    arrives). Everything is committed before the 202 is sent; re-sent ids count as duplicates.
    By default one invalid record refuses the whole upload (422 listing each bad record's
    index, field and reason); `on_error=skip_invalid` stores the valid ones instead."""
    kind = media_type(request)
    if kind == "application/json":
        outcomes = await body_outcomes(request, EventBatch, "events", ActivityEvent)
        return await service.accept(rt, uow, principal.subject, outcomes, on_error)
    if kind in NDJSON:
        acceptor = service.Acceptor(rt, uow, on_error)
        await stream_into(request, acceptor)
        tally = await acceptor.finish()
        return await service.record_receipt(rt, uow, principal.subject, tally)
    raise UnsupportedMediaType("send application/json or application/x-ndjson")


@router.get("/events/types", operation_id="events:types",
            response_model=list[ActivityTypeRead], responses=problem_responses(401, 403))
async def event_types(_: Annotated[Principal, require("events", "write")]
                      ) -> list[ActivityTypeRead]:
    """The activity catalogue: every accepted type with its category, group, required
    attributes and allowed values."""
    return [ActivityTypeRead(type=t, category=s.category, group=s.group,
                             description=s.description, required_attributes=list(s.required),
                             choices={k: list(v) for k, v in s.choices.items()},
                             date_attributes=list(s.dates))
            for t, s in CATALOGUE.items()]


@router.get("/events/feed", operation_id="events:feed", response_model=EventFeedPage,
            responses=problem_responses(401, 403, 422))
async def event_feed(uow: UoW, _: Annotated[Principal, require("events", "read")],
                     cursor: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> Response:
    """Committed events after `cursor`, in commit-safe order (for scoring). A page holds
    `limit` events, or more when needed to end at the end of a transaction (an upload is
    never served half)."""
    return Response(await service.feed(uow, cursor, limit), media_type="application/json")
