from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.ingest.events import service
from services.ingest.events.schemas import BatchReceipt, EventBatch, EventFeedPage
from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["events"])


@router.post("/events", operation_id="events:ingest", response_model=BatchReceipt,
             status_code=202, responses=problem_responses(401, 403, 422, 503))
async def ingest_events(rt: RuntimeDep, uow: UoW, body: EventBatch,
                        principal: Annotated[Principal, require("events", "write")]
                        ) -> BatchReceipt:
    """Accept a batch of canonical activity events. Committed before the 202 is sent; the
    whole batch is refused if any event is invalid; re-sent ids are counted as duplicates."""
    return await service.accept(rt, uow, principal.subject, body)


@router.get("/events/feed", operation_id="events:feed", response_model=EventFeedPage,
            responses=problem_responses(401, 403, 422))
async def event_feed(uow: UoW, _: Annotated[Principal, require("events", "read")],
                     cursor: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> EventFeedPage:
    """Committed events after `cursor`, in commit-safe order (for scoring)."""
    return await service.feed(uow, cursor, limit)
