from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from services.cases.exports import service
from services.cases.exports.schemas import ExportRead, SigningKey
from services.kit.deps import Caller, RuntimeDep, UoW, caller_token, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["exports"])
Reader = Annotated[Caller, require_scoped("exports", "read")]
Writer = Annotated[Caller, require_scoped("exports", "write")]


@router.post("/cases/{case_id}/exports", operation_id="exports:create",
             response_model=ExportRead, status_code=202,
             responses=problem_responses(401, 403, 404, 503))
async def create_export(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID,
                        caller: Writer) -> ExportRead:
    """Start an escalation export of the case (the eDiscovery hand-off): a signed ZIP built
    in the background; follow `state` and `progress`. content.json only when the caller may
    see content (Investigators)."""
    return await service.create(rt, uow, caller, case_id)


@router.get("/cases/{case_id}/exports", operation_id="exports:list",
            response_model=list[ExportRead], responses=problem_responses(401, 403, 404))
async def list_exports(uow: UoW, case_id: uuid.UUID, caller: Reader) -> list[ExportRead]:
    return await service.of_case(uow, case_id, caller.scope)


@router.get("/cases/{case_id}/exports/{export_id}", operation_id="exports:get",
            response_model=ExportRead, responses=problem_responses(401, 403, 404))
async def get_export(uow: UoW, case_id: uuid.UUID, export_id: uuid.UUID,
                     caller: Reader) -> ExportRead:
    return await service.get(uow, case_id, export_id, caller.scope)


@router.get("/cases/{case_id}/exports/{export_id}/bundle", operation_id="exports:download",
            response_class=Response,
            responses={200: {"description": "The bundle (ZIP).",
                             "content": {"application/zip": {"schema": {
                                 "type": "string", "format": "binary"}}}},
                       **problem_responses(401, 403, 404, 409, 503)})
async def download_export(request: Request, rt: RuntimeDep, uow: UoW, case_id: uuid.UUID,
                          export_id: uuid.UUID, caller: Reader) -> Response:
    """The bundle of a ready export; audited. Pseudonymous, unless the caller holds a reveal
    grant for this case: then identity.json is added and the manifest signed again."""
    data, filename = await service.download(rt, uow, caller, caller_token(request), case_id,
                                            export_id)
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@router.get("/exports/signing-key", operation_id="exports:signing_key",
            response_model=SigningKey, responses=problem_responses(503))
async def get_signing_key(rt: RuntimeDep) -> SigningKey:
    """The public key that verifies export manifests (public: anyone receiving a bundle may
    check it, e.g. with `openirm verify-export --url`)."""
    return service.signing_key(rt)
