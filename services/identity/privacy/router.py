from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from services.identity.privacy import service
from services.identity.privacy.schemas import PrivacyRead, PrivacyUpdate
from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["privacy"])


@router.get("/privacy", operation_id="privacy:get", response_model=PrivacyRead,
            responses=problem_responses(401, 403))
async def get_privacy(uow: UoW, _: Annotated[Principal, require("privacy", "read")]
                      ) -> PrivacyRead:
    """Whether people are shown by alias, and whether a reveal needs a second approver."""
    return await service.get(uow)


@router.put("/privacy", operation_id="privacy:update", response_model=PrivacyRead,
            responses=problem_responses(401, 403, 422))
async def update_privacy(rt: RuntimeDep, uow: UoW, body: PrivacyUpdate,
                         principal: Annotated[Principal, require("privacy", "write")]
                         ) -> PrivacyRead:
    """Change the privacy setting (Admins); audited with before and after."""
    return await service.put(rt, uow, principal.subject, body)
