"""Mutation results: every mutation takes one `input` and returns a `…Payload` whose `errors`
list holds the domain errors a client can switch on (`__typename`), with the result fields
null when there are errors. Only failures that are not about the request itself (no or a
bad token, a service down, a bug) stay top-level GraphQL errors with an `extensions.code`.

    mutation { dismissAlert(input: {...}) {
        alert { id status }
        errors { __typename ... on DomainError { message code }
                 ... on ValidationError { fields { field reason } }
                 ... on ConflictError { currentStatus } } } }
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import strawberry

from gateway.errors import ServiceError


@strawberry.interface(description="What every domain error of a mutation has.")
class DomainError:
    message: str = strawberry.field(description="What went wrong, for a person to read.")
    code: str = strawberry.field(description="The owning service's machine code, e.g. "
                                             "`alert_not_triageable`, `not_found`.")


@strawberry.type(description="One argument or input field that was refused.")
class FieldError:
    field: str = strawberry.field(description="The input field, as the service names it "
                                              "(e.g. `case_id`, `body.title`).")
    reason: str = strawberry.field(description="Why it was refused.")


@strawberry.type(description="The input was refused (HTTP 400, 413, 415 or 422 behind it).")
class ValidationError(DomainError):
    fields: list[FieldError] = strawberry.field(
        default_factory=list, description="The fields at fault, when the service named them.")


@strawberry.type(description="Something the input points at does not exist, or is not "
                             "visible to the caller (the two are not told apart).")
class NotFoundError(DomainError):
    pass


@strawberry.type(description="The object is not in a state that allows this, e.g. an alert "
                             "already triaged or a concurrent change won.")
class ConflictError(DomainError):
    current_status: str | None = strawberry.field(
        default=None, description="The object's status now, when the service says.")


@strawberry.type(description="The caller's role or scope does not allow this.")
class ForbiddenError(DomainError):
    pass


MutationError = Annotated[
    ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("MutationError", description="A domain error of a mutation.")]


@strawberry.type(description="What every mutation payload has.")
class Payload:
    errors: list[MutationError] = strawberry.field(
        default_factory=list, description="Why the mutation did nothing; empty on success.")


P = TypeVar("P", bound=Payload)


def domain_error(exc: ServiceError) -> ValidationError | NotFoundError | ConflictError | \
        ForbiddenError | None:
    """The typed error for a service's refusal; None for what is not the caller's doing
    (401, 5xx and the like stay top-level errors)."""
    if exc.status in (400, 413, 415, 422):
        fields = [FieldError(field=str(p.get("field") or p.get("name") or ""),
                             reason=str(p.get("reason") or p.get("detail") or ""))
                  for p in exc.invalid_params or [] if isinstance(p, dict)]
        return ValidationError(message=exc.detail, code=exc.code, fields=fields)
    if exc.status == 404:
        return NotFoundError(message=exc.detail, code=exc.code)
    if exc.status == 409:
        current = exc.body.get("current_status")
        return ConflictError(message=exc.detail, code=exc.code,
                             current_status=str(current) if current is not None else None)
    if exc.status == 403:
        return ForbiddenError(message=exc.detail, code=exc.code)
    return None


async def attempt(payload: type[P], action: Callable[[], Awaitable[P]]) -> P:
    """Run a mutation's work; a domain refusal becomes `payload(errors=[...])`."""
    try:
        return await action()
    except ServiceError as exc:
        error = domain_error(exc)
        if error is None:
            raise
        return payload(errors=[error])

