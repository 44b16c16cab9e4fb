"""Cases: opened from confirmed alerts, annotated with notes, closed with a resolution."""

from __future__ import annotations

import uuid

from sqlalchemy import func

from services.cases.cases import repository as repo
from services.cases.cases.exceptions import CaseClosed, CaseNotFound, CaseSubjectMismatch
from services.cases.cases.schemas import (
    CaseClose,
    CasePage,
    CaseRead,
    Classification,
    NoteCreate,
    NoteRead,
)
from services.cases.feeds.service import record_alert_change
from services.cases.models import Case, Note
from services.cases.risk_levels.service import recompute
from services.cases.webhooks.events import case_changed
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.jobs import CASES_QUEUE
from services.kit.pagination import decode_keyset, encode_keyset
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope


async def get_case(uow: UnitOfWork, case_id: uuid.UUID, scope: AccessScope, *,
                   for_update: bool = False) -> Case:
    """A case about someone outside the caller's scope, and not shared with them, does not
    exist for them."""
    case = await repo.get(uow.session, case_id, for_update=for_update)
    if case is None or not scope.sees(case.subject_id, case.id):
        raise CaseNotFound("no such case")
    return case


async def get_active_for_subject(uow: UnitOfWork, case_id: uuid.UUID,
                                 subject_id: uuid.UUID, scope: AccessScope) -> Case:
    case = await get_case(uow, case_id, scope, for_update=True)
    if case.status != "active":
        raise CaseClosed("the case is closed", extra={"current_status": case.status})
    if case.subject_id != subject_id:
        raise CaseSubjectMismatch("the case concerns another person")
    return case


async def open_case(rt: Runtime, uow: UnitOfWork, actor: str, title: str,
                    subject_id: uuid.UUID, alias: str, *,
                    policy_ids: list[uuid.UUID] | None = None) -> Case:
    """`policy_ids`: of the alerts the case is opened for (the webhook filter)."""
    case = Case(title=title, subject_id=subject_id, alias=alias, status="active",
                created_by=actor)
    uow.session.add(case)
    await uow.session.flush()
    await uow.session.refresh(case)
    await case_changed(uow.session, "case.opened", case, policy_ids or [])
    await rt.audit.record(uow.session, actor=actor, action="case.open", target=f"case:{case.id}",
                          detail={"after": {"title": title, "subject_id": str(subject_id)}})
    return case


async def list_cases(uow: UnitOfWork, scope: AccessScope, *, status: str | None,
                     cursor: str | None, limit: int) -> CasePage:
    rows = await repo.page(uow.session, status=status, after=decode_keyset(cursor),
                           limit=limit + 1, subjects=scope.subject_list(),
                           shared=sorted(scope.cases))
    items = [CaseRead.model_validate(c) for c in rows[:limit]]
    nxt = encode_keyset(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return CasePage(items=items, next_cursor=nxt)


async def add_note(rt: Runtime, uow: UnitOfWork, caller: Caller, case_id: uuid.UUID,
                   body: NoteCreate) -> NoteRead:
    actor = caller.principal.subject
    case = await get_case(uow, case_id, caller.scope, for_update=True)
    if case.status != "active":
        raise CaseClosed("notes cannot be added to a closed case",
                         extra={"current_status": case.status})
    note = Note(case_id=case_id, author=actor, body=body.body)
    uow.session.add(note)
    case.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(note)
    await rt.audit.record(uow.session, actor=actor, action="case.note.add",
                          target=f"case:{case_id}", detail={"note_id": str(note.id)})
    return NoteRead.model_validate(note)


async def list_notes(uow: UnitOfWork, case_id: uuid.UUID, scope: AccessScope
                     ) -> list[NoteRead]:
    await get_case(uow, case_id, scope)
    return [NoteRead.model_validate(n) for n in await repo.notes(uow.session, case_id)]


async def close(rt: Runtime, uow: UnitOfWork, caller: Caller, case_id: uuid.UUID,
                body: CaseClose) -> CaseRead:
    """Close with a classification and the action taken; its confirmed alerts are resolved."""
    from services.cases.alerts.repository import of_case

    actor = caller.principal.subject
    case = await get_case(uow, case_id, caller.scope, for_update=True)
    if case.status != "active":
        raise CaseClosed("the case is already closed", extra={"current_status": case.status})
    case.status, case.classification = "closed", body.classification.value
    case.resolution, case.closed_at, case.updated_at = body.resolution, func.now(), func.now()
    if body.classification is Classification.CONFIRMED_VIOLATION:
        uow.enqueue_after_commit(CASES_QUEUE, "case.violations", coalesce_s=0.05)
    alerts = await of_case(uow.session, case_id)
    for alert in alerts:
        if alert.status == "confirmed":
            alert.status, alert.updated_at = "resolved", func.now()
            await record_alert_change(uow.session, alert, "updated")
    await uow.session.flush()
    await uow.session.refresh(case)
    await case_changed(uow.session, "case.closed", case, [a.policy_id for a in alerts])
    await recompute(uow.session, case.subject_id)
    await rt.audit.record(uow.session, actor=actor, action="case.close", target=f"case:{case_id}",
                          detail={"before": {"status": "active"},
                                  "after": {"status": "closed",
                                            "classification": body.classification.value,
                                            "resolution": body.resolution}})
    return CaseRead.model_validate(case)
