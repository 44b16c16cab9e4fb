from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from services.cases.feeds import service
from services.cases.feeds.schemas import AlertFeedPage, FeedFormat
from services.kit.deps import Caller, RuntimeDep, UoW, require_scoped
from services.kit.errors import problem_responses
from services.kit.feed import NDJSON, ndjson_feed_doc

router = APIRouter(tags=["feeds"])
Reader = Annotated[Caller, require_scoped("alerts", "read")]


@router.get("/alerts/feed", operation_id="alerts:feed", response_model=AlertFeedPage,
            responses={200: ndjson_feed_doc("AlertChangeRead"),
                       **problem_responses(401, 403, 422)})
async def alert_feed(rt: RuntimeDep, uow: UoW, caller: Reader, cursor: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                     fmt: Annotated[FeedFormat, Query(
                         alias="format", description="openirm (OpenIRM's schema) or o365 "
                         "(Security and Compliance Alerts records, RecordType 40).")
                     ] = FeedFormat.OPENIRM,
                     accept: Annotated[str | None, Header()] = None) -> Response:
    """The SIEM export feed: one record per change of an alert (raised, updated, triaged,
    resolved) after `cursor`, in commit order, at least once; a scoped reviewer or client
    gets the changes about people of their departments or regions only."""
    org = rt.settings.organization_id
    if accept and NDJSON in accept:
        out = await service.stream(rt.db, caller.scope, cursor=cursor, fmt=fmt,
                                   organization_id=org)
        return out.response()
    body = await service.page(uow, caller.scope, cursor=cursor, limit=limit, fmt=fmt,
                              organization_id=org)
    return Response(body, media_type="application/json")
