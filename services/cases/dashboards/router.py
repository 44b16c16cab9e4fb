from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from services.cases.alerts.schemas import Bucket
from services.cases.dashboards import service
from services.cases.dashboards.schemas import TriageDashboard
from services.kit.deps import Caller, UoW, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["dashboards"])
Reader = Annotated[Caller, require_scoped("dashboards", "read")]


@router.get("/dashboards/triage", operation_id="dashboards:triage",
            response_model=TriageDashboard, response_model_by_alias=True,
            responses=problem_responses(401, 403, 422))
async def triage_dashboard(uow: UoW, caller: Reader,
                           from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
                           to: AwareDatetime | None = None,
                           bucket: Bucket = Bucket.DAY) -> TriageDashboard:
    """Alerts by severity and status, open alerts and open cases over time, mean time to
    triage and to resolve, SLA breaches; over a window (default the last 30 days), for the
    people the caller sees."""
    return await service.triage(uow, caller, start=from_, end=to, bucket=bucket)
