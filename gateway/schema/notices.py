"""Notices: messages sent to the person a case concerns, rendered from notice templates
(Analysts and Investigators). The caller never sees the person's address: notices name the
person by alias, and the cases service asks identity for the address only to deliver."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.clients import uuid_segment
from gateway.context import Info, forget
from gateway.errors import ServiceError
from gateway.schema.case_items import CaseItem, item_key, split_item_key
from gateway.schema.common import (
    INPUT,
    Connection,
    Node,
    build_connection,
    decode_id,
    keyset_cursor,
    list_connection,
    node_resolver,
    operation,
    page_size,
    parse_datetime,
    parse_optional_datetime,
    to_global_id,
)
from gateway.schema.payloads import Payload, attempt

MAX_PAGE = 200
PLACEHOLDERS = ("Placeholders (nothing else is accepted): {{alias}}, {{case_id}}, "
                "{{case_title}}, {{training_url}}, {{sender}}, {{message}}.")


@strawberry.enum(description="Where a notice is in its delivery.")
class NoticeState(Enum):
    QUEUED = strawberry.enum_value("queued", description="Waiting to be delivered by SMTP.")
    SENT = strawberry.enum_value("sent", description="Accepted by the mail server.")
    FAILED = strawberry.enum_value("failed", description="Not delivered (see `lastError`).")
    OUTBOX = strawberry.enum_value("outbox", description="Kept: no SMTP server is configured, "
                                                         "nothing was sent.")


@strawberry.type(description="A template notices are rendered from.")
class NoticeTemplate(Node):
    name: str = strawberry.field(description="Unique name.")
    send_from: str = strawberry.field(description="The From address of notices sent with it.")
    cc: list[str] = strawberry.field(description="Cc addresses.")
    bcc: list[str] = strawberry.field(description="Bcc addresses (in the envelope only).")
    subject: str = strawberry.field(description="Plain-text subject with placeholders.")
    body_html: str = strawberry.field(description="HTML body with placeholders (values are "
                                                  "HTML-escaped).")
    training_url: str | None = strawberry.field(
        description="A link to training or guidance, as {{training_url}}.")
    created_by: str = strawberry.field(description="Who created it.")
    updated_by: str = strawberry.field(description="Who last changed it.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> NoticeTemplate:
        return cls(key=str(data["id"]), name=data["name"], send_from=data["send_from"],
                   cc=list(data.get("cc") or []), bcc=list(data.get("bcc") or []),
                   subject=data["subject"], body_html=data["body_html"],
                   training_url=data.get("training_url"), created_by=data["created_by"],
                   updated_by=data["updated_by"], created_at=parse_datetime(data["created_at"]),
                   updated_at=parse_datetime(data["updated_at"]))


@node_resolver("NoticeTemplate")
async def notice_template_node(info: Info, key: str) -> NoticeTemplate:
    seg = uuid_segment(key, "id")
    return NoticeTemplate.from_service(
        await info.context.services.call("cases", "GET", f"/notice-templates/{seg}"))


@strawberry.type(description="A notice sent from a case, as rendered, with its delivery "
                             "state; the person by alias, never their address.")
class Notice(CaseItem):
    template_key: strawberry.Private[str | None]
    template_name: str = strawberry.field(
        description="The template's name when it was sent (kept if the template changes).")
    subject_id: strawberry.ID = strawberry.field(description="Subject id of the person.")
    alias: str = strawberry.field(description="Alias of the person.")
    send_from: str = strawberry.field(description="From address.")
    cc: list[str] = strawberry.field(description="Cc addresses.")
    bcc: list[str] = strawberry.field(description="Bcc addresses.")
    subject: str = strawberry.field(description="The rendered subject.")
    body_html: str = strawberry.field(description="The rendered HTML body.")
    message: str | None = strawberry.field(description="The extra message given when sending.")
    sender: str = strawberry.field(description="Who sent it (the reviewer's account).")
    state: NoticeState = strawberry.field(description="Where it is in its delivery.")
    attempts: int = strawberry.field(description="Delivery attempts so far.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    created_at: datetime = strawberry.field(description="When it was sent from the case.")
    updated_at: datetime = strawberry.field(description="When its state last changed.")
    sent_at: datetime | None = strawberry.field(
        description="When the mail server accepted it.")

    @strawberry.field(description="The template's global id (NoticeTemplate); null when it "
                                  "was deleted since.")
    def template_id(self) -> strawberry.ID | None:
        return to_global_id("NoticeTemplate", self.template_key) if self.template_key \
            else None

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Notice:
        template = data.get("template_id")
        return cls(key=item_key(data["case_id"], data["id"]),
                   template_key=str(template) if template else None,
                   template_name=data["template_name"],
                   subject_id=strawberry.ID(str(data["subject_id"])), alias=data["alias"],
                   send_from=data["send_from"], cc=list(data.get("cc") or []),
                   bcc=list(data.get("bcc") or []), subject=data["subject"],
                   body_html=data["body_html"], message=data.get("message"),
                   sender=data["sender"], state=NoticeState(data["state"]),
                   attempts=int(data["attempts"]), last_error=data.get("last_error"),
                   created_at=parse_datetime(data["created_at"]),
                   updated_at=parse_datetime(data["updated_at"]),
                   sent_at=parse_optional_datetime(data.get("sent_at")))


@node_resolver("Notice")
async def notice_node(info: Info, key: str) -> Notice:
    """Notices have no single read: the case's notices, and this one among them."""
    case_id, notice_id = split_item_key(key, "id")
    for data in await info.context.services.call("cases", "GET", f"/cases/{case_id}/notices"):
        if str(data["id"]) == notice_id:
            return Notice.from_service(data)
    raise ServiceError(404, "not_found", "no such notice", service="cases")


