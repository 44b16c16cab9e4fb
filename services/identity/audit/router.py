from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from services.identity.audit import service
from services.identity.audit.schemas import AuditPage, ChainVerification
from services.kit.deps import UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, require("audit", "read", audit_denied=True)]


@router.get("/audit", operation_id="audit:query", response_model=AuditPage,
            responses=problem_responses(401, 403, 422))
async def query_audit(uow: UoW, _: Auditor, cursor: str | None = None,
                      actor: Annotated[str | None, Query(max_length=200)] = None,
                      action: Annotated[str | None, Query(max_length=100)] = None,
                      target: Annotated[str | None, Query(max_length=300)] = None,
                      since: datetime | None = None, until: datetime | None = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> AuditPage:
    """The audit log, newest first; `action` matches by prefix (e.g. `alert.`)."""
    return await service.query(uow, cursor=cursor, actor=actor, action=action, target=target,
                               since=since, until=until, limit=limit)


@router.get("/audit/verify", operation_id="audit:verify", response_model=ChainVerification,
            responses=problem_responses(401, 403))
async def verify_audit(uow: UoW, _: Auditor) -> ChainVerification:
    """Recompute the hash chain over every row and report the first broken link."""
    return await service.verify(uow)
