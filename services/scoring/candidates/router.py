from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.kit.deps import UoW, require
from services.kit.errors import problem_responses
from services.kit.feed import next_cursor, read_feed
from services.kit.tokens import Principal

router = APIRouter(tags=["alert candidates"])


class AlertCandidateRead(BaseModel):
    policy_id: uuid.UUID
    policy_name: str
    subject_id: uuid.UUID
    alias: str
    score: int
    severity: str
    version: int
    explanation: dict[str, Any]
    computed_at: datetime


class AlertCandidatePage(BaseModel):
    items: list[AlertCandidateRead]
    next_cursor: str | None


_COLUMNS = ("policy_id, policy_name, subject_id, alias, score, severity, version, explanation, "
            "computed_at")


@router.get("/alert-candidates/feed", operation_id="alert_candidates:feed",
            response_model=AlertCandidatePage, responses=problem_responses(401, 403, 422))
async def candidate_feed(uow: UoW, _: Annotated[Principal, require("scores", "read")],
                         cursor: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 500
                         ) -> AlertCandidatePage:
    """Scores that crossed an alert threshold, in commit order after `cursor` (for cases)."""
    rows = await read_feed(uow.session, "scoring.alert_candidate", _COLUMNS, cursor, limit)
    return AlertCandidatePage(
        items=[AlertCandidateRead.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor(rows, cursor))
