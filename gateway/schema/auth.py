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


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Exchange a staff account's email and password for an "
                                     "access token. Needs no token.")
    async def sign_in(
        self, info: Info,
        email: Annotated[str, strawberry.argument(description="Sign-in email.")],
        password: Annotated[str, strawberry.argument(description="Password.")],
    ) -> SignInPayload:
        data = await info.context.services.sign_in(email, password)
        return SignInPayload(access_token=data["access_token"],
                             token_type=data.get("token_type", "bearer"),
                             expires_in=int(data["expires_in"]))
