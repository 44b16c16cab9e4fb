from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from services.cases.access import require_case_access
from services.cases.cases import service
from services.cases.cases.schemas import (
    Bucket,
    CaseAlertRead,
    CaseBatch,
    CaseClose,
    CasePage,
    CaseRead,
    CaseSort,
    CaseStats,
    CaseStatus,
    NoteCreate,
    NoteRead,
    OpenCasesSeries,
)
from services.kit.batch import BatchIds
from services.kit.deps import Caller, RuntimeDep, UoW, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["cases"])
# Readers include a case viewer, who sees the cases shared with them and nothing else.
Reader = Annotated[Caller, require_case_access("cases", "read")]
Writer = Annotated[Caller, require_scoped("cases", "write")]
StatsReader = Annotated[Caller, require_scoped("case_stats", "read")]


@router.get("/cases/stats", operation_id="cases:stats", response_model=CaseStats,
            responses=problem_responses(401, 403, 422))
async def case_stats(uow: UoW, caller: StatsReader,
                     from_: Annotated[datetime | None, Query(alias="from")] = None,
                     to: datetime | None = None) -> CaseStats:
    """Cases by status; for the cases closed in [from, to) (default: the last 30 days) counts
    by classification and mean and median time to close. Within the caller's scope."""
    return await service.stats(uow, caller.scope, from_, to)


@router.get("/cases/open-over-time", operation_id="cases:open_over_time",
            response_model=OpenCasesSeries, responses=problem_responses(401, 403, 422))
async def open_over_time(uow: UoW, caller: StatsReader,
                         from_: Annotated[datetime | None, Query(alias="from")] = None,
                         to: datetime | None = None,
                         bucket: Bucket = Bucket.DAY) -> OpenCasesSeries:
    """Open cases at the end of each UTC day or ISO week from `from` to `to` (default: the
    last 30 days; opened before it, not closed by then); at most 400 buckets."""
    return await service.open_over_time(uow, caller.scope, from_, to, bucket)


@router.get("/cases", operation_id="cases:list", response_model=CasePage,
            responses=problem_responses(401, 403, 422))
async def list_cases(
    uow: UoW, caller: Reader, status: CaseStatus | None = None,
    opened_from: datetime | None = None, opened_to: datetime | None = None,
    updated_from: datetime | None = None, updated_to: datetime | None = None,
    sort: Annotated[CaseSort, Query(description=(
        "opened_at or updated_at (last updated), '-' for newest first"))] = CaseSort.OPENED_DESC,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CasePage:
    """Cases, filtered by status and by opened and last-updated times ([from, to)), sorted;
    a scoped reviewer sees those about people of their departments or regions, a case viewer
    only the cases shared with them. A cursor is valid for the sort it was made with."""
    return await service.list_cases(uow, caller.scope, status=status, sort=sort,
                                    opened=(opened_from, opened_to),
                                    updated=(updated_from, updated_to), cursor=cursor,
                                    limit=limit)


@router.get("/cases/batch", operation_id="cases:get_batch", response_model=CaseBatch,
            responses=problem_responses(401, 403, 422))
async def get_cases(uow: UoW, ids: BatchIds, caller: Reader) -> CaseBatch:
    """Several cases in one call (`?ids=…&ids=…`), each exactly as `GET /cases/{case_id}`
    shows it; a case the caller may not see (outside their scope and not shared with them)
    is in `missing`, like one that does not exist."""
    return await service.read_many(uow, ids, caller.scope)


@router.get("/cases/{case_id}", operation_id="cases:get", response_model=CaseRead,
            responses=problem_responses(401, 403, 404))
async def get_case(uow: UoW, case_id: uuid.UUID, caller: Reader) -> CaseRead:
    return await service.read(uow, await service.get_case(uow, case_id, caller.scope))


@router.get("/cases/{case_id}/alerts", operation_id="cases:alerts",
            response_model=list[CaseAlertRead], responses=problem_responses(401, 403, 404))
async def list_case_alerts(uow: UoW, case_id: uuid.UUID, caller: Reader
                           ) -> list[CaseAlertRead]:
    """The case's alerts, metadata only (alias, policy, severity, status): what a case viewer
    may see; reviewers get explanations from /alerts."""
    return await service.list_alerts(uow, case_id, caller.scope)


@router.get("/cases/{case_id}/notes", operation_id="cases:notes", response_model=list[NoteRead],
            responses=problem_responses(401, 403, 404))
async def list_notes(uow: UoW, case_id: uuid.UUID, caller: Reader) -> list[NoteRead]:
    return await service.list_notes(uow, case_id, caller.scope)


@router.post("/cases/{case_id}/notes", operation_id="cases:add_note", response_model=NoteRead,
             status_code=201, responses=problem_responses(401, 403, 404, 409, 422))
async def add_note(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID, body: NoteCreate,
                   caller: Writer) -> NoteRead:
    """Notes are immutable: there is no edit or delete, and the database refuses both."""
    return await service.add_note(rt, uow, caller, case_id, body)


@router.post("/cases/{case_id}/close", operation_id="cases:close", response_model=CaseRead,
             responses=problem_responses(401, 403, 404, 409, 422))
async def close_case(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID, body: CaseClose,
                     caller: Writer) -> CaseRead:
    """Close with a classification and the action taken (both required)."""
    return await service.close(rt, uow, caller, case_id, body)
