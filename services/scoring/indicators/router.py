from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal
from services.scoring.indicators import service
from services.scoring.indicators.schemas import IndicatorRead, IndicatorUpdate

router = APIRouter(tags=["indicators"])


@router.get("/indicators", operation_id="indicators:list", response_model=list[IndicatorRead],
            responses=problem_responses(401, 403))
async def list_indicators(uow: UoW, _: Annotated[Principal, require("indicators", "read")]
                          ) -> list[IndicatorRead]:
    return await service.list_indicators(uow)


@router.put("/indicators/{key}", operation_id="indicators:update", response_model=IndicatorRead,
            responses=problem_responses(401, 403, 404, 422))
async def update_indicator(rt: RuntimeDep, uow: UoW,
                           key: Annotated[str, Path(max_length=64)], body: IndicatorUpdate,
                           principal: Annotated[Principal, require("indicators", "write")]
                           ) -> IndicatorRead:
    """Enable or disable an indicator globally."""
    return await service.set_enabled(rt, uow, principal.subject, key, body.enabled)