@strawberry.input(description="A new notice template. " + PLACEHOLDERS)
class CreateNoticeTemplateInput:
    name: str = strawberry.field(description="Unique name (1 to 200 characters).")
    send_from: str = strawberry.field(description="The From address.")
    subject: str = strawberry.field(description="Plain-text subject with placeholders, e.g. "
                                                "'About case {{case_id}}'.")
    body_html: str = strawberry.field(description="HTML body with placeholders.")
    cc: list[str] = strawberry.field(default_factory=list,
                                     description="Cc addresses (at most 20).")
    bcc: list[str] = strawberry.field(default_factory=list,
                                      description="Bcc addresses (at most 20).")
    training_url: str | None = strawberry.field(
        default=None, description="An http(s) link to training, as {{training_url}}.")


@strawberry.input(description="Change a notice template: only the fields given change; "
                              "notices already sent keep what they were rendered as. "
                              + PLACEHOLDERS)
class UpdateNoticeTemplateInput:
    id: strawberry.ID = strawberry.field(description="The template.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    send_from: str | None = strawberry.field(default=strawberry.UNSET,
                                             description="New From address.")
    subject: str | None = strawberry.field(default=strawberry.UNSET,
                                           description="New subject.")
    body_html: str | None = strawberry.field(default=strawberry.UNSET,
                                             description="New HTML body.")
    cc: list[str] | None = strawberry.field(default=strawberry.UNSET,
                                            description="New Cc addresses.")
    bcc: list[str] | None = strawberry.field(default=strawberry.UNSET,
                                             description="New Bcc addresses.")
    training_url: str | None = strawberry.field(
        default=strawberry.UNSET, description="New training link; null removes it.")


@strawberry.input(description="Delete a notice template (notices sent with it are kept).")
class DeleteNoticeTemplateInput:
    id: strawberry.ID = strawberry.field(description="The template.")


@strawberry.type(description="The notice template just created or changed.")
class NoticeTemplatePayload(Payload):
    template: NoticeTemplate | None = strawberry.field(default=None,
                                                       description="The template.")


@strawberry.type(description="The notice template just deleted.")
class DeleteNoticeTemplatePayload(Payload):
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The global id of the deleted template.")


@strawberry.input(description="Send a notice to the person a case concerns.")
class SendNoticeInput:
    case_id: strawberry.ID = strawberry.field(description="The active case.")
    template_id: strawberry.ID = strawberry.field(description="The notice template.")
    message: str | None = strawberry.field(
        default=None, description="An extra message, as {{message}} (up to 5000 characters, "
                                  "HTML-escaped).")


@strawberry.type(description="The notice just sent.")
class SendNoticePayload(Payload):
    notice: Notice | None = strawberry.field(
        default=None, description="The notice: QUEUED for delivery, or OUTBOX when no SMTP "
                                  "server is configured; follow it on `case.notices`.")


