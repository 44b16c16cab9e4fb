from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from services.cases.triage_settings import service
from services.cases.triage_settings.schemas import TriageSettingsRead, TriageSettingsUpdate
from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["triage settings"])


@router.get("/triage-settings", operation_id="triage_settings:get",
            response_model=TriageSettingsRead, responses=problem_responses(401, 403))
async def get_triage_settings(uow: UoW, _: Annotated[Principal, require("triage_settings",
                                                                        "read")]
                              ) -> TriageSettingsRead:
    """The triage SLA per severity, in hours from detection."""
    return await service.get(uow)


@router.put("/triage-settings", operation_id="triage_settings:put",
            response_model=TriageSettingsRead, responses=problem_responses(401, 403, 422))
async def put_triage_settings(rt: RuntimeDep, uow: UoW, body: TriageSettingsUpdate,
                              principal: Annotated[Principal, require("settings", "write")]
                              ) -> TriageSettingsRead:
    """Change the triage SLA (Admin): open alerts get new due times at once; audited."""
    return await service.put(rt, uow, principal.subject, body)
