from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.ingest.connectors import badging, hr, m365
from services.ingest.connectors import service as svc
from services.ingest.connectors.schemas import Connector, RunPage, RunRead, RunStatus
from services.ingest.deps import IngestRuntimeDep
from services.ingest.events.ndjson import NdjsonStream, record_parser
from services.ingest.events.service import OnError
from services.ingest.events.uploads import NDJSON, invalid_body, media_type
from services.kit.deps import UoW, require
from services.kit.errors import UnsupportedMediaType, problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["connectors"])
_UPLOAD_ERRORS = problem_responses(401, 403, 413, 415, 422, 503)
_RECORDS = {"type": "array", "items": {"type": "object"}}


def _length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() else None


@router.post("/connectors/m365/records", operation_id="connectors:m365", response_model=RunRead,
             status_code=202, responses=_UPLOAD_ERRORS, openapi_extra={"requestBody": {
                 "required": True, "content": {
                     "application/json": {"schema": _RECORDS},
                     "application/x-ndjson": {"schema": {"type": "object"}}}}})
async def upload_m365(request: Request, rt: IngestRuntimeDep, uow: UoW,
                      principal: Annotated[Principal, require("connectors", "write")],
                      on_error: OnError = OnError.REJECT_ALL) -> RunRead:
    """Microsoft 365 unified audit log records, as the Office 365 Management Activity API
    returns them: a JSON array (up to 50,000) or NDJSON (any length, streamed). Mapped
    operations become canonical events keeping the original record; well-formed records of
    other operations are counted per operation, not refused."""
    kind = media_type(request)
    if kind == "application/json":
        feed = svc.json_feeder(request, m365.map_record, "audit records")
    elif kind in NDJSON:
        feed = svc.stream_feeder(request, NdjsonStream(record_parser(m365.map_record)))
    else:
        raise UnsupportedMediaType("send application/json or application/x-ndjson")
    return await svc.run_upload(rt, uow, principal.subject, Connector.M365, {},
                                _length(request), on_error, feed)


@router.post("/connectors/hr/csv", operation_id="connectors:hr", response_model=RunRead,
             status_code=202, responses=_UPLOAD_ERRORS, openapi_extra={"requestBody": {
                 "required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}})
async def upload_hr(request: Request, rt: IngestRuntimeDep, uow: UoW,
                    principal: Annotated[Principal, require("connectors", "write")],
                    scenario: Annotated[str | None, Query(
                        description="resignation, termination, job_level_change, "
                                    "performance_review, performance_improvement_plan or "
                                    "mixed; detected from the header when omitted")] = None,
                    column: Annotated[list[str] | None, Query(
                        description="A column mapping, repeated: `OurName=TheirName`, e.g. "
                                    "`EmailAddress=work_email`")] = None,
                    on_error: OnError = OnError.REJECT_ALL) -> RunRead:
    """An HR connector CSV file in the reference product's shapes (resignation, job level
    change, performance review, performance improvement plan, or mixed with an HRScenario
    column), streamed. Dates are ISO 8601; a row with more or fewer fields than the header is
    a rejected record."""
    if media_type(request) != "text/csv":
        raise UnsupportedMediaType("send text/csv")
    if scenario is not None and scenario not in hr.SCENARIOS:
        raise invalid_body("scenario", f"must be one of {', '.join(hr.SCENARIOS)}")
    mapping: dict[str, str] = {}
    for item in column or []:
        ours, sep, theirs = item.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise invalid_body("column", f"'{item}' is not OurName=TheirName")
        if ours.strip() not in hr.COLUMNS:
            raise invalid_body("column", f"'{ours.strip()}' is not one of "
                               f"{', '.join(hr.COLUMNS)}")
        mapping[ours.strip()] = theirs.strip()
    parser = hr.HrCsvParser(scenario, mapping)
    return await svc.run_upload(rt, uow, principal.subject, Connector.HR_CSV,
                                {"scenario": scenario, "columns": mapping}, _length(request),
                                on_error, svc.stream_feeder(request, svc.CsvBytes(parser)))


@router.post("/connectors/badging", operation_id="connectors:badging", response_model=RunRead,
             status_code=202, responses=_UPLOAD_ERRORS, openapi_extra={"requestBody": {
                 "required": True, "content": {"application/json": {"schema": _RECORDS}}}})
async def upload_badging(request: Request, rt: IngestRuntimeDep, uow: UoW,
                         principal: Annotated[Principal, require("connectors", "write")],
                         on_error: OnError = OnError.REJECT_ALL) -> RunRead:
    """Physical badging records (`UserId, AssetId, AssetName, EventTime, AccessStatus`) as a
    JSON array of up to 50,000."""
    if media_type(request) != "application/json":
        raise UnsupportedMediaType("send application/json")
    return await svc.run_upload(rt, uow, principal.subject, Connector.BADGING, {},
                                _length(request), on_error,
                                svc.json_feeder(request, badging.map_badge, "badging records"))


@router.get("/connectors/runs", operation_id="connectors:runs", response_model=RunPage,
            responses=problem_responses(401, 403, 422))
async def list_runs(uow: UoW, _: Annotated[Principal, require("connectors", "read")],
                    connector: Connector | None = None, status: RunStatus | None = None,
                    cursor: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> RunPage:
    """Connector runs, newest first: who uploaded what, when, with what outcome."""
    return await svc.list_runs(uow, connector, status, cursor, limit)


@router.get("/connectors/runs/{run_id}", operation_id="connectors:run", response_model=RunRead,
            responses=problem_responses(401, 403, 404))
async def get_run(uow: UoW, run_id: uuid.UUID,
                  _: Annotated[Principal, require("connectors", "read")]) -> RunRead:
    """One run, with its progress while it is running."""
    return await svc.get_run(uow, run_id)
