from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from services.identity.accounts import repository
from services.identity.roles import repository as roles_repo
from services.identity.roles.schemas import AccountDirectoryEntry, RoleAssignment
from services.kit.deps import UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["roles"])


@router.get("/roles/assignments", operation_id="roles:assignments",
            response_model=list[RoleAssignment], responses=problem_responses(401, 403))
async def assignments(uow: UoW, _: Annotated[Principal, require("roles", "read")]
                      ) -> list[RoleAssignment]:
    """Every role assignment, as the other services' Casbin enforcers load them."""
    by_subject = await repository.roles_by_subject(uow.session)
    return [RoleAssignment(subject=s, role=r) for s, roles in by_subject.items() for r in roles]


@router.get("/roles/accounts", operation_id="roles:accounts",
            response_model=list[AccountDirectoryEntry], responses=problem_responses(401, 403))
async def accounts(uow: UoW, _: Annotated[Principal, require("roles", "read")]
                   ) -> list[AccountDirectoryEntry]:
    """Every active staff account's email and subject: when an external OpenID Connect issuer
    is configured, each service loads these with the role assignments (and reloads them when
    the rules version moves) to turn the issuer's email claim into a staff account."""
    rows = await roles_repo.active_accounts(uow.session)
    return [AccountDirectoryEntry(email=email, subject=subject) for email, subject in rows]
