from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal
from services.scoring.indicators import service
from services.scoring.indicators.schemas import IndicatorRead, IndicatorUpdate, SequenceRead

router = APIRouter(tags=["indicators"])
Reader = Annotated[Principal, require("indicators", "read")]


@router.get("/indicators", operation_id="indicators:list", response_model=list[IndicatorRead],
            responses=problem_responses(401, 403))
async def list_indicators(uow: UoW, _: Reader) -> list[IndicatorRead]:
    """The indicator catalogue, grouped as the reference product groups it, with custom
    indicators, and whether each is enabled globally."""
    return await service.list_indicators(uow)


@router.put("/indicators/{key}", operation_id="indicators:update", response_model=IndicatorRead,
            responses=problem_responses(401, 403, 404, 409, 422))
async def update_indicator(rt: RuntimeDep, uow: UoW,
                           key: Annotated[str, Path(max_length=64)], body: IndicatorUpdate,
                           principal: Annotated[Principal, require("indicators", "write")]
                           ) -> IndicatorRead:
    """Enable or disable an indicator globally (a new settings version). An indicator a
    policy uses cannot be disabled (409)."""
    return await service.set_enabled(rt, uow, principal.subject, key, body.enabled)


@router.get("/sequences", operation_id="sequences:list", response_model=list[SequenceRead],
            responses=problem_responses(401, 403))
async def list_sequences(uow: UoW, _: Reader) -> list[SequenceRead]:
    """Built-in and custom sequences policies can detect."""
    return await service.list_sequences(uow)
