"""Signing in: email and password for a short-lived bearer token."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.context import Info


@strawberry.type(description="A bearer token; send it as `Authorization: Bearer <token>`.")
class SignInPayload:
    access_token: str = strawberry.field(description="The JWT.")
    token_type: str = strawberry.field(description="Always `bearer`.")
    expires_in: int = strawberry.field(description="Seconds until it expires.")
    refresh_token: str | None = strawberry.field(description=(
        "Exchange with `refreshSession` for a new pair; each one works once, and presenting a "
        "used one ends the session."))
    refresh_expires_in: int | None = strawberry.field(
        description="Seconds the session can be refreshed for.")

    @classmethod
    def from_service(cls, data: dict) -> SignInPayload:
        return cls(access_token=data["access_token"],
                   token_type=data.get("token_type", "bearer"),
                   expires_in=int(data["expires_in"]),
                   refresh_token=data.get("refresh_token"),
                   refresh_expires_in=data.get("refresh_expires_in"))


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Exchange a staff account's email and password for an "
                                     "access token. Needs no token.")
    async def sign_in(
        self, info: Info,
        email: Annotated[str, strawberry.argument(description="Sign-in email.")],
        password: Annotated[str, strawberry.argument(description="Password.")],
    ) -> SignInPayload:
        return SignInPayload.from_service(await info.context.services.sign_in(email, password))

    @strawberry.mutation(description="Exchange a refresh token for a new access token and a new "
                                     "refresh token (one use each). Needs no token.")
    async def refresh_session(
        self, info: Info,
        refresh_token: Annotated[str, strawberry.argument(description="From signIn or the "
                                                                      "last refresh.")],
    ) -> SignInPayload:
        return SignInPayload.from_service(await info.context.services.refresh(refresh_token))

    @strawberry.mutation(description="End the session of this refresh token (its access "
                                     "tokens lapse on their own). Needs no token.")
    async def sign_out(
        self, info: Info,
        refresh_token: Annotated[str, strawberry.argument(description="The session's "
                                                                      "refresh token.")],
    ) -> bool:
        await info.context.services.sign_out(refresh_token)
        return True
