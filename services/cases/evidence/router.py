from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Request, Response

from services.cases.evidence import service
from services.cases.evidence.schemas import UPLOAD_BODY, EvidenceRead
from services.kit.deps import Caller, RuntimeDep, UoW, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["evidence"])
# Not for case viewers: evidence is content, and they never see content.
Reader = Annotated[Caller, require_scoped("evidence", "read")]
Writer = Annotated[Caller, require_scoped("evidence", "write")]
# Streamed past the kit's body guard, NUL bytes allowed (files are binary).
EVIDENCE_UPLOAD_PATH = r"/cases/[^/]+/evidence"


@router.post("/cases/{case_id}/evidence", operation_id="evidence:add",
             response_model=EvidenceRead, status_code=201,
             openapi_extra={"requestBody": UPLOAD_BODY},
             responses=problem_responses(401, 403, 404, 409, 413, 415, 422))
async def add_evidence(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID, caller: Writer,
                       request: Request) -> EvidenceRead:
    """Attach a file (multipart: `file` and `description`) to an active case: at most the
    configured size (413 as soon as it is passed), its type checked by content against the
    allowlist and against its declared type and extension (415 / 422), its SHA-256 kept.
    Immutable once added; audited."""
    return await service.add(rt, uow, caller, case_id, request.stream(),
                             request.headers.get("content-type"),
                             request.headers.get("content-length"))


@router.get("/cases/{case_id}/evidence", operation_id="evidence:list",
            response_model=list[EvidenceRead], responses=problem_responses(401, 403, 404))
async def list_evidence(uow: UoW, case_id: uuid.UUID, caller: Reader) -> list[EvidenceRead]:
    return await service.list_evidence(uow, caller, case_id)


@router.get("/cases/{case_id}/evidence/{evidence_id}", operation_id="evidence:get",
            response_model=EvidenceRead, responses=problem_responses(401, 403, 404))
async def get_evidence(uow: UoW, case_id: uuid.UUID, evidence_id: uuid.UUID,
                       caller: Reader) -> EvidenceRead:
    return EvidenceRead.model_validate(await service.get(uow, caller, case_id, evidence_id))


@router.get("/cases/{case_id}/evidence/{evidence_id}/content", operation_id="evidence:download",
            response_class=Response,
            responses={200: {"description": "The file as it was attached; ETag is its SHA-256.",
                             "content": {"application/octet-stream": {
                                 "schema": {"type": "string", "format": "binary"}}}},
                       304: {"description": "Unchanged (If-None-Match had its ETag)."},
                       **problem_responses(401, 403, 404)})
async def download_evidence(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID,
                            evidence_id: uuid.UUID, caller: Reader,
                            if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """The file, with its content type and name; every download audited."""
    got = await service.download(rt, uow, caller, case_id, evidence_id, if_none_match)
    row = got.evidence
    ascii_name = row.filename.encode("ascii", "replace").decode().replace("?", "_")
    headers = {"ETag": f'"{row.sha256}"', "X-Content-Type-Options": "nosniff",
               "Cache-Control": "private, no-cache",
               "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                      f"filename*=UTF-8''{quote(row.filename, safe='')}"}
    if got.content is None:
        return Response(status_code=304, headers=headers)
    return Response(content=got.content, media_type=row.content_type, headers=headers)
