from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.kit.deps import UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal
from services.scoring.candidates import service
from services.scoring.candidates.schemas import AlertCandidatePage

router = APIRouter(tags=["alert candidates"])


@router.get("/alert-candidates/feed", operation_id="alert_candidates:feed",
            response_model=AlertCandidatePage, responses=problem_responses(401, 403, 422))
async def candidate_feed(uow: UoW, _: Annotated[Principal, require("candidates", "read")],
                         cursor: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 500
                         ) -> AlertCandidatePage:
    """Scores that crossed an alert threshold, in commit order after `cursor` (for cases)."""
    return await service.feed(uow, cursor, limit)
