from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from services.cases.activity import service
from services.cases.activity.schemas import (
    ActivityChart,
    ActivityDetail,
    ContentKind,
    ContentPage,
    PersonActivityPage,
    RiskLevel,
)
from services.cases.alerts.schemas import AlertPage
from services.kit.deps import Caller, RuntimeDep, UoW, caller_token, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["activity"])
EVENT_ID = r"^[A-Za-z0-9._:\-]*[A-Za-z0-9_:\-][A-Za-z0-9._:\-]*$"  # ingest's ids, not only dots
Reader = Annotated[Caller, require_scoped("activity", "read")]
ContentReader = Annotated[Caller, require_scoped("content", "read", audit_denied=True)]
Token = Annotated[str, Depends(caller_token)]
From = Annotated[datetime | None, Query(alias="from", description="Start (inclusive); "
                                        "default 30 days before `to`.")]
To = Annotated[datetime | None, Query(alias="to", description="End (exclusive); default "
                                      "now.")]
Levels = Annotated[list[RiskLevel] | None, Query(alias="risk_level")]
Strings = Annotated[list[str] | None, Query(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/people/{subject_id}/activity", operation_id="people_activity:list",
            response_model=PersonActivityPage, responses=problem_responses(401, 403, 404, 422))
async def person_activity(rt: RuntimeDep, uow: UoW, caller: Reader, token: Token,
                          subject_id: uuid.UUID, since: From = None, until: To = None,
                          risk_level: Levels = None, category: Strings = None,
                          type: Strings = None, cursor: str | None = None,
                          limit: Limit = 50) -> PersonActivityPage:
    """The person's activities over time, newest first, each with its risk level (from the
    explanation rows that counted it, docs/investigation.md), filtered by level, category
    and type. Content only for roles that may see it."""
    return await service.list_activity(rt, uow, caller.scope, token, subject_id, since, until,
                                       risk_level or [], category or [], type or [], cursor,
                                       limit)


@router.get("/people/{subject_id}/activity/chart", operation_id="people_activity:chart",
            response_model=ActivityChart, responses=problem_responses(401, 403, 404, 422))
async def person_chart(rt: RuntimeDep, uow: UoW, caller: Reader, token: Token,
                       subject_id: uuid.UUID, since: From = None, until: To = None
                       ) -> ActivityChart:
    """Per UTC day of the window (at most 90 days): activities by risk level, and per
    policy the points its explanation gives the day."""
    return await service.chart(rt, uow, caller.scope, token, subject_id, since, until)


@router.get("/people/{subject_id}/activity/{event_id}", operation_id="people_activity:get",
            response_model=ActivityDetail, responses=problem_responses(401, 403, 404, 422))
async def person_activity_detail(rt: RuntimeDep, uow: UoW, caller: Reader, token: Token,
                                 subject_id: uuid.UUID,
                                 event_id: Annotated[str, Path(
                                     min_length=1, max_length=128, pattern=EVENT_ID)]
                                 ) -> ActivityDetail:
    """One activity with the explanation rows that counted it and the alerts it fed."""
    return await service.detail(rt, uow, caller.scope, token, subject_id, event_id)


@router.get("/people/{subject_id}/alerts", operation_id="people_alerts:list",
            response_model=AlertPage, responses=problem_responses(401, 403, 404, 422))
async def person_alerts(uow: UoW, subject_id: uuid.UUID,
                        caller: Annotated[Caller, require_scoped("alerts", "read")],
                        cursor: str | None = None, limit: Limit = 50) -> AlertPage:
    """Every alert about the person, from every policy, newest first."""
    return await service.person_alerts(uow, caller.scope, subject_id, cursor, limit)


@router.get("/cases/{case_id}/activity", operation_id="cases:activity",
            response_model=PersonActivityPage, responses=problem_responses(401, 403, 404, 422))
async def case_activity(rt: RuntimeDep, uow: UoW, caller: Reader, token: Token,
                        case_id: uuid.UUID, since: From = None, until: To = None,
                        risk_level: Levels = None, category: Strings = None,
                        type: Strings = None, cursor: str | None = None,
                        limit: Limit = 50) -> PersonActivityPage:
    """The user activity of the case's person; the window defaults to the case window (the
    activity windows of its alerts). Not for case viewers."""
    return await service.case_activity(
        rt, uow, caller.scope, token, case_id, rt.settings.case_window_days,
        since=since, until=until, risk_levels=risk_level or [], categories=category or [],
        types=type or [], cursor=cursor, limit=limit)


@router.get("/cases/{case_id}/content", operation_id="cases:content",
            response_model=ContentPage, responses=problem_responses(401, 403, 404, 422))
async def case_content(rt: RuntimeDep, uow: UoW, caller: ContentReader, token: Token,
                       case_id: uuid.UUID,
                       source: Annotated[str | None, Query(max_length=64)] = None,
                       file_type: Annotated[str | None, Query(max_length=32)] = None,
                       label: Annotated[str | None, Query(max_length=200)] = None,
                       conversation: Annotated[str | None, Query(max_length=500)] = None,
                       kind: ContentKind | None = None, cursor: str | None = None,
                       limit: Limit = 50) -> ContentPage:
    """The content explorer (Investigators only): files, emails and URLs in the case's
    person's activity in the case window, once each with count, first and last seen;
    filtered by source (workload), file type (extension), sensitivity label and
    conversation. A refusal is audited."""
    return await service.case_content(
        rt, uow, caller.scope, token, case_id, rt.settings.case_window_days, source=source,
        file_type=file_type, label=label, conversation=conversation, kind=kind,
        cursor=cursor, limit=limit)
