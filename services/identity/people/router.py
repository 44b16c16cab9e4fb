from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.identity.people import keys, service
from services.identity.people.crypto import IdentityVault
from services.identity.people.schemas import (
    DirectoryImportResult,
    NoticeAddress,
    OnError,
    PersonBatch,
    PersonChangePage,
    PersonErase,
    PersonErasure,
    PersonRead,
    PersonUpsert,
    PersonUpserted,
    RekeyStatus,
    ResolveRequest,
    ResolveResponse,
    UnknownColumns,
)
from services.kit.batch import BatchIds
from services.kit.deps import Caller, RuntimeDep, UoW, require, require_scoped
from services.kit.errors import UnsupportedMediaType, problem_responses
from services.kit.tokens import Principal

router = APIRouter(tags=["people"])

IMPORT_PATH = "/people/import"
_ROWS = {"type": "array", "items": {"type": "object"}}


def _vault(request: Request) -> IdentityVault:
    return request.app.state.vault


@router.post("/people", operation_id="people:upsert", response_model=PersonUpserted,
             responses=problem_responses(401, 403, 422))
async def upsert_person(request: Request, rt: RuntimeDep, uow: UoW, body: PersonUpsert,
                        principal: Annotated[Principal, require("people", "write")]
                        ) -> PersonUpserted:
    """Add or update a monitored person in the directory (keyed by email/UPN); only the
    fields sent change. The answer carries no subject id or alias."""
    return await service.upsert(rt, _vault(request), uow, principal.subject, body)


@router.post(IMPORT_PATH, operation_id="people:import", response_model=DirectoryImportResult,
             responses=problem_responses(401, 403, 413, 415, 422), openapi_extra={
                 "requestBody": {"required": True, "content": {
                     "text/csv": {"schema": {"type": "string"}},
                     "application/json": {"schema": _ROWS},
                     "application/x-ndjson": {"schema": {"type": "object"}}}}})
