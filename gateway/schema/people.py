"""Monitored people: pseudonymous by default, identity only under a reveal grant."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gateway.context import Info
from gateway.errors import ServiceError


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

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Person:
        identity = data.get("identity") or {}
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

