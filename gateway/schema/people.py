"""Monitored people: pseudonymous by default, identity only under a reveal grant."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from gateway.context import Info, forget
from gateway.errors import ServiceError
from gateway.schema.common import INPUT, parse_datetime


@strawberry.type(description="A monitored person as the caller may see them: a stable alias, "
                             "and their identity only while the caller holds a reveal grant.")
class Person:
    subject_id: strawberry.ID = strawberry.field(
        description="Pseudonymous subject id under which the person's activity is stored.")
    alias: str = strawberry.field(
        description="Stable display alias, e.g. AnonymousUser-7K2P.")
    revealed: bool = strawberry.field(
        description="Whether the caller holds an active reveal grant for this person.")
    email: str | None = strawberry.field(description="Email or UPN; null unless revealed.")
    display_name: str | None = strawberry.field(description="Name; null unless revealed.")
    department: str | None = strawberry.field(description="Department; null unless revealed.")
    job_title: str | None = strawberry.field(description="Job title; null unless revealed.")
    revealed_for_cases: list[strawberry.ID] = strawberry.field(
        description="Cases for which the caller's active reveal grants were given.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Person:
        identity = (data.get("identity") or {}) if data.get("revealed") else {}
        return cls(subject_id=strawberry.ID(str(data["subject_id"])), alias=data["alias"],
                   revealed=bool(data.get("revealed")), email=identity.get("email"),
                   display_name=identity.get("display_name"),
                   department=identity.get("department"), job_title=identity.get("job_title"),
                   revealed_for_cases=[strawberry.ID(str(c))
                                       for c in data.get("revealed_for_cases") or []])

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


@strawberry.input(description="Reveal a person's identity for a case.")
class RevealPersonInput:
    subject_id: strawberry.ID = strawberry.field(description="Whom to reveal.")
    case_id: strawberry.ID = strawberry.field(
        description="The active case concerning this person that the reveal is for.")
    justification: str = strawberry.field(
        description="Why the identity is needed (10 to 2000 characters); recorded in the "
                    "audit log.")


@strawberry.type(description="The reveal grant just given and the identity it discloses.")
class RevealPersonPayload:
    grant_id: strawberry.ID = strawberry.field(description="Id of the reveal grant.")
    case_id: strawberry.ID = strawberry.field(description="The case the grant is for.")
    expires_at: datetime = strawberry.field(description="When the grant lapses.")
    identity: PersonIdentity = strawberry.field(description="The revealed identity.")
    subject_id: strawberry.Private[str]

    @strawberry.field(description="The person as the caller now sees them.")
    async def person(self, info: Info) -> Person:
        return Person.from_service(await info.context.loaders.person.load(self.subject_id))


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


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Reveal a person's identity in the context of a case, with "
                                     "a justification (Investigators only; audited).")
    async def reveal_person(
        self, info: Info, input: Annotated[RevealPersonInput, INPUT],
    ) -> RevealPersonPayload:
        services = info.context.services
        grant = await services.person_reveal(input.subject_id, input.case_id,
                                             input.justification)
        forget(info.context.loaders.person, str(input.subject_id))
        identity = grant.get("identity") or {}
        return RevealPersonPayload(
            grant_id=strawberry.ID(str(grant["id"])), case_id=strawberry.ID(str(grant["case_id"])),
            expires_at=parse_datetime(grant["expires_at"]),
            identity=PersonIdentity(email=identity.get("email", ""),
                                    display_name=identity.get("display_name"),
                                    department=identity.get("department"),
                                    job_title=identity.get("job_title")),
            subject_id=str(grant["subject_id"]))
