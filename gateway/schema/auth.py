"""Signing in: email and password for a short-lived bearer token and a refresh token.

These three need no token. Like every mutation they take one input and return a payload
(a malformed input is a `ValidationError` in it), but wrong credentials and a used or expired
refresh token stay a top-level UNAUTHENTICATED error: a console treats a failed sign-in as
it treats any 401, and the service tells no more than that. A locked email (identity's 429
after repeated failures) is UNAUTHENTICATED too, with the service's `sign_in_locked` code and
its "try again in N s" message, rather than the INTERNAL a bare 429 would become."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from gateway.context import Info
from gateway.errors import ServiceError
from gateway.schema.common import INPUT, operation
from gateway.schema.payloads import Payload, attempt

UNAUTHENTICATED_NOTE = (" Wrong credentials are a top-level error with `extensions.code` "
                        "UNAUTHENTICATED, not a payload error.")


async def _unauthenticated_when_locked(info: Info, path: str, body: dict[str, str]
                                       ) -> dict[str, Any]:
    """The call without a token; a lockout (429) becomes a 401 keeping the service's code and
    message, so a console shows "try again in N s" instead of an internal error."""
    try:
        return await info.context.services.call("identity", "POST", path, json=body,
                                                forward_auth=False)
    except ServiceError as exc:
        if exc.status != 429:
            raise
        raise ServiceError(401, exc.code, exc.detail, service=exc.service,
                           body=exc.body) from exc


@strawberry.type(description="A bearer token and the session's refresh token; send the "
                             "token as `Authorization: Bearer <accessToken>`.")
class Session:
    access_token: str = strawberry.field(description="The JWT.")
    token_type: str = strawberry.field(description="Always `bearer`.")
    expires_in: int = strawberry.field(description="Seconds until it expires.")
    refresh_token: str | None = strawberry.field(description=(
        "Exchange with `refreshSession` for a new pair; each one works once, and presenting a "
        "used one ends the session."))
    refresh_expires_in: int | None = strawberry.field(
        description="Seconds the session can be refreshed for.")

    @classmethod
    def from_service(cls, data: dict[str, Any]) -> Session:
        return cls(access_token=data["access_token"],
                   token_type=data.get("token_type", "bearer"),
                   expires_in=int(data["expires_in"]),
                   refresh_token=data.get("refresh_token"),
                   refresh_expires_in=data.get("refresh_expires_in"))


@strawberry.input(description="A staff account's credentials.")
class SignInInput:
    email: str = strawberry.field(description="Sign-in email.")
    password: str = strawberry.field(description="Password.")


@strawberry.type(description="The result of signIn.")
class SignInPayload(Payload):
    session: Session | None = strawberry.field(default=None,
                                               description="The new session's tokens.")


@strawberry.input(description="A session's refresh token.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(description="From signIn or the last refresh.")


@strawberry.type(description="The result of refreshSession.")
class RefreshSessionPayload(Payload):
    session: Session | None = strawberry.field(
        default=None, description="A new access token and a new refresh token.")


@strawberry.input(description="The session to end.")
class SignOutInput:
    refresh_token: str = strawberry.field(description="The session's refresh token.")


@strawberry.type(description="The result of signOut.")
class SignOutPayload(Payload):
    signed_out: bool = strawberry.field(default=False,
                                        description="true once the session is ended.")


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Exchange a staff account's email and password for an "
                                     "access token and a refresh token. Needs no token. "
                                     "After repeated failures the email is locked for a "
                                     "while (UNAUTHENTICATED, `extensions.serviceCode` "
                                     "sign_in_locked)." + UNAUTHENTICATED_NOTE,
                         metadata=operation(None))
    async def sign_in(self, info: Info, input: Annotated[SignInInput, INPUT]) -> SignInPayload:
        async def work() -> SignInPayload:
            data = await _unauthenticated_when_locked(
                info, "/auth/token", {"email": input.email, "password": input.password})
            return SignInPayload(session=Session.from_service(data))

        return await attempt(SignInPayload, work)

    @strawberry.mutation(description="Exchange a refresh token for a new access token and a "
                                     "new refresh token (one use each). Needs no token."
                                     + UNAUTHENTICATED_NOTE,
                         metadata=operation(None))
    async def refresh_session(
        self, info: Info, input: Annotated[RefreshSessionInput, INPUT],
    ) -> RefreshSessionPayload:
        async def work() -> RefreshSessionPayload:
            data = await _unauthenticated_when_locked(
                info, "/auth/refresh", {"refresh_token": input.refresh_token})
            return RefreshSessionPayload(session=Session.from_service(data))

        return await attempt(RefreshSessionPayload, work)

    @strawberry.mutation(description="End the session of this refresh token (its access "
                                     "tokens lapse on their own). Needs no token.",
                         metadata=operation(None))
    async def sign_out(
        self, info: Info, input: Annotated[SignOutInput, INPUT],
    ) -> SignOutPayload:
        async def work() -> SignOutPayload:
            await info.context.services.call(
                "identity", "POST", "/auth/sign-out",
                json={"refresh_token": input.refresh_token}, forward_auth=False)
            return SignOutPayload(signed_out=True)

        return await attempt(SignOutPayload, work)
