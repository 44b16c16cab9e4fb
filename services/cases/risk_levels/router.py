from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from services.cases.risk_levels import service
from services.cases.risk_levels.schemas import (
    Level,
    RiskLevelFeedPage,
    RiskLevelPage,
    RiskLevelRead,
    RiskLevelSettings,
)
from services.kit.deps import Caller, RuntimeDep, UoW, require_scoped
from services.kit.errors import problem_responses
from services.kit.feed import NDJSON, ndjson_feed_doc

router = APIRouter(tags=["risk levels"])
Reader = Annotated[Caller, require_scoped("risk_levels", "read")]
SettingsReader = Annotated[Caller, require_scoped("settings", "read")]
SettingsWriter = Annotated[Caller, require_scoped("settings", "write")]


@router.get("/risk-levels", operation_id="risk_levels:list", response_model=RiskLevelPage,
            responses=problem_responses(401, 403, 422))
async def list_levels(uow: UoW, caller: Reader, level: Level | None = None,
                      subject_id: uuid.UUID | None = None, cursor: str | None = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> RiskLevelPage:
    """People's current risk levels, last changed first; without `level`, everyone above
    none. A scoped caller sees people of their departments or regions only."""
    return await service.list_levels(uow, caller.scope, level=level, subject_id=subject_id,
                                     cursor=cursor, limit=limit)


@router.get("/risk-levels/settings", operation_id="risk_levels:get_settings",
            response_model=RiskLevelSettings, responses=problem_responses(401, 403))
async def get_settings(uow: UoW, caller: SettingsReader) -> RiskLevelSettings:
    """The rules that derive risk levels (the defaults until an Admin sets them)."""
    return await service.get_settings(uow)


@router.put("/risk-levels/settings", operation_id="risk_levels:put_settings",
            response_model=RiskLevelSettings, responses=problem_responses(401, 403, 422))
async def put_settings(rt: RuntimeDep, uow: UoW, body: RiskLevelSettings,
                       caller: SettingsWriter) -> RiskLevelSettings:
    """Replace the rules; everyone's level is recomputed under them shortly after."""
    return await service.put_settings(rt, uow, caller, body)


@router.get("/risk-levels/feed", operation_id="risk_levels:feed",
            response_model=RiskLevelFeedPage,
            responses={200: ndjson_feed_doc("RiskLevelChangeRead"),
                       **problem_responses(401, 403, 422)})
async def feed(rt: RuntimeDep, uow: UoW, caller: Reader, cursor: str | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               accept: Annotated[str | None, Header()] = None) -> Response:
    """Every change of a person's level after `cursor`, in commit order, at least once: what
    a DLP or access-control system follows."""
    if accept and NDJSON in accept:
        out = await service.feed_stream(rt.db, caller.scope, cursor=cursor)
        return out.response()
    body = await service.feed_page(uow, caller.scope, cursor=cursor, limit=limit)
    return Response(body, media_type="application/json")


@router.get("/risk-levels/{subject_id}", operation_id="risk_levels:get",
            response_model=RiskLevelRead, responses=problem_responses(401, 403, 404))
async def get_level(uow: UoW, subject_id: uuid.UUID, caller: Reader) -> RiskLevelRead:
    return await service.get_level(uow, caller.scope, subject_id)
