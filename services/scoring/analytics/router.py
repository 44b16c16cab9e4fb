from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.kit.deps import UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal
from services.scoring.analytics import service
from services.scoring.analytics.schemas import AnalyticsOverview

router = APIRouter(tags=["analytics"])


@router.get("/analytics", operation_id="analytics:overview", response_model=AnalyticsOverview,
            responses=problem_responses(401, 403, 422))
async def overview(uow: UoW, _: Annotated[Principal, require("analytics", "read")],
                   days: Annotated[int, Query(ge=1, le=90)] = 30) -> AnalyticsOverview:
    """Share of people with exfiltration activity, top activity types and departments over
    the last `days` days, with no policy needed; small groups are never shown."""
    return await service.overview(uow, days)
