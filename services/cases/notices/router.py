from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.cases.notices import service
from services.cases.notices.schemas import (
    NoticeCreate,
    NoticePage,
    NoticeRead,
    NoticeState,
    NoticeTemplateCreate,
    NoticeTemplateRead,
    NoticeTemplateUpdate,
)
from services.kit.deps import Caller, RuntimeDep, UoW, require_scoped
from services.kit.errors import problem_responses

router = APIRouter(tags=["notices"])
TemplateReader = Annotated[Caller, require_scoped("notice_templates", "read")]
TemplateWriter = Annotated[Caller, require_scoped("notice_templates", "write")]
Reader = Annotated[Caller, require_scoped("notices", "read")]
Sender = Annotated[Caller, require_scoped("notices", "write")]


@router.get("/notice-templates", operation_id="notice_templates:list",
            response_model=list[NoticeTemplateRead], responses=problem_responses(401, 403))
async def list_templates(uow: UoW, _: TemplateReader) -> list[NoticeTemplateRead]:
    """Notice templates, by name."""
    return await service.list_templates(uow)


@router.post("/notice-templates", operation_id="notice_templates:create",
             response_model=NoticeTemplateRead, status_code=201,
             responses=problem_responses(401, 403, 409, 422))
async def create_template(rt: RuntimeDep, uow: UoW, body: NoticeTemplateCreate,
                          caller: TemplateWriter) -> NoticeTemplateRead:
    """A template is checked when saved: a malformed subject or body, or a placeholder not in
    the documented set, is refused with 422 naming the field."""
    return await service.create_template(rt, uow, caller.principal.subject, body)


@router.get("/notice-templates/{template_id}", operation_id="notice_templates:get",
            response_model=NoticeTemplateRead, responses=problem_responses(401, 403, 404))
async def get_template(uow: UoW, template_id: uuid.UUID,
                       _: TemplateReader) -> NoticeTemplateRead:
    return NoticeTemplateRead.model_validate(await service.get_template(uow, template_id))


@router.patch("/notice-templates/{template_id}", operation_id="notice_templates:update",
              response_model=NoticeTemplateRead,
              responses=problem_responses(401, 403, 404, 409, 422))
async def update_template(rt: RuntimeDep, uow: UoW, template_id: uuid.UUID,
                          body: NoticeTemplateUpdate,
                          caller: TemplateWriter) -> NoticeTemplateRead:
    """Change the fields sent; notices already sent keep what they were rendered as."""
    return await service.update_template(rt, uow, caller.principal.subject, template_id, body)


@router.delete("/notice-templates/{template_id}", operation_id="notice_templates:delete",
               status_code=204, response_class=Response,
               responses=problem_responses(401, 403, 404))
async def delete_template(rt: RuntimeDep, uow: UoW, template_id: uuid.UUID,
                          caller: TemplateWriter) -> Response:
    await service.delete_template(rt, uow, caller.principal.subject, template_id)
    return Response(status_code=204)


@router.post("/cases/{case_id}/notices", operation_id="notices:send", response_model=NoticeRead,
             status_code=202, responses=problem_responses(401, 403, 404, 409, 422))
async def send_notice(rt: RuntimeDep, uow: UoW, case_id: uuid.UUID, body: NoticeCreate,
                      caller: Sender) -> NoticeRead:
    """Send a notice to the person the case concerns, from a template. Accepted as `queued`
    and delivered by SMTP in the background (follow it on the case), or kept as `outbox`
    when no SMTP server is configured. The caller never sees the person's address."""
    return await service.send(rt, uow, caller, case_id, body)


@router.get("/cases/{case_id}/notices", operation_id="notices:of_case",
            response_model=list[NoticeRead], responses=problem_responses(401, 403, 404))
async def case_notices(uow: UoW, case_id: uuid.UUID, caller: Reader) -> list[NoticeRead]:
    """The notices sent from a case, oldest first, as rendered, with their delivery state."""
    return await service.of_case(uow, case_id, caller.scope)


@router.get("/notices", operation_id="notices:list", response_model=NoticePage,
            responses=problem_responses(401, 403, 422))
async def list_notices(uow: UoW, caller: Reader, state: NoticeState | None = None,
                       cursor: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> NoticePage:
    """Notices of the cases the caller sees, newest first; `state=outbox` lists those kept
    because no SMTP server is configured."""
    return await service.list_notices(uow, caller.scope, state=state, cursor=cursor,
                                      limit=limit)
