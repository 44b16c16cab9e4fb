from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from services.ingest.activity import service
from services.ingest.activity.schemas import ActivityPage, ActivityRead, ActivitySummary
from services.ingest.deps import IngestRuntimeDep
from services.ingest.events.catalogue import ActivityType, Category
from services.kit.deps import Caller, UoW, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["activity"])


@router.get("/activity", operation_id="activity:list", response_model=ActivityPage,
            responses=problem_responses(401, 403, 404, 422))
async def list_activity(rt: IngestRuntimeDep, uow: UoW,
                        caller: Annotated[Caller, require_scoped("activity", "read")],
                        subject_id: uuid.UUID,
                        since: datetime | None = None, until: datetime | None = None,
                        type: Annotated[list[ActivityType] | None, Query()] = None,
                        category: Annotated[list[Category] | None, Query()] = None,
                        cursor: str | None = None,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100,
                        content: Annotated[Literal["auto", "none", "export"], Query(description=(
                            "auto: content as the caller's role allows; none: never; export: "
                            "for the cases service's escalation exports (content/export "
                            "permission)."))] = "auto") -> ActivityPage:
    """One person's activities in [since, until) (default: the last 30 days, at most 400),
    newest first, filtered by type and category. File names, paths, subjects, URLs and the
    original record only for roles that may see content."""
    caller.scope.check(subject_id)
    subject = caller.principal.subject
    visible = (await rt.authorizer.allowed(subject, "content", "read") if content == "auto"
               else content == "export"
               and await rt.authorizer.allowed(subject, "content", "export"))
    return await service.list_activity(uow, subject_id, since, until, type or [],
                                       category or [], cursor, limit, visible)


@router.get("/activity/summary", operation_id="activity:summary",
            response_model=ActivitySummary, responses=problem_responses(401, 403, 404, 422))
async def summary(uow: UoW, caller: Annotated[Caller, require_scoped("activity", "read")],
                  subject_id: uuid.UUID, since: datetime | None = None,
                  until: datetime | None = None) -> ActivitySummary:
    """Counts per UTC day and category, and totals per category and type, for charts."""
    caller.scope.check(subject_id)
    return await service.summarise(uow, subject_id, since, until)


@router.get("/activity/{event_id}", operation_id="activity:get", response_model=ActivityRead,
            responses=problem_responses(401, 403, 404, 422))
async def get_activity(rt: IngestRuntimeDep, uow: UoW,
                       caller: Annotated[Caller, require_scoped("activity", "read")],
                       event_id: Annotated[str, Path(min_length=1, max_length=128,
                                                     pattern=r"^[A-Za-z0-9._:\-]+$")],
                       subject_id: uuid.UUID) -> ActivityRead:
    """One activity of a person by its id (drill-down); content as for the list. An id of
    someone else's activity is not found."""
    caller.scope.check(subject_id)
    content = await rt.authorizer.allowed(caller.principal.subject, "content", "read")
    return await service.get_activity(uow, subject_id, event_id, content)
