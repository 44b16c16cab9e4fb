"""Monitored people: pseudonymous by default, identity only under a reveal grant. Also the
directory import, erasure (crypto-shredding) and identity-key rotation (Admins)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.clients import uuid_segment
from gateway.context import Info, forget
from gateway.errors import ServiceError
from gateway.schema.common import (
    INPUT,
    Node,
    decode_id,
    node_resolver,
    operation,
    parse_datetime,
    parse_optional_datetime,
    to_global_id,
)
from gateway.schema.payloads import Payload, attempt


@strawberry.type(description="A monitored person as the caller may see them: a stable alias, "
                             "and their identity only while the caller holds a reveal grant "
                             "(or for everyone with access when an Admin has turned the "
                             "privacy setting off). `rawId` is the pseudonymous subject id "
                             "under which their activity is stored.")
class Person(Node):
    alias: str = strawberry.field(
        description="Stable display alias, e.g. AnonymousUser-7K2P.")
    revealed: bool = strawberry.field(
        description="Whether the caller holds an active reveal grant for this person.")
    email: str | None = strawberry.field(
        description="Email or UPN; null unless revealed or the privacy setting is off.")
    display_name: str | None = strawberry.field(
        description="Name; null unless revealed or the privacy setting is off.")
    given_name: str | None = strawberry.field(
        default=None, description="Given name; null unless revealed or the privacy setting "
                                  "is off.")
    surname: str | None = strawberry.field(
        default=None, description="Surname; null unless revealed or the privacy setting is "
                                  "off.")
    department: str | None = strawberry.field(
        description="Department; null unless revealed or the privacy setting is off.")
    job_title: str | None = strawberry.field(
        description="Job title; null unless revealed or the privacy setting is off.")
    manager: str | None = strawberry.field(
        default=None, description="The manager's email or UPN; null unless revealed or the "
                                  "privacy setting is off.")
    location: str | None = strawberry.field(
        default=None, description="Office or site; null unless revealed or the privacy "
                                  "setting is off.")
    region: str | None = strawberry.field(
        default=None, description="Country or region; null unless revealed or the privacy "
                                  "setting is off.")
    employment_start: date | None = strawberry.field(
        default=None, description="First day of employment; null unless revealed or the "
                                  "privacy setting is off.")
    employment_end: date | None = strawberry.field(
        default=None, description="Last day of employment; null unless revealed or the "
                                  "privacy setting is off.")
    high_impact: bool | None = strawberry.field(
        default=None, description="A potentially high-impact (priority) user; null unless "
                                  "revealed or the privacy setting is off.")
    revealed_for_cases: list[strawberry.ID] = strawberry.field(
        description="Global ids of the cases for which the caller's active reveal grants "
                    "were given.")
    erased: bool = strawberry.field(
        default=False, description="Whether the person was erased: their identity is "
                                   "destroyed for good and only the alias remains.")
    erased_at: datetime | None = strawberry.field(
        default=None, description="When the person was erased.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Person:
        identity = data.get("identity") or {}
        return cls(key=str(data["subject_id"]), alias=data["alias"],
                   revealed=bool(data.get("revealed")), email=identity.get("email"),
                   display_name=identity.get("display_name"),
                   given_name=identity.get("given_name"), surname=identity.get("surname"),
                   department=identity.get("department"), job_title=identity.get("job_title"),
                   manager=identity.get("manager"), location=identity.get("location"),
                   region=identity.get("region"),
                   employment_start=_date(identity.get("employment_start")),
                   employment_end=_date(identity.get("employment_end")),
                   high_impact=identity.get("high_impact"),
                   revealed_for_cases=[to_global_id("Case", str(c))
                                       for c in data.get("revealed_for_cases") or []],
                   erased=bool(data.get("erased")),
                   erased_at=parse_optional_datetime(data.get("erased_at")))

    @classmethod
    def pseudonymous(cls, subject_id: str, alias: str) -> Person:
        return cls(key=str(subject_id), alias=alias, revealed=False, email=None,
                   display_name=None, department=None, job_title=None, revealed_for_cases=[])


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


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


@node_resolver("Person")
async def person_node(info: Info, key: str) -> Person:
    return Person.from_service(await info.context.loaders.person.load(
        uuid_segment(key, "id")))


@strawberry.type(description="A person's identity, as disclosed by a reveal grant.")
class PersonIdentity:
    email: str = strawberry.field(description="Email or UPN.")
    display_name: str | None = strawberry.field(description="Name.")
    department: str | None = strawberry.field(description="Department.")
    job_title: str | None = strawberry.field(description="Job title.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> PersonIdentity:
        return cls(email=data.get("email", ""), display_name=data.get("display_name"),
                   department=data.get("department"), job_title=data.get("job_title"))


# Import ------------------------------------------------------------------------------------

@strawberry.enum(description="What an import does when some records are invalid.")
class ImportOnError(Enum):
    REJECT_ALL = strawberry.enum_value(
        "reject_all", description="Apply nothing; the payload's ValidationError names every "
                                  "invalid record (`rows.<index>.<field>`).")
    SKIP_INVALID = strawberry.enum_value(
        "skip_invalid", description="Apply the valid records; report the invalid ones in "
                                    "`summary.rejectedRows`.")


@strawberry.input(description="One person of the directory; `email` (or UPN) is the stable "
                              "key. Attributes left out stay as they are; null clears one.")
class PersonRowInput:
    email: str = strawberry.field(description="Email address or UPN.")
    display_name: str | None = strawberry.field(default=strawberry.UNSET,
                                                description="Full name.")
    given_name: str | None = strawberry.field(default=strawberry.UNSET,
                                              description="Given name.")
    surname: str | None = strawberry.field(default=strawberry.UNSET, description="Surname.")
    department: str | None = strawberry.field(
        default=strawberry.UNSET, description="Department (also used by access scopes and "
                                              "peer groups).")
    manager: str | None = strawberry.field(default=strawberry.UNSET,
                                           description="The manager's email or UPN.")
    job_title: str | None = strawberry.field(default=strawberry.UNSET,
                                             description="Job title.")
    location: str | None = strawberry.field(default=strawberry.UNSET,
                                            description="Office or site.")
    region: str | None = strawberry.field(default=strawberry.UNSET,
                                          description="Country or region.")
    employment_start: date | None = strawberry.field(default=strawberry.UNSET,
                                                     description="First day of employment.")
    employment_end: date | None = strawberry.field(default=strawberry.UNSET,
                                                   description="Last day of employment.")
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
    index: int = strawberry.field(description="0-based position of the record in `rows`.")
    field: str = strawberry.field(description="The offending field.")
    reason: str = strawberry.field(description="Why it was refused.")


@strawberry.type(description="What an import did (or would do): counts only, no names or ids.")
class PeopleImportSummary:
    dry_run: bool = strawberry.field(description="Whether this was a check only.")
    applied: bool = strawberry.field(description="Whether the valid records were written.")
    rows: int = strawberry.field(description="Records read.")
    created: int = strawberry.field(description="People added to the directory.")
    updated: int = strawberry.field(description="People whose attributes changed.")
    unchanged: int = strawberry.field(description="People already as given.")
    rejected: int = strawberry.field(description="Invalid records (skipped).")
    rejected_rows: list[ImportRowError] = strawberry.field(
        description="The rejected records, up to 1,000.")
    rejected_rows_truncated: bool = strawberry.field(
        description="Whether more records were rejected than listed.")
    duration_ms: int = strawberry.field(description="How long the import took.")


@strawberry.type(description="The result of importPeople.")
class ImportPeoplePayload(Payload):
    summary: PeopleImportSummary | None = strawberry.field(
        default=None, description="What the import did; null when it was refused.")


def _row(row: PersonRowInput) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in vars(row).items():
        if value is strawberry.UNSET:
            continue
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def _indexed(exc: ServiceError) -> ServiceError:
    """Per-record problems named `rows.<index>.<field>`, so a client can point at the row."""
    params = [{"field": f"rows.{p['index']}.{p.get('field') or ''}".rstrip("."),
               "reason": p.get("reason") or ""}
              if isinstance(p, dict) and isinstance(p.get("index"), int) else p
              for p in exc.invalid_params or []]
    return ServiceError(exc.status, exc.code, exc.detail, service=exc.service,
                        invalid_params=params or None, body=exc.body)


# Erasure -----------------------------------------------------------------------------------

@strawberry.input(description="Erase a person (crypto-shredding).")
class ErasePersonInput:
    person_id: strawberry.ID = strawberry.field(description="Whom to erase (a Person id).")
    reason: str = strawberry.field(description="Why (3 to 500 characters, e.g. a request "
                                               "number); kept in the audit log, so no names.")


@strawberry.type(description="The result of erasePerson.")
class ErasePersonPayload(Payload):
    person: Person | None = strawberry.field(
        default=None, description="The person, now only an alias (`erased` true).")


# Identity-key rotation ---------------------------------------------------------------------

@strawberry.enum(description="Where a re-encryption pass stands.")
class RekeyRunStatus(Enum):
    RUNNING = strawberry.enum_value("running", description="Re-encrypting in the background.")
    SUCCEEDED = strawberry.enum_value("succeeded", description="Every readable person is on "
                                                               "the current key.")
    FAILED = strawberry.enum_value("failed", description="Stopped on an error (see `error`).")
    INTERRUPTED = strawberry.enum_value(
        "interrupted", description="Its process stopped; start it again to resume.")


@strawberry.type(description="One pass re-encrypting the directory under the current key.")
class RekeyRun:
    run_id: str = strawberry.field(description="The pass's id in the REST API.")
    key_id: str = strawberry.field(description="The key it re-encrypts under.")
    status: RekeyRunStatus = strawberry.field(description="Where the pass stands.")
    total: int = strawberry.field(description="People on older keys when it started.")
    rewritten: int = strawberry.field(description="People re-encrypted so far.")
    skipped: int = strawberry.field(description="People no configured key opens.")
    started_by: str = strawberry.field(description="Who started it, e.g. user:<id>.")
    started_at: datetime = strawberry.field(description="When it started.")
    updated_at: datetime | None = strawberry.field(description="When it last reported "
                                                               "progress.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")
    error: str | None = strawberry.field(description="Why it failed, if it did.")

    @classmethod
    def from_service(cls, run: dict[str, Any]) -> RekeyRun:
        return cls(run_id=str(run["id"]), key_id=str(run.get("key_id") or ""),
                   status=RekeyRunStatus(run["status"]), total=run["total"],
                   rewritten=run["rewritten"], skipped=run["skipped"],
                   started_by=run["started_by"], started_at=parse_datetime(run["started_at"]),
                   updated_at=parse_optional_datetime(run.get("updated_at")),
                   finished_at=parse_optional_datetime(run.get("finished_at")),
                   error=run.get("error"))


@strawberry.type(description="Identity-key rotation: how far the directory is on the "
                             "current key.")
class IdentityKeyStatus:
    key_id: str = strawberry.field(description="Public name of the current identity key.")
    people: int = strawberry.field(description="People in the directory (erased ones not "
                                               "counted).")
    on_current_key: int = strawberry.field(description="People under the current key.")
    remaining: int = strawberry.field(description="People still under an older key; the "
                                                  "old key may be removed at 0.")
    unreadable: int = strawberry.field(description="People sealed with a key that is not "
                                                   "configured.")
    run: RekeyRun | None = strawberry.field(description="The latest pass.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> IdentityKeyStatus:
        run = data.get("run")
        return cls(key_id=data["key_id"], people=data["people"],
                   on_current_key=data["on_current_key"], remaining=data["remaining"],
                   unreadable=data["unreadable"],
                   run=RekeyRun.from_service(run) if run else None)


@strawberry.type(description="The result of startRekey.")
class StartRekeyPayload(Payload):
    status: IdentityKeyStatus | None = strawberry.field(
        default=None, description="The rotation status with the pass just started (or the "
                                  "one already running).")


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="A monitored person (Analysts, Investigators, Admins); "
                                  "pseudonymous unless revealed to the caller. Outside the "
                                  "caller's access scope: NOT_FOUND.",
                      metadata=operation("people:get"))
    async def person(
        self, info: Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(
            description="The person's id (global id, or the subject id as `rawId` gives "
                        "it).")],
    ) -> Person:
        return await person_node(info, decode_id(subject_id, "Person", "subjectId"))

    @strawberry.field(description="Identity-key rotation status (Admins).",
                      metadata=operation("people:rekey_status"))
    async def identity_key_status(self, info: Info) -> IdentityKeyStatus:
        return IdentityKeyStatus.from_service(
            await info.context.services.call("identity", "GET", "/people/rekey"))


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Import people into the monitored-person directory, "
                                     "upserted by email/UPN (Admins; audited with counts).",
                         metadata=operation("people:import"))
    async def import_people(
        self, info: Info, input: Annotated[ImportPeopleInput, INPUT],
    ) -> ImportPeoplePayload:
        async def work() -> ImportPeoplePayload:
            try:
                data = await info.context.services.call(
                    "identity", "POST", "/people/import", json=[_row(r) for r in input.rows],
                    params={"dry_run": str(input.dry_run).lower(),
                            "on_error": input.on_error.value})
            except ServiceError as exc:
                raise _indexed(exc) from exc
            return ImportPeoplePayload(summary=PeopleImportSummary(
                dry_run=data["dry_run"], applied=data["applied"], rows=data["rows"],
                created=data["created"], updated=data["updated"],
                unchanged=data["unchanged"], rejected=data["rejected"],
                rejected_rows=[ImportRowError(index=e["index"], field=e["field"],
                                              reason=e["reason"]) for e in data["errors"]],
                rejected_rows_truncated=bool(data.get("errors_truncated")),
                duration_ms=int(data.get("duration_ms") or 0)))

        return await attempt(ImportPeoplePayload, work)

    @strawberry.mutation(description="Erase a person: their identity and its key are destroyed "
                                     "for good; their records stay under the alias (Admins; "
                                     "audited). Erasing twice is a ConflictError.",
                         metadata=operation("people:erase"))
    async def erase_person(
        self, info: Info, input: Annotated[ErasePersonInput, INPUT],
    ) -> ErasePersonPayload:
        async def work() -> ErasePersonPayload:
            key = decode_id(input.person_id, "Person", "personId")
            data = await info.context.services.call(
                "identity", "DELETE", f"/people/{uuid_segment(key, 'personId')}",
                json={"reason": input.reason})
            forget(info.context.loaders.person, key)
            person = Person.pseudonymous(str(data["subject_id"]), data["alias"])
            person.erased, person.erased_at = True, parse_datetime(data["erased_at"])
            return ErasePersonPayload(person=person)

        return await attempt(ErasePersonPayload, work)

    @strawberry.mutation(description="After an identity-key rotation, re-encrypt the directory "
                                     "under the current key, in the background (Admins; "
                                     "audited). Takes no input: there is nothing to choose; "
                                     "a pass already running is reported, not doubled.",
                         metadata=operation("people:rekey"))
    async def start_rekey(self, info: Info) -> StartRekeyPayload:
        async def work() -> StartRekeyPayload:
            data = await info.context.services.call("identity", "POST", "/people/rekey")
            return StartRekeyPayload(status=IdentityKeyStatus.from_service(data))

        return await attempt(StartRekeyPayload, work)
