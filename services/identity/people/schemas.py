from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"


def _clean_text(value: object) -> object:
    """Organisational values as one spelling: trimmed, inner whitespace collapsed, and an
    empty value meaning 'none' (scopes compare these strings)."""
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return value


class DirectoryFields(BaseModel):
    """A monitored person's directory attributes; `email` (or UPN) is the stable key, the
    others are optional. On an update only the attributes sent change; an attribute sent as
    null (an empty CSV cell) is cleared."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN,
                       description="Email address or user principal name; the stable key "
                                   "(compared without case or surrounding spaces).")
    display_name: str | None = Field(default=None, max_length=200)
    given_name: str | None = Field(default=None, max_length=100)
    surname: str | None = Field(default=None, max_length=100)
    department: str | None = Field(default=None, max_length=200, description=(
        "Stored in the clear too (scopes, peer groups, policy scopes by group)."))
    manager: str | None = Field(default=None, max_length=320, pattern=EMAIL_PATTERN,
                                description="The manager's email address or UPN.")
    job_title: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=200, description="Office or site.")
    region: str | None = Field(default=None, max_length=100, description=(
        "Country or region; stored in the clear too (regional scopes)."))
    employment_start: date | None = None
    employment_end: date | None = None
    high_impact: bool | None = Field(default=None, description=(
        "A potentially high-impact (priority) user; stored in the clear too (scoring)."))

    @field_validator("email", mode="before")
    @classmethod
    def _trim(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("manager", mode="before")
    @classmethod
    def _trim_optional(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("display_name", "given_name", "surname", "department", "job_title",
                     "location", "region", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        return _clean_text(value)

    @model_validator(mode="after")
    def _consistent(self) -> DirectoryFields:
        if (self.employment_start and self.employment_end
                and self.employment_end < self.employment_start):
            raise ValueError("employment_end is before employment_start")
        if self.manager and self.manager.lower() == self.email.lower():
            raise ValueError("manager is the person themself")
        return self


class PersonUpsert(DirectoryFields):
    """A monitored person; `email` (or UPN) is the stable key."""


class PersonUpserted(BaseModel):
    created: bool = Field(description="true when the person was not in the directory before")


class OnError(StrEnum):
    REJECT_ALL = "reject_all"
    SKIP_INVALID = "skip_invalid"


class UnknownColumns(StrEnum):
    REFUSE = "refuse"
    IGNORE = "ignore"


class RowProblem(BaseModel):
    index: int = Field(description="0-based position of the record among the data rows (CSV: "
                                   "the header is not counted).")
    field: str = Field(description="The offending column or field, as the file spells it.")
    reason: str


class DirectoryImportResult(BaseModel):
    """What an import did (or, in a dry run, would do). Counts only: no names, no ids."""

    dry_run: bool
    applied: bool = Field(description="Whether the valid rows were written.")
    rows: int = Field(description="Records read (blank lines not counted).")
    created: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[RowProblem] = Field(description="The rejected rows, up to 1,000.")
    errors_truncated: bool = False
    ignored_columns: list[str] = Field(default_factory=list)
    duration_ms: int


class PersonRef(BaseModel):
    subject_id: uuid.UUID
    alias: str


class ResolveRequest(BaseModel):
    identifiers: list[Annotated[str, Field(min_length=1, max_length=320)]] = Field(
        min_length=1, max_length=10000)


class ResolvedActor(PersonRef):
    identifier: str


class ResolveResponse(BaseModel):
    items: list[ResolvedActor]


class Identity(BaseModel):
    email: str
    display_name: str | None = None
    given_name: str | None = None
    surname: str | None = None
    department: str | None = None
    manager: str | None = None
    job_title: str | None = None
    location: str | None = None
    region: str | None = None
    employment_start: date | None = None
    employment_end: date | None = None
    high_impact: bool | None = None


class PersonRead(PersonRef):
    """What a reviewer sees: the alias, and the identity only under an active reveal grant.
    An erased person is the alias only, for good."""

    revealed: bool = False
    identity: Identity | None = None
    revealed_for_cases: list[uuid.UUID] = Field(default_factory=list)
    erased: bool = False
    erased_at: datetime | None = None


class PersonBatch(BaseModel):
    """People read in one call, each exactly as `GET /people/{subject_id}` shows them."""

    items: list[PersonRead] = Field(description="The people found, in the order asked.")
    missing: list[uuid.UUID] = Field(description=(
        "Ids of no person the caller may see (unknown, or outside their scope): what the "
        "single read answers 404 for. An erased person is an item, not missing."))


class PersonErase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500, description=(
        "Why the person is erased (e.g. a data-subject request number). Kept in the audit "
        "log for good: do not write the person's name here."))


class PersonErasure(PersonRef):
    erased_at: datetime


class PersonChange(BaseModel):
    """A person's organisational attributes as they are now (pseudonymous: no identity)."""

    subject_id: uuid.UUID
    alias: str
    department: str | None
    region: str | None
    high_impact: bool
    erased: bool


class PersonChangePage(BaseModel):
    items: list[PersonChange] = Field(description=(
        "People changed after the cursor, in commit order, each once with their current "
        "values."))
    next_cursor: str | None = Field(description="Pass as `cursor` to read on; unchanged when "
                                                "nothing new has committed.")


class RekeyRunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class RekeyRunRead(BaseModel):
    id: uuid.UUID
    key_id: str
    started_by: str
    status: RekeyRunStatus
    total: int = Field(description="Rows on older keys when the pass started.")
    rewritten: int
    skipped: int = Field(description="Rows no configured key opens (left as they are).")
    error: str | None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class RekeyStatus(BaseModel):
    key_id: str = Field(description="Public name of the current identity key.")
    people: int = Field(description="People in the directory (erased ones not counted).")
    on_current_key: int
    remaining: int = Field(description="People still sealed or indexed under an older key.")
    unreadable: int = Field(description="People sealed with a key that is not configured.")
    run: RekeyRunRead | None = Field(description="The latest re-encryption pass.")


class NoticeAddress(BaseModel):
    """Where a notice about a case goes: for the cases service's sender only."""

    subject_id: uuid.UUID
    case_id: uuid.UUID
    email: str
