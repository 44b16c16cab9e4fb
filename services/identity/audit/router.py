from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from services.identity.audit import service
from services.identity.audit.exceptions import InvalidAuditFilter
from services.identity.audit.schemas import (
    HASH_PATTERN,
    AuditFilters,
    AuditPage,
    ChainVerification,
    ExportFormat,
)
from services.kit.deps import RuntimeDep, UoW, require
from services.kit.errors import problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, require("audit", "read", audit_denied=True)]
Exporter = Annotated[Principal, require("audit", "export", audit_denied=True)]


def audit_filters(
    actor: Annotated[str | None, Query(max_length=200,
                                       description="Only this actor, e.g. user:<id>.")] = None,
    action: Annotated[str | None, Query(max_length=100, description=(
        "Only actions starting with this, e.g. `alert.` or `audit.export`."))] = None,
    target: Annotated[str | None, Query(max_length=300,
                                        description="Only this target.")] = None,
    outcome: Annotated[str | None, Query(max_length=20, description=(
        "Only this outcome: success, denied, failure, ...."))] = None,
    since: Annotated[AwareDatetime | None, Query(description=(
        "Only entries at or after this time (ISO 8601 with a time zone)."))] = None,
    until: Annotated[AwareDatetime | None, Query(description=(
        "Only entries before this time (ISO 8601 with a time zone)."))] = None,
) -> AuditFilters:
    if since is not None and until is not None and until <= since:
        raise InvalidAuditFilter("until", "must be later than since")
    return AuditFilters(actor=actor, action=action, target=target, outcome=outcome,
                        since=since, until=until)


Filters = Annotated[AuditFilters, Depends(audit_filters)]


@router.get("/audit", operation_id="audit:query", response_model=AuditPage,
            responses=problem_responses(401, 403, 422))
async def query_audit(uow: UoW, _: Auditor, filters: Filters,
                      cursor: Annotated[str | None, Query(
                          description="`next_cursor` of the previous page.")] = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> AuditPage:
    """The audit log, newest first, a page at a time. Filters combine (all must hold)."""
    return await service.query(uow, filters, cursor=cursor, limit=limit)


EXPORT_RESPONSE = {
    "description": "The selected entries, oldest first, streamed. NDJSON: one `AuditEntry` a "
                   "line. CSV: a header row, then one row an entry, `detail` as JSON, an "
                   "empty cell for null.",
    "content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/AuditEntry"}},
                "text/csv": {"schema": {"type": "string"}}},
    "headers": {
        "Content-Disposition": {"description": "attachment; with a file name",
                                "schema": {"type": "string"}},
        "X-Audit-Up-To-Seq": {"description": "The newest row when the export began; the "
                              "export holds no later row.", "schema": {"type": "integer"}},
    },
}


@router.get("/audit/export", operation_id="audit:export", response_class=StreamingResponse,
            responses={200: EXPORT_RESPONSE, **problem_responses(401, 403, 422)})
async def export_audit(runtime: RuntimeDep, principal: Exporter, filters: Filters,
                       fmt: Annotated[ExportFormat, Query(
                           alias="format", description="ndjson or csv.")] = ExportFormat.ndjson,
                       ) -> StreamingResponse:
    """The audit log as a file, oldest first, with the filters of `GET /audit`, streamed
    (any size, flat memory). The export is itself audited (`audit.export`, with its filters)
    before the first byte is sent."""
    export = await service.start_export(runtime.db, runtime.audit, actor=principal.subject,
                                        filters=filters, fmt=fmt)
    return StreamingResponse(export.body, media_type=export.media_type, headers={
        "Content-Disposition": f'attachment; filename="{export.filename}"',
        "X-Audit-Up-To-Seq": str(export.up_to_seq),
        "Cache-Control": "no-store"})


@router.get("/audit/verify", operation_id="audit:verify", response_model=ChainVerification,
            responses=problem_responses(401, 403, 422))
async def verify_audit(uow: UoW, _: Auditor,
                       since_seq: Annotated[int | None, Query(ge=1, lt=2**63, description=(
                           "Verify from this row on (a `head_seq` recorded earlier); give "
                           "`expected_hash` with it."))] = None,
                       expected_hash: Annotated[str | None, Query(
                           pattern=HASH_PATTERN, description=(
                               "The hash recorded for `since_seq` (its `head_hash`)."))] = None,
                       ) -> ChainVerification:
    """Recompute the hash chain and report the first broken link: a row missing, altered or
    not linked to its predecessor. With an anchor (`since_seq` + `expected_hash`) only the
    rows from it are walked, and a row changed or cut off up to it is found too."""
    return await service.verify(uow, since_seq=since_seq, expected_hash=expected_hash)
