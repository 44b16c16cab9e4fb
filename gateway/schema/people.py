"""Monitored people: pseudonymous by default, identity only under a reveal grant."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.context import Info, forget
from gateway.errors import ServiceError
from gateway.schema.common import INPUT, parse_datetime, parse_optional_datetime


@strawberry.type(description="A monitored person as the caller may see them: a stable alias, "
                             "and their identity only while the caller holds a reveal grant "
                             "(or for everyone with access when an Admin has turned the "
                             "privacy setting off).")
class Person:
    subject_id: strawberry.ID = strawberry.field(
        description="Pseudonymous subject id under which the person's activity is stored.")
    alias: str = strawberry.field(
        description="Stable display alias, e.g. AnonymousUser-7K2P.")
    revealed: bool = strawberry.field(
        description="Whether the caller holds an active reveal grant for this person.")
    email: str | None = strawberry.field(
        description="Email or UPN; null unless revealed or the privacy setting is off.")
    display_name: str | None = strawberry.field(
        description="Name; null unless revealed or the privacy setting is off.")
    department: str | None = strawberry.field(
        description="Department; null unless revealed or the privacy setting is off.")
    job_title: str | None = strawberry.field(
        description="Job title; null unless revealed or the privacy setting is off.")
    revealed_for_cases: list[strawberry.ID] = strawberry.field(
        description="Cases for which the caller's active reveal grants were given.")
    erased: bool = strawberry.field(
        default=False, description="Whether the person was erased: their identity is "
                                   "destroyed for good and only the alias remains.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Person:
        identity = data.get("identity") or {}
        return cls(subject_id=strawberry.ID(str(data["subject_id"])), alias=data["alias"],
                   revealed=bool(data.get("revealed")), email=identity.get("email"),
                   display_name=identity.get("display_name"),
                   department=identity.get("department"), job_title=identity.get("job_title"),
                   revealed_for_cases=[strawberry.ID(str(c))
                                       for c in data.get("revealed_for_cases") or []],
                   erased=bool(data.get("erased")))

    @classmethod
    def pseudonymous(cls, subject_id: str, alias: str) -> Person:
        return cls(subject_id=strawberry.ID(str(subject_id)), alias=alias, revealed=False,
                   email=None, display_name=None, department=None, job_title=None,
                   revealed_for_cases=[])


async def person_of(info: Info, subject_id: str, alias: str) -> Person:
    """The person behind an alert or case, through the request's person loader. A person no
    longer in the directory (erased) stays visible under the alias the record carries."""
    try:
        data = await info.context.loaders.person.load(str(subject_id))
    except ServiceError as exc:
        if exc.status == 404:
            return Person.pseudonymous(subject_id, alias)
        raise
    return Person.from_service(data)


@strawberry.type(description="A person's identity, as disclosed by a reveal grant.")
class PersonIdentity:
    email: str = strawberry.field(description="Email or UPN.")
    display_name: str | None = strawberry.field(description="Name.")
    department: str | None = strawberry.field(description="Department.")
    job_title: str | None = strawberry.field(description="Job title.")


@strawberry.enum(description="What an import does when some records are invalid.")
class ImportOnError(Enum):
    REJECT_ALL = strawberry.enum_value(
        "reject_all", description="Apply nothing; the error lists every invalid record.")
    SKIP_INVALID = strawberry.enum_value(
        "skip_invalid", description="Apply the valid records; report the invalid ones.")


@strawberry.input(description="One person of the directory; `email` (or UPN) is the stable "
                              "key. Attributes left out stay as they are; null clears one.")
class PersonRowInput:
    email: str = strawberry.field(description="Email address or UPN.")
    display_name: str | None = strawberry.UNSET
    given_name: str | None = strawberry.UNSET
    surname: str | None = strawberry.UNSET
    department: str | None = strawberry.UNSET
    manager: str | None = strawberry.field(default=strawberry.UNSET,
                                           description="The manager's email or UPN.")
    job_title: str | None = strawberry.UNSET
    location: str | None = strawberry.UNSET
    region: str | None = strawberry.field(default=strawberry.UNSET,
                                          description="Country or region.")
    employment_start: date | None = strawberry.UNSET
    employment_end: date | None = strawberry.UNSET
    high_impact: bool | None = strawberry.field(
        default=strawberry.UNSET, description="A potentially high-impact (priority) user.")


@strawberry.input(description="Import people into the directory (Admins; audited with counts).")
class ImportPeopleInput:
    rows: list[PersonRowInput] = strawberry.field(description="Up to 50,000 people; for more, "
                                                  "send a CSV or NDJSON file to the REST API.")
    dry_run: bool = strawberry.field(default=False, description="Check and count only.")
    on_error: ImportOnError = strawberry.field(default=ImportOnError.REJECT_ALL,
                                               description="What invalid records do.")


@strawberry.type(description="A record an import refused.")
class ImportRowError:
    index: int = strawberry.field(description="0-based position of the record.")
    field: str = strawberry.field(description="The offending field.")
    reason: str


@strawberry.type(description="What an import did (or would do): counts only.")
class ImportPeoplePayload:
    dry_run: bool
    applied: bool = strawberry.field(description="Whether the valid records were written.")
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[ImportRowError] = strawberry.field(description="Up to 1,000.")


@strawberry.input(description="Erase a person (crypto-shredding).")
class ErasePersonInput:
    subject_id: strawberry.ID = strawberry.field(description="Whom to erase.")
    reason: str = strawberry.field(description="Why (3 to 500 characters, e.g. a request "
                                               "number); kept in the audit log, so no names.")


@strawberry.type(description="The person erased: only the alias remains.")
class ErasePersonPayload:
    subject_id: strawberry.ID
    alias: str
    erased_at: datetime


@strawberry.type(description="One pass re-encrypting the directory under the current key.")
class RekeyRun:
    id: strawberry.ID
    status: str = strawberry.field(description="running, succeeded, failed or interrupted "
                                               "(start it again to resume).")
    total: int = strawberry.field(description="People on older keys when it started.")
    rewritten: int
    skipped: int = strawberry.field(description="People no configured key opens.")
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    error: str | None


@strawberry.type(description="Identity-key rotation: how far the directory is on the "
                             "current key.")
class IdentityKeyStatus:
    key_id: str = strawberry.field(description="Public name of the current identity key.")
    people: int
    on_current_key: int
    remaining: int = strawberry.field(description="People still under an older key; the "
                                                  "old key may be removed at 0.")
    unreadable: int
    run: RekeyRun | None = strawberry.field(description="The latest pass.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> IdentityKeyStatus:
        run = data.get("run")
        return cls(key_id=data["key_id"], people=data["people"],
                   on_current_key=data["on_current_key"], remaining=data["remaining"],
                   unreadable=data["unreadable"], run=None if not run else RekeyRun(
                       id=strawberry.ID(str(run["id"])), status=run["status"],
                       total=run["total"], rewritten=run["rewritten"], skipped=run["skipped"],
                       started_by=run["started_by"],
                       started_at=parse_datetime(run["started_at"]),
                       finished_at=parse_optional_datetime(run.get("finished_at")),
                       error=run.get("error")))


def _row(row: PersonRowInput) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in vars(row).items():
        if value is strawberry.UNSET:
            continue
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="A monitored person by subject id (Analysts, Investigators, "
                                  "Admins).")
    async def person(
        self, info: Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(
            description="The person's subject id.")],
    ) -> Person:
        return Person.from_service(await info.context.loaders.person.load(str(subject_id)))

    @strawberry.field(description="Identity-key rotation status (Admins).")
    async def identity_key_status(self, info: Info) -> IdentityKeyStatus:
        return IdentityKeyStatus.from_service(
            await info.context.services.people_rekey_status())


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Import people into the monitored-person directory, "
                                     "upserted by email/UPN (Admins; audited with counts).")
    async def import_people(
        self, info: Info, input: Annotated[ImportPeopleInput, INPUT],
    ) -> ImportPeoplePayload:
        data = await info.context.services.people_import(
            [_row(r) for r in input.rows], dry_run=input.dry_run,
            on_error=input.on_error.value)
        return ImportPeoplePayload(
            dry_run=data["dry_run"], applied=data["applied"], rows=data["rows"],
            created=data["created"], updated=data["updated"], unchanged=data["unchanged"],
            rejected=data["rejected"],
            errors=[ImportRowError(index=e["index"], field=e["field"], reason=e["reason"])
                    for e in data["errors"]])

    @strawberry.mutation(description="Erase a person: their identity and its key are destroyed "
                                     "for good; their records stay under the alias (Admins; "
                                     "audited).")
    async def erase_person(
        self, info: Info, input: Annotated[ErasePersonInput, INPUT],
    ) -> ErasePersonPayload:
        data = await info.context.services.person_erase(input.subject_id, input.reason)
        forget(info.context.loaders.person, str(input.subject_id))
        return ErasePersonPayload(subject_id=strawberry.ID(str(data["subject_id"])),
                                  alias=data["alias"],
                                  erased_at=parse_datetime(data["erased_at"]))

    @strawberry.mutation(description="After an identity-key rotation, re-encrypt the directory "
                                     "under the current key, in the background (Admins; "
                                     "audited).")
    async def start_rekey(self, info: Info) -> IdentityKeyStatus:
        return IdentityKeyStatus.from_service(await info.context.services.people_rekey())
