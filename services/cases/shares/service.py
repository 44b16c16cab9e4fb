"""Case shares: read access to one case for a case viewer (an HR or Legal contact), given and
revoked by a reviewer, kept here (the cases service owns them) and applied on every request."""

from __future__ import annotations

import dataclasses
import uuid

from services.cases.cases.service import get_case
from services.cases.models import CaseShare
from services.cases.shares import repository as repo
from services.cases.shares.exceptions import NotACaseViewer, ShareNotFound
from services.cases.shares.schemas import ViewerCreate, ViewerRead
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.errors import Conflict, InvalidParam
from services.kit.runtime import Runtime

VIEWER_ROLE = "CaseViewer"


def account_of(subject: str) -> uuid.UUID | None:
    kind, _, raw = subject.partition(":")
    if kind != "user":
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


async def with_shares(uow: UnitOfWork, caller: Caller) -> Caller:
    """The caller, with the cases shared with them added to a restricted scope (a case
    viewer's is empty otherwise). Read from the table each time: a revoke applies at once."""
    account = account_of(caller.principal.subject)
    if not caller.scope.restricted or account is None:
        return caller
    shared = await repo.cases_shared_with(uow.session, account)
    return Caller(caller.principal, dataclasses.replace(caller.scope, cases=frozenset(shared)))


async def share(rt: Runtime, uow: UnitOfWork, caller: Caller, case_id: uuid.UUID,
                body: ViewerCreate) -> ViewerRead:
    actor = caller.principal.subject
    await get_case(uow, case_id, caller.scope, for_update=True)
    await rt.authorizer.refresh()
    if VIEWER_ROLE not in rt.authorizer.roles_of(f"user:{body.account_id}"):
        raise NotACaseViewer("the account does not hold the CaseViewer role", extra={
            "invalid_params": [InvalidParam(field="account_id",
                                            reason="not a CaseViewer account")]})
    if await repo.get(uow.session, case_id, body.account_id) is not None:
        raise Conflict("the case is shared with this account already", code="already_shared")
    row = CaseShare(case_id=case_id, account_id=body.account_id, reason=body.reason,
                    shared_by=actor)
    uow.session.add(row)
    await uow.session.flush()
    await uow.session.refresh(row)
    await rt.audit.record(uow.session, actor=actor, action="case.share",
                          target=f"case:{case_id}",
                          detail={"account_id": str(body.account_id), "reason": body.reason})
    return ViewerRead.model_validate(row)


async def viewers(uow: UnitOfWork, caller: Caller, case_id: uuid.UUID) -> list[ViewerRead]:
    await get_case(uow, case_id, caller.scope)
    return [ViewerRead.model_validate(r) for r in await repo.of_case(uow.session, case_id)]


async def revoke(rt: Runtime, uow: UnitOfWork, caller: Caller, case_id: uuid.UUID,
                 account_id: uuid.UUID) -> None:
    actor = caller.principal.subject
    await get_case(uow, case_id, caller.scope, for_update=True)
    row = await repo.get(uow.session, case_id, account_id)
    if row is None:
        raise ShareNotFound("the case is not shared with this account")
    before = {"account_id": str(account_id), "reason": row.reason,
              "shared_by": row.shared_by}
    await repo.remove(uow.session, case_id, account_id)
    await rt.audit.record(uow.session, actor=actor, action="case.share.revoke",
                          target=f"case:{case_id}", detail={"before": before})
