"""Evidence: files attached to an active case, immutable once added (the database refuses
UPDATE and DELETE), type-checked by content, with their SHA-256; every download audited."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import func

from services.cases.cases.exceptions import CaseClosed
from services.cases.cases.service import get_case
from services.cases.evidence import filetypes
from services.cases.evidence import repository as repo
from services.cases.evidence.exceptions import EvidenceNotFound
from services.cases.evidence.schemas import EvidenceRead
from services.cases.evidence.upload import invalid, read_upload
from services.cases.models import Case, Evidence, EvidenceContent
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.errors import InvalidParam, UnsupportedMediaType
from services.kit.runtime import Runtime


def _active(case: Case) -> None:
    if case.status != "active":
        raise CaseClosed("evidence can be added to an active case only",
                         extra={"current_status": case.status})


def check_type(filename: str, content_type: str, data: bytes) -> str:
    """The allowlisted content type of the file, or 415 (not allowed) / 422 (its name or
    content disagree with it)."""
    declared = filetypes.declared_type(content_type, filename)
    if declared is None:
        raise UnsupportedMediaType(
            f"{content_type or 'a file without a type'} is not an accepted evidence type",
            extra={"invalid_params": [InvalidParam(field="file",
                                                   reason="type not on the allowlist")]})
    if filetypes.extension(filename) not in filetypes.ALLOWED[declared]:
        raise invalid("file", f"the file name {filename!r} does not fit {declared}",
                      code="evidence_type_mismatch")
    detected = filetypes.sniff(data)
    if not filetypes.matches(detected, declared, data):
        raise invalid("file", f"the content is {filetypes.describe(detected)}, not {declared}",
                      code="evidence_type_mismatch")
    return declared


async def add(rt: Runtime, uow: UnitOfWork, caller: Caller, case_id: uuid.UUID,
              chunks: AsyncIterator[bytes], content_type: str | None,
              content_length: str | None) -> EvidenceRead:
    actor = caller.principal.subject
    _active(await get_case(uow, case_id, caller.scope))  # before reading the body
    upload = await read_upload(chunks, content_type, content_length,
                               rt.settings.evidence_max_bytes)  # type: ignore[attr-defined]
    ctype = check_type(upload.filename, upload.content_type, bytes(upload.data))
    case = await get_case(uow, case_id, caller.scope, for_update=True)
    _active(case)  # closed meanwhile?
    row = Evidence(case_id=case_id, filename=upload.filename, content_type=ctype,
                   size=len(upload.data), sha256=upload.sha256,
                   description=upload.description, added_by=actor)
    uow.session.add(row)
    await uow.session.flush()
    uow.session.add(EvidenceContent(evidence_id=row.id, content=bytes(upload.data)))
    case.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(row)
    await rt.audit.record(uow.session, actor=actor, action="case.evidence.add",
                          target=f"case:{case_id}",
                          detail={"evidence_id": str(row.id), "sha256": row.sha256,
                                  "size": row.size, "content_type": ctype})
    return EvidenceRead.model_validate(row)


async def list_evidence(uow: UnitOfWork, caller: Caller, case_id: uuid.UUID
                        ) -> list[EvidenceRead]:
    await get_case(uow, case_id, caller.scope)
    return [EvidenceRead.model_validate(e) for e in await repo.of_case(uow.session, case_id)]


async def get(uow: UnitOfWork, caller: Caller, case_id: uuid.UUID, evidence_id: uuid.UUID
              ) -> Evidence:
    await get_case(uow, case_id, caller.scope)
    row = await repo.get(uow.session, case_id, evidence_id)
    if row is None:
        raise EvidenceNotFound("no such evidence")
    return row


@dataclass
class Download:
    evidence: Evidence
    content: bytes | None  # None: the caller has it already (If-None-Match)


async def download(rt: Runtime, uow: UnitOfWork, caller: Caller, case_id: uuid.UUID,
                   evidence_id: uuid.UUID, if_none_match: str | None) -> Download:
    row = await get(uow, caller, case_id, evidence_id)
    fresh = if_none_match is not None and f'"{row.sha256}"' in \
        [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    await rt.audit.record(uow.session, actor=caller.principal.subject,
                          action="case.evidence.download", target=f"case:{case_id}",
                          detail={"evidence_id": str(evidence_id), "sha256": row.sha256,
                                  "not_modified": fresh})
    return Download(row, None if fresh else await repo.content(uow.session, evidence_id))
