from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, EmailStr, Field


class NoticeState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    OUTBOX = "outbox"


class NoticeTemplateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    send_from: EmailStr = Field(description="The From address of notices sent with it.")
    cc: list[EmailStr] = Field(default_factory=list, max_length=20)
    bcc: list[EmailStr] = Field(default_factory=list, max_length=20)
    subject: str = Field(min_length=1, max_length=500, description=(
        "Plain text with placeholders, e.g. 'About case {{case_id}}'."))
    body_html: str = Field(min_length=1, max_length=100_000, description=(
        "HTML with placeholders ({{alias}}, {{case_id}}, {{case_title}}, {{training_url}}, "
        "{{sender}}, {{message}}); values are HTML-escaped."))
    training_url: AnyHttpUrl | None = Field(default=None, description=(
        "An optional link to training or guidance, as {{training_url}}."))


class NoticeTemplateUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    send_from: EmailStr | None = None
    cc: list[EmailStr] | None = Field(default=None, max_length=20)
    bcc: list[EmailStr] | None = Field(default=None, max_length=20)
    subject: str | None = Field(default=None, min_length=1, max_length=500)
    body_html: str | None = Field(default=None, min_length=1, max_length=100_000)
    training_url: AnyHttpUrl | None = None


class NoticeTemplateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    send_from: str
    cc: list[str]
    bcc: list[str]
    subject: str
    body_html: str
    training_url: str | None
    created_by: str
    updated_by: str
    created_at: datetime
    updated_at: datetime


class NoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template_id: uuid.UUID
    message: str | None = Field(default=None, max_length=5000, description=(
        "An extra message for this notice, as {{message}} (HTML-escaped)."))


class NoticeRead(BaseModel):
    """A notice as recorded on the case: the person by alias; never their address."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    template_id: uuid.UUID | None
    template_name: str
    subject_id: uuid.UUID
    alias: str
    send_from: str
    cc: list[str]
    bcc: list[str]
    subject: str
    body_html: str
    message: str | None
    sender: str = Field(description="Who sent it (the reviewer's account).")
    state: NoticeState
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


class NoticePage(BaseModel):
    items: list[NoticeRead]
    next_cursor: str | None = None
