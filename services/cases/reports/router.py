from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.cases.activity.schemas import RiskLevel
from services.cases.reports import service
from services.cases.reports.schemas import (
    BenignCreate,
    BenignResult,
    MembershipCreate,
    MembershipRead,
    ReportActivityPage,
    ReportCreate,
    ReportPage,
    ReportRead,
    ReportSummary,
    ShareCreate,
)
from services.kit.deps import Caller, RuntimeDep, UoW, caller_token, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["activity reports"])
Reader = Annotated[Caller, require_scoped("activity_reports", "read")]
Writer = Annotated[Caller, require_scoped("activity_reports", "write")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/activity-reports", operation_id="activity_reports:create",
             response_model=ReportRead, status_code=202,
             responses=problem_responses(401, 403, 404, 422))
async def create_report(rt: RuntimeDep, uow: UoW, body: ReportCreate, caller: Writer,
                        token: Annotated[str, Depends(caller_token)]) -> ReportRead:
    """A user activity report: any person in the caller's scope, any window of up to 90
    days that does not end in the future, no policy needed. Built by a job: follow `state`
    and `progress`."""
    return await service.create(rt, uow, caller, token, body)


@router.get("/activity-reports", operation_id="activity_reports:list",
            response_model=ReportPage, responses=problem_responses(401, 403, 422))
async def list_reports(uow: UoW, caller: Reader, cursor: str | None = None,
                       limit: Limit = 50) -> ReportPage:
    """The caller's reports and those shared with them, newest first."""
    return await service.list_reports(uow, caller, cursor, limit)


@router.get("/activity-reports/{report_id}", operation_id="activity_reports:get",
            response_model=ReportSummary, responses=problem_responses(401, 403, 404))
async def get_report(uow: UoW, report_id: uuid.UUID, caller: Reader) -> ReportSummary:
    """The report with its summary by day and risk level, category, type and level."""
    return await service.summary(uow, caller, report_id)


@router.get("/activity-reports/{report_id}/activities",
            operation_id="activity_reports:activities", response_model=ReportActivityPage,
            responses=problem_responses(401, 403, 404, 422))
async def report_activities(rt: RuntimeDep, uow: UoW, report_id: uuid.UUID, caller: Reader,
                            risk_level: Annotated[list[RiskLevel] | None, Query()] = None,
                            cursor: str | None = None, limit: Limit = 50
                            ) -> ReportActivityPage:
    """The report's activities, newest first, optionally of some risk levels; each marked
    with the suppression rules and benign marks that cover it."""
    return await service.activities(rt, uow, caller, report_id,
                                    [r.value for r in risk_level or []], cursor, limit)


@router.post("/activity-reports/{report_id}/shares", operation_id="activity_reports:share",
             response_model=ReportRead, responses=problem_responses(401, 403, 404, 422))
async def share_report(rt: RuntimeDep, uow: UoW, report_id: uuid.UUID, body: ShareCreate,
                       caller: Writer) -> ReportRead:
    """Share with another investigator whose scope holds the person (the creator only)."""
    return await service.share(rt, uow, caller, report_id, body)


@router.delete("/activity-reports/{report_id}/shares/{account_id}",
               operation_id="activity_reports:unshare", response_model=ReportRead,
               responses=problem_responses(401, 403, 404, 422))
async def unshare_report(rt: RuntimeDep, uow: UoW, report_id: uuid.UUID,
                         account_id: uuid.UUID, caller: Writer) -> ReportRead:
    return await service.unshare(rt, uow, caller, report_id, account_id)


@router.post("/activity-reports/{report_id}/policy-membership",
             operation_id="activity_reports:add_to_policy", response_model=MembershipRead,
             status_code=201, responses=problem_responses(401, 403, 404, 422))
async def add_to_policy(rt: RuntimeDep, uow: UoW, report_id: uuid.UUID,
                        body: MembershipCreate, caller: Writer) -> MembershipRead:
    """Add the report's person to a policy for up to 30 days (scoring's manual triggering)."""
    return await service.add_to_policy(rt, uow, caller, report_id, body)


@router.post("/activity-reports/{report_id}/benign", operation_id="activity_reports:benign",
             response_model=BenignResult,
             responses=problem_responses(401, 403, 404, 409, 422))
async def mark_benign(rt: RuntimeDep, uow: UoW, report_id: uuid.UUID, body: BenignCreate,
                      caller: Writer, token: Annotated[str, Depends(caller_token)]
                      ) -> BenignResult:
    """Mark up to 500 of the report's activities benign: scoring stops counting them (its
    benign marks, asked with the caller's token) and re-scores the person."""
    return await service.mark_benign(rt, uow, caller, token, report_id, body)
