"""Escalation exports (the eDiscovery hand-off): a job builds a signed, pseudonymous bundle
of the case; a download adds the person's identity only for a caller who holds a reveal
grant for that case (asked of identity with the caller's own token), re-signing the
manifest, and is audited either way."""

from __future__ import annotations

import hashlib
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.cases.cases.service import get_case
from services.cases.exports import bundle as fmt
from services.cases.exports import repository as repo
from services.cases.exports.exceptions import ExportNotFound, ExportNotReady, SigningKeyMissing
from services.cases.exports.schemas import ExportRead, ExportState, SigningKey
from services.cases.models import Export
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.errors import OpenIRMError, UpstreamUnavailable
from services.kit.jobs import CASES_QUEUE
from services.kit.live import ExportProgress, publish_after_commit
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope

BUILD = "export.build"


def progressed(uow: UnitOfWork, export: Export) -> None:
    """Tell live subscribers where the export stands, once this transaction commits."""
    publish_after_commit(uow, ExportProgress(export_id=export.id, case_id=export.case_id,
                                             state=str(export.state),
                                             progress=int(export.progress)))


def private_key(rt: Runtime) -> Ed25519PrivateKey:
    raw = rt.settings.export_signing_key  # type: ignore[attr-defined]
    if raw is None:
        raise SigningKeyMissing("no export signing key is configured "
                                "(OPENIRM_EXPORT_SIGNING_KEY)")
    return fmt.load_private_key(raw.get_secret_value())


def signing_key(rt: Runtime) -> SigningKey:
    public = private_key(rt).public_key()
    return SigningKey(key_id=fmt.key_id(public), public_key_pem=fmt.public_pem(public))


async def create(rt: Runtime, uow: UnitOfWork, caller: Caller, case_id: uuid.UUID) -> ExportRead:
    actor = caller.principal.subject
    private_key(rt)  # refuse now rather than fail in the job
    case = await get_case(uow, case_id, caller.scope)
    content = await rt.authorizer.allowed(actor, "content", "read")
    export = Export(case_id=case.id, created_by=actor, content_included=content,
                    state=ExportState.QUEUED, progress=0)
    uow.session.add(export)
    await uow.session.flush()
    await uow.session.refresh(export)
    await rt.audit.record(uow.session, actor=actor, action="case.export.create",
                          target=f"case:{case.id}",
                          detail={"export_id": str(export.id), "content_included": content})
    uow.enqueue_after_commit(CASES_QUEUE, BUILD, job_id=f"export:{export.id}",
                             export_id=str(export.id))
    progressed(uow, export)
    return ExportRead.model_validate(export)


async def _get(uow: UnitOfWork, case_id: uuid.UUID, export_id: uuid.UUID,
               scope: AccessScope) -> Export:
    await get_case(uow, case_id, scope)
    export = await repo.get(uow.session, export_id)
    if export is None or export.case_id != case_id:
        raise ExportNotFound("no such export")
    return export


async def get(uow: UnitOfWork, case_id: uuid.UUID, export_id: uuid.UUID,
              scope: AccessScope) -> ExportRead:
    return ExportRead.model_validate(await _get(uow, case_id, export_id, scope))


async def of_case(uow: UnitOfWork, case_id: uuid.UUID, scope: AccessScope) -> list[ExportRead]:
    await get_case(uow, case_id, scope)
    return [ExportRead.model_validate(e) for e in await repo.of_case(uow.session, case_id)]


async def _revealed_identity(rt: Runtime, token: str, subject_id: uuid.UUID,
                             case_id: uuid.UUID) -> dict | None:
    """The identity, if identity says the caller holds a reveal grant for this case."""
    try:
        person = await rt.identity.request("GET", f"/people/{subject_id}", token=token)
    except UpstreamUnavailable:
        raise
    except OpenIRMError:
        return None
    if person.get("revealed") and str(case_id) in person.get("revealed_for_cases", []):
        return person.get("identity")
    return None


async def download(rt: Runtime, uow: UnitOfWork, caller: Caller, token: str,
                   case_id: uuid.UUID, export_id: uuid.UUID) -> tuple[bytes, str]:
    actor = caller.principal.subject
    export = await _get(uow, case_id, export_id, caller.scope)
    if export.state != ExportState.READY:
        raise ExportNotReady(f"the export is {export.state}, not ready",
                             extra={"current_status": export.state})
    data = await repo.bundle(uow.session, export_id)
    assert data is not None
    case = await get_case(uow, case_id, caller.scope)
    identity = await _revealed_identity(rt, token, case.subject_id, case_id)
    # Built by an Investigator, fetched by someone who may not see content: without it.
    drop_content = export.content_included and not await rt.authorizer.allowed(
        actor, "content", "read")
    if identity is not None or drop_content:
        files, header = fmt.unpack(data)
        if drop_content:
            files.pop("content.json", None)
            header["content_included"] = False
        if identity is not None:
            files["identity.json"] = fmt.to_json({"subject_id": str(case.subject_id),
                                                  "alias": case.alias, "case_id": str(case_id),
                                                  "revealed_to": actor, "identity": identity})
            header |= {"pseudonymous": False, "identity_revealed_to": actor}
        data = fmt.assemble(files, header, private_key(rt))
    await rt.audit.record(uow.session, actor=actor, action="case.export.download",
                          target=f"case:{case_id}",
                          detail={"export_id": str(export_id),
                                  "identity_included": identity is not None,
                                  "content_included": export.content_included
                                  and not drop_content,
                                  "sha256": hashlib.sha256(data).hexdigest()})
    return data, f"case-{case_id}-export-{export_id}.zip"
