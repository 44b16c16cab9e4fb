"""Notice templates, and notices sent from a case to the person it concerns. The person's
address is never known here: the delivery job asks identity for it, uses it and forgets it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func

from services.cases.cases.service import get_case
from services.cases.models import Notice, NoticeTemplate
from services.cases.notices import repository as repo
from services.cases.notices import templating
from services.cases.notices.exceptions import (
    CaseNotActive,
    InvalidNoticeTemplate,
    NoticeTemplateNameTaken,
    NoticeTemplateNotFound,
)
from services.cases.notices.schemas import (
    NoticeCreate,
    NoticePage,
    NoticeRead,
    NoticeState,
    NoticeTemplateCreate,
    NoticeTemplateRead,
    NoticeTemplateUpdate,
)
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.jobs import CASES_QUEUE
from services.kit.pagination import decode_keyset, encode_keyset
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope

DELIVER = "notice.deliver"


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key in ("send_from", "training_url"):
        if out.get(key) is not None:
            out[key] = str(out[key])
    for key in ("cc", "bcc"):
        if out.get(key) is not None:
            out[key] = [str(a) for a in out[key]]
    return out


def _check(values: dict[str, Any]) -> None:
    for field in ("subject", "body_html"):
        if values.get(field) is not None:
            templating.check(field, values[field])


async def _free_name(uow: UnitOfWork, name: str, own: uuid.UUID | None = None) -> None:
    other = await repo.template_named(uow.session, name)
    if other is not None and other.id != own:
        raise NoticeTemplateNameTaken(f"a notice template named {name!r} exists already")


async def create_template(rt: Runtime, uow: UnitOfWork, actor: str,
                          body: NoticeTemplateCreate) -> NoticeTemplateRead:
    values = _stored(body.model_dump())
    _check(values)
    await _free_name(uow, body.name)
    row = NoticeTemplate(**values, created_by=actor, updated_by=actor)
    uow.session.add(row)
    await uow.session.flush()
    await uow.session.refresh(row)
    await rt.audit.record(uow.session, actor=actor, action="notice_template.create",
                          target=f"notice_template:{row.id}",
                          detail={"after": {"name": row.name}})
    return NoticeTemplateRead.model_validate(row)


async def get_template(uow: UnitOfWork, template_id: uuid.UUID, *, for_update: bool = False
                       ) -> NoticeTemplate:
    row = await repo.template(uow.session, template_id, for_update=for_update)
    if row is None:
        raise NoticeTemplateNotFound("no such notice template")
    return row


async def list_templates(uow: UnitOfWork) -> list[NoticeTemplateRead]:
    return [NoticeTemplateRead.model_validate(t) for t in await repo.templates(uow.session)]


async def update_template(rt: Runtime, uow: UnitOfWork, actor: str, template_id: uuid.UUID,
                          body: NoticeTemplateUpdate) -> NoticeTemplateRead:
    row = await get_template(uow, template_id, for_update=True)
    changes = _stored(body.model_dump(exclude_unset=True))
    for key in ("name", "send_from", "cc", "bcc", "subject", "body_html"):
        if key in changes and changes[key] is None:
            raise InvalidNoticeTemplate(key, "may not be null")
    _check(changes)
    if "name" in changes:
        await _free_name(uow, changes["name"], row.id)
    before = {k: getattr(row, k) for k in changes}
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_by, row.updated_at = actor, func.now()
    await uow.session.flush()
    await uow.session.refresh(row)
    await rt.audit.record(uow.session, actor=actor, action="notice_template.update",
                          target=f"notice_template:{row.id}",
                          detail={"before": before, "after": changes})
    return NoticeTemplateRead.model_validate(row)


async def delete_template(rt: Runtime, uow: UnitOfWork, actor: str,
                          template_id: uuid.UUID) -> None:
    """Notices sent with it keep their rendered copy and the template's name."""
    row = await get_template(uow, template_id, for_update=True)
    await uow.session.delete(row)
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=actor, action="notice_template.delete",
                          target=f"notice_template:{template_id}",
                          detail={"before": {"name": row.name}})


async def send(rt: Runtime, uow: UnitOfWork, caller: Caller, case_id: uuid.UUID,
               body: NoticeCreate) -> NoticeRead:
    """Render the template for the case now and record the notice; the delivery job sends
    it after commit (state queued), or, with no SMTP server configured, it stays in the
    outbox."""
    actor = caller.principal.subject
    case = await get_case(uow, case_id, caller.scope, for_update=True)
    if case.status != "active":
        raise CaseNotActive("notices are sent from active cases only",
                            extra={"current_status": case.status})
    template = await repo.template(uow.session, body.template_id)
    if template is None:
        raise InvalidNoticeTemplate("template_id", "no such notice template")
    values = {"alias": case.alias, "case_id": str(case.id), "case_title": case.title,
              "training_url": template.training_url or "", "sender": template.send_from,
              "message": body.message or ""}
    smtp = rt.settings.smtp_url is not None  # type: ignore[attr-defined]
    notice = Notice(case_id=case.id, template_id=template.id, template_name=template.name,
                    subject_id=case.subject_id, alias=case.alias, send_from=template.send_from,
                    cc=list(template.cc), bcc=list(template.bcc),
                    subject=templating.render("subject", template.subject, values),
                    body_html=templating.render("body_html", template.body_html, values),
                    message=body.message, sender=actor,
                    state=NoticeState.QUEUED if smtp else NoticeState.OUTBOX)
    uow.session.add(notice)
    case.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(notice)
    await rt.audit.record(uow.session, actor=actor, action="case.notice.send",
                          target=f"case:{case.id}",
                          detail={"notice_id": str(notice.id), "template_id": str(template.id),
                                  "state": notice.state})
    if smtp:
        uow.enqueue_after_commit(CASES_QUEUE, DELIVER, job_id=f"notice:{notice.id}",
                                 notice_id=str(notice.id))
    return NoticeRead.model_validate(notice)


async def of_case(uow: UnitOfWork, case_id: uuid.UUID, scope: AccessScope) -> list[NoticeRead]:
    await get_case(uow, case_id, scope)
    return [NoticeRead.model_validate(n) for n in await repo.of_case(uow.session, case_id)]


async def list_notices(uow: UnitOfWork, scope: AccessScope, *, state: NoticeState | None,
                       cursor: str | None, limit: int) -> NoticePage:
    rows = await repo.page(uow.session, state=state.value if state else None,
                           after=decode_keyset(cursor), limit=limit + 1,
                           subjects=scope.subject_list(), shared=sorted(scope.cases))
    items = [NoticeRead.model_validate(n) for n in rows[:limit]]
    nxt = encode_keyset(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return NoticePage(items=items, next_cursor=nxt)
