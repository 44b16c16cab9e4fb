from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal
from services.scoring.global_settings import service
from services.scoring.global_settings.schemas import (
    GlobalSettings,
    SettingsRead,
    SettingsVersionPage,
)

router = APIRouter(tags=["settings"])
Reader = Annotated[Principal, require("settings", "read")]
Writer = Annotated[Principal, require("settings", "write")]


@router.get("/settings", operation_id="settings:get", response_model=SettingsRead,
            responses=problem_responses(401, 403))
async def get_settings(uow: UoW, _: Reader) -> SettingsRead:
    """The global settings in force and their version."""
    return await service.read(uow)


@router.put("/settings", operation_id="settings:put", response_model=SettingsRead,
            responses=problem_responses(401, 403, 409, 422))
async def put_settings(rt: RuntimeDep, uow: UoW, body: GlobalSettings, principal: Writer
                       ) -> SettingsRead:
    """Replace the global settings: a new version, audited with before and after. When what
    counts changes (detections, priority content, custom indicators) scoring rebuilds its
    aggregates from the stored signals and re-scores everyone in scope."""
    return await service.put(rt, uow, principal.subject, body)


@router.get("/settings/versions", operation_id="settings:versions",
            response_model=SettingsVersionPage, responses=problem_responses(401, 403, 422))
async def list_versions(uow: UoW, _: Reader, cursor: str | None = None,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50) -> SettingsVersionPage:
    """Every settings version, newest first."""
    return await service.versions(uow, cursor, limit)


@router.get("/settings/versions/{version}", operation_id="settings:version",
            response_model=SettingsRead, responses=problem_responses(401, 403, 404, 422))
async def get_version(uow: UoW, _: Reader,
                      version: Annotated[int, Path(ge=1, le=2_000_000_000)]) -> SettingsRead:
    """One settings version as it was."""
    return await service.read_version(uow, version)
