from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from services.identity.accounts import repository
from services.kit.deps import UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["roles"])


class RoleAssignment(BaseModel):
    subject: str
    role: str


@router.get("/roles/assignments", operation_id="roles:assignments",
            response_model=list[RoleAssignment], responses=problem_responses(401, 403))
async def assignments(uow: UoW, _: Annotated[Principal, require("roles", "read")]
                      ) -> list[RoleAssignment]:
    """Every role assignment, as the other services' Casbin enforcers load them."""
    by_subject = await repository.roles_by_subject(uow.session)
    return [RoleAssignment(subject=s, role=r) for s, roles in by_subject.items() for r in roles]
