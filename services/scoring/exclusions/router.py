from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.kit.deps import Caller, RuntimeDep, UoW, require_scoped
from services.kit.errors import problem_responses
from services.scoring.exclusions import service
from services.scoring.exclusions.schemas import (
    BenignMarkCreate,
    BenignMarkPage,
    BenignMarkResult,
    ExcludedEventPage,
    SuppressionCreate,
    SuppressionEnd,
    SuppressionPage,
    SuppressionRead,
    SuppressionReview,
    SuppressionState,
)

router = APIRouter(tags=["exclusions"])
Reader = Annotated[Caller, require_scoped("suppressions", "read")]
Writer = Annotated[Caller, require_scoped("suppressions", "write")]
MarkReader = Annotated[Caller, require_scoped("benign_marks", "read")]
Marker = Annotated[Caller, require_scoped("benign_marks", "write")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/suppressions", operation_id="suppressions:create", status_code=201,
             response_model=SuppressionRead, responses=problem_responses(401, 403, 404, 422))
async def create_suppression(rt: RuntimeDep, uow: UoW, body: SuppressionCreate,
                             caller: Writer) -> SuppressionRead:
    """Stop counting this person's activity of these types until `until` (from `since`). The
    person is re-counted and re-scored after the commit; the rule's hits show as they are
    found. A person outside the caller's scope is 404."""
    return await service.create(rt, uow, caller, body)


@router.get("/suppressions", operation_id="suppressions:list", response_model=SuppressionPage,
            responses=problem_responses(401, 403, 422))
async def list_suppressions(uow: UoW, caller: Reader, subject_id: uuid.UUID | None = None,
                            state: SuppressionState | None = None, cursor: str | None = None,
                            limit: Limit = 50) -> SuppressionPage:
    """Newest first; `state=review_required` is the reviewers' to-do list."""
    return await service.list_rules(uow, caller.scope, subject_id=subject_id,
                                    state=state.value if state else None, cursor=cursor,
                                    limit=limit)


@router.get("/suppressions/{suppression_id}", operation_id="suppressions:get",
            response_model=SuppressionRead, responses=problem_responses(401, 403, 404, 422))
async def get_suppression(uow: UoW, suppression_id: uuid.UUID, caller: Reader
                          ) -> SuppressionRead:
    return await service.get(uow, caller.scope, suppression_id)


@router.post("/suppressions/{suppression_id}/end", operation_id="suppressions:end",
             response_model=SuppressionRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def end_suppression(rt: RuntimeDep, uow: UoW, suppression_id: uuid.UUID,
                          body: SuppressionEnd, caller: Writer) -> SuppressionRead:
    """Stop suppressing now (409 with `current_status` once ended)."""
    return await service.end(rt, uow, caller, suppression_id, body)


@router.post("/suppressions/{suppression_id}/review", operation_id="suppressions:review",
             response_model=SuppressionRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def review_suppression(rt: RuntimeDep, uow: UoW, suppression_id: uuid.UUID,
                             body: SuppressionReview, caller: Writer) -> SuppressionRead:
    """The review an expired rule waits for: renew (a new period until `until`) or end.
    409 with `current_status` when the rule is not waiting for one."""
    return await service.review(rt, uow, caller, suppression_id, body)


@router.post("/subjects/{subject_id}/benign-activities", operation_id="benign:mark",
             status_code=201, response_model=BenignMarkResult,
             responses=problem_responses(401, 403, 404, 422))
async def mark_benign(rt: RuntimeDep, uow: UoW, subject_id: uuid.UUID, body: BenignMarkCreate,
                      caller: Marker) -> BenignMarkResult:
    """Mark events of this person benign: scoring stops counting them and re-scores the
    person. An id that is not one of their events refuses the whole request (422, each such
    id with its index)."""
    return await service.mark(rt, uow, caller, subject_id, body)


@router.get("/subjects/{subject_id}/benign-activities", operation_id="benign:list",
            response_model=BenignMarkPage, responses=problem_responses(401, 403, 404, 422))
async def list_benign(uow: UoW, subject_id: uuid.UUID, caller: MarkReader,
                      cursor: str | None = None, limit: Limit = 50) -> BenignMarkPage:
    return await service.marks(uow, caller.scope, subject_id, cursor, limit)


@router.delete("/subjects/{subject_id}/benign-activities/{event_id}",
               operation_id="benign:unmark", status_code=204, response_class=Response,
               responses=problem_responses(401, 403, 404, 422))
async def unmark_benign(rt: RuntimeDep, uow: UoW, subject_id: uuid.UUID,
                        event_id: Annotated[str, Path(min_length=1, max_length=128)],
                        caller: Marker) -> Response:
    """The event counts again; the person is re-scored."""
    await service.unmark(rt, uow, caller, subject_id, event_id)
    return Response(status_code=204)


@router.get("/subjects/{subject_id}/excluded-events", operation_id="exclusions:list",
            response_model=ExcludedEventPage, responses=problem_responses(401, 403, 404, 422))
async def list_excluded(uow: UoW, subject_id: uuid.UUID,
                        caller: Annotated[Caller, require_scoped("scores", "read")],
                        start: Annotated[datetime | None, Query(alias="from")] = None,
                        end: Annotated[datetime | None, Query(alias="to")] = None,
                        cursor: str | None = None, limit: Annotated[int, Query(
                            ge=1, le=1000)] = 200) -> ExcludedEventPage:
    """Events of this person scoring read but does not count, oldest first, each with the
    suppression rule or benign mark that covers it (one item per rule or mark): for marking
    them on the timeline. `from` inclusive, `to` exclusive."""
    return await service.excluded(uow, caller.scope, subject_id, start=start, end=end,
                                  cursor=cursor, limit=limit)