async def import_people(
        request: Request, rt: RuntimeDep, uow: UoW,
        principal: Annotated[Principal, require("people", "write")],
        on_error: Annotated[OnError, Query(description=(
            "reject_all: one invalid record refuses the whole file and nothing is applied "
            "(422 with every problem); skip_invalid: the valid records are applied, the "
            "invalid ones reported."))] = OnError.REJECT_ALL,
        dry_run: Annotated[bool, Query(description=(
            "Check the file and count what would be created, updated or left unchanged, "
            "writing nothing."))] = False,
        unknown_columns: Annotated[UnknownColumns, Query(description=(
            "refuse: a column (or JSON key) that is not a directory attribute refuses the "
            "file; ignore: it is skipped and listed in the answer."))] = UnknownColumns.REFUSE,
) -> DirectoryImportResult:
    """Import the monitored-person directory: CSV (a header row), a JSON array of objects,
    or NDJSON; upserted by email/UPN. Columns: email (or UPN), display_name, given_name,
    surname, department, manager, job_title, location, region (country), employment_start,
    employment_end (ISO dates), high_impact (true/false); common export spellings are
    accepted (userPrincipalName, displayName, jobTitle, officeLocation, country, ...). An empty
    cell clears the attribute; an absent column leaves it. CSV and NDJSON are streamed."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in (service.CSV, service.JSON, *service.NDJSON):
        raise UnsupportedMediaType("send text/csv, application/json or application/x-ndjson")

    async def chunks() -> AsyncIterator[bytes]:
        async for chunk in request.stream():
            if chunk:
                yield chunk

    return await service.import_directory(
        rt, _vault(request), uow, principal.subject, kind, chunks(), on_error=on_error,
        dry_run=dry_run, unknown=unknown_columns,
        max_rows=rt.settings.directory_import_max_rows)


@router.post("/people/resolve", operation_id="people:resolve", response_model=ResolveResponse,
             responses=problem_responses(401, 403, 422))
async def resolve(request: Request, rt: RuntimeDep, uow: UoW, body: ResolveRequest,
                  principal: Annotated[Principal, require("people", "resolve")]
                  ) -> ResolveResponse:
    """Pseudonymise actors: subject ids and aliases for emails/UPNs (services only)."""
    items = await service.resolve(rt, _vault(request), uow, principal.subject, body.identifiers)
    return ResolveResponse(items=items)


@router.get("/people/changes", operation_id="people:changes", response_model=PersonChangePage,
            responses=problem_responses(401, 403, 422))
async def person_changes(uow: UoW, _: Annotated[Principal, require("people", "feed")],
                         cursor: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=5000)] = 1000
                         ) -> PersonChangePage:
    """People whose department, region, high-impact flag or erasure changed after `cursor`,
    in commit order, with their current values; pseudonymous (services only). Keep
    `next_cursor` durably and read on from it."""
    return await service.changes(uow, cursor, limit)


@router.get("/people/rekey", operation_id="people:rekey_status", response_model=RekeyStatus,
            responses=problem_responses(401, 403))
async def rekey_status(request: Request, uow: UoW,
                       _: Annotated[Principal, require("people", "keys")]) -> RekeyStatus:
    """Which identity key is current, how many people are still under an older one, and
    the latest re-encryption pass."""
    return await keys.status(_vault(request), uow)


@router.post("/people/rekey", operation_id="people:rekey", response_model=RekeyStatus,
             status_code=202, responses=problem_responses(401, 403))
async def rekey(request: Request, rt: RuntimeDep, uow: UoW,
                principal: Annotated[Principal, require("people", "keys")]) -> RekeyStatus:
    """After a rotation (new OPENIRM_IDENTITY_KEY, the old one in
    OPENIRM_IDENTITY_PREVIOUS_KEYS): re-encrypt every person under the current key, in the
    background, resumably. Follow it with `GET /people/rekey`; when `remaining` is 0 the old
    key can be removed. A pass already running is reported, not doubled."""
    return await keys.start(rt, _vault(request), uow, principal.subject,
                            request.app.state.rekey_tasks)


@router.get("/people/batch", operation_id="people:get_batch", response_model=PersonBatch,
            responses=problem_responses(401, 403, 422))
async def get_people(request: Request, rt: RuntimeDep, uow: UoW, ids: BatchIds,
                     caller: Annotated[Caller, require_scoped("people", "read")]
                     ) -> PersonBatch:
    """Several people in one call (`?ids=…&ids=…`), each exactly as `GET /people/{subject_id}`
    shows them, reveals audited alike; an id of no one the caller may see is in `missing`."""
    return await service.read_many(rt, _vault(request), uow, caller, ids)


@router.get("/people/{subject_id}", operation_id="people:get", response_model=PersonRead,
            responses=problem_responses(401, 403, 404))
async def get_person(request: Request, rt: RuntimeDep, uow: UoW, subject_id: uuid.UUID,
                     caller: Annotated[Caller, require_scoped("people", "read")]) -> PersonRead:
    """The person as the caller may see them: by alias while the privacy setting is on, with
    the identity only under the caller's own reveal grant (each such read is audited); by
    name when it is off. A person outside the caller's scope is not found."""
    return await service.read(rt, _vault(request), uow, caller, subject_id)


@router.delete("/people/{subject_id}", operation_id="people:erase", response_model=PersonErasure,
               responses=problem_responses(401, 403, 404, 409, 422))
async def erase_person(rt: RuntimeDep, uow: UoW, subject_id: uuid.UUID, body: PersonErase,
                       principal: Annotated[Principal, require("people", "erase",
                                                               audit_denied=True)]
                       ) -> PersonErasure:
    """Erase a person (crypto-shredding): their identity and its key are destroyed, for good;
    their events, alerts and cases stay under the alias. The same email seen again becomes a
    new subject. Audited with the reason, never the identity."""
    return await service.erase(rt, uow, principal.subject, subject_id, body.reason)



@router.get("/people/{subject_id}/notice-address", operation_id="people:notice_address",
            response_model=NoticeAddress, responses=problem_responses(401, 403, 404, 409, 422))
async def notice_address(request: Request, rt: RuntimeDep, uow: UoW, subject_id: uuid.UUID,
                         case_id: uuid.UUID,
                         principal: Annotated[Principal, require("people", "notify",
                                                                 audit_denied=True)]
                         ) -> NoticeAddress:
    """The address to send a notice about a case to (the cases service only): the case must
    concern the person. Audited, without the address."""
    return await service.notice_address(rt, _vault(request), uow, principal.subject,
                                        subject_id, case_id)