@strawberry.type
class NoticeQuery:
    @strawberry.field(description="Notice templates, by name (Analysts and Investigators).",
                      metadata=operation("notice_templates:list"))
    async def notice_templates(
        self, info: Info,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page.")] = None,
    ) -> Connection[NoticeTemplate]:
        templates = await info.context.services.call("cases", "GET", "/notice-templates")
        return list_connection(templates, NoticeTemplate.from_service, first=first,
                               after=after, maximum=MAX_PAGE)

    @strawberry.field(description="A notice template by id.",
                      metadata=operation("notice_templates:get"))
    async def notice_template(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The template's id.")],
    ) -> NoticeTemplate:
        return await notice_template_node(info, decode_id(id, "NoticeTemplate", "id"))

    @strawberry.field(description="Notices of the cases the caller sees, newest first "
                                  "(Analysts and Investigators).",
                      metadata=operation("notices:list"))
    async def notices(
        self, info: Info,
        state: Annotated[NoticeState | None, strawberry.argument(
            description="Only notices in this state (OUTBOX: kept because no SMTP server is "
                        "configured).")] = None,
        first: Annotated[int, strawberry.argument(
            description=f"Page size, 1 to {MAX_PAGE}.")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Cursor from a previous page (`endCursor` or an edge's cursor).")]
            = None,
    ) -> Connection[Notice]:
        page = await info.context.services.call("cases", "GET", "/notices", params={
            "state": state.value if state else None, "cursor": after,
            "limit": page_size(first, MAX_PAGE)})
        return build_connection(page["items"], page.get("next_cursor"), Notice.from_service,
                                lambda n: keyset_cursor(n["created_at"], n["id"]),
                                after=after)


def _changes(input: UpdateNoticeTemplateInput) -> dict[str, Any]:
    """The fields given (a null among them is sent as null: the service refuses it except
    for the training link, which it removes)."""
    return {name: value for name, value in (
        ("name", input.name), ("send_from", input.send_from), ("subject", input.subject),
        ("body_html", input.body_html), ("cc", input.cc), ("bcc", input.bcc),
        ("training_url", input.training_url)) if value is not strawberry.UNSET}


@strawberry.type
class NoticeMutation:
    @strawberry.mutation(description="Create a notice template; a malformed subject or body "
                                     "or an unknown placeholder is a ValidationError naming "
                                     "the field.",
                         metadata=operation("notice_templates:create"))
    async def create_notice_template(
        self, info: Info, input: Annotated[CreateNoticeTemplateInput, INPUT],
    ) -> NoticeTemplatePayload:
        async def create() -> NoticeTemplatePayload:
            body = {"name": input.name, "send_from": input.send_from, "cc": input.cc,
                    "bcc": input.bcc, "subject": input.subject, "body_html": input.body_html,
                    "training_url": input.training_url}
            data = await info.context.services.call("cases", "POST", "/notice-templates",
                                                    json=body)
            return NoticeTemplatePayload(template=NoticeTemplate.from_service(data))

        return await attempt(NoticeTemplatePayload, create)

    @strawberry.mutation(description="Change the fields given of a notice template.",
                         metadata=operation("notice_templates:update"))
    async def update_notice_template(
        self, info: Info, input: Annotated[UpdateNoticeTemplateInput, INPUT],
    ) -> NoticeTemplatePayload:
        async def update() -> NoticeTemplatePayload:
            seg = uuid_segment(decode_id(input.id, "NoticeTemplate", "id"), "id")
            data = await info.context.services.call("cases", "PATCH",
                                                    f"/notice-templates/{seg}",
                                                    json=_changes(input))
            return NoticeTemplatePayload(template=NoticeTemplate.from_service(data))

        return await attempt(NoticeTemplatePayload, update)

    @strawberry.mutation(description="Delete a notice template; notices sent with it keep "
                                     "their rendered copy and its name.",
                         metadata=operation("notice_templates:delete"))
    async def delete_notice_template(
        self, info: Info, input: Annotated[DeleteNoticeTemplateInput, INPUT],
    ) -> DeleteNoticeTemplatePayload:
        async def delete() -> DeleteNoticeTemplatePayload:
            seg = uuid_segment(decode_id(input.id, "NoticeTemplate", "id"), "id")
            await info.context.services.call("cases", "DELETE", f"/notice-templates/{seg}")
            return DeleteNoticeTemplatePayload(deleted_id=to_global_id("NoticeTemplate", seg))

        return await attempt(DeleteNoticeTemplatePayload, delete)

    @strawberry.mutation(description="Send a notice from an active case to the person it "
                                     "concerns, rendered from a template now and delivered in "
                                     "the background.",
                         metadata=operation("notices:send"))
    async def send_notice(
        self, info: Info, input: Annotated[SendNoticeInput, INPUT],
    ) -> SendNoticePayload:
        async def send() -> SendNoticePayload:
            seg = uuid_segment(decode_id(input.case_id, "Case", "caseId"), "caseId")
            template = uuid_segment(decode_id(input.template_id, "NoticeTemplate",
                                              "templateId"), "templateId")
            body: dict[str, Any] = {"template_id": template}
            if input.message is not None:
                body["message"] = input.message
            data = await info.context.services.call("cases", "POST", f"/cases/{seg}/notices",
                                                    json=body)
            forget(info.context.loaders.case, seg)  # its updatedAt moved
            return SendNoticePayload(notice=Notice.from_service(data))

        return await attempt(SendNoticePayload, send)
