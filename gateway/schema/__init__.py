"""The GraphQL schema: one module per domain, merged into Query and Mutation here."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from gateway.errors import ErrorCodes, GatewaySchema
from gateway.schema.accounts import AccountMutation, AccountQuery
from gateway.schema.alerts import AlertMutation, AlertQuery
from gateway.schema.audit import AuditQuery
from gateway.schema.auth import AuthMutation
from gateway.schema.cases import CaseMutation, CaseQuery
from gateway.schema.clients import ClientMutation, ClientQuery
from gateway.schema.people import PeopleMutation, PeopleQuery
from gateway.schema.policies import PolicyMutation, PolicyQuery
from gateway.schema.privacy import PrivacyMutation, PrivacyQuery
from gateway.schema.reveals import RevealMutation, RevealQuery

MAX_DEPTH = 10
MAX_ALIASES = 30


@strawberry.type(description="Reads. Every field is checked by the service that owns the data, "
                             "with the caller's token.")
class Query(AccountQuery, AlertQuery, CaseQuery, PeopleQuery, PolicyQuery, AuditQuery,
            RevealQuery, PrivacyQuery, ClientQuery):
    pass


@strawberry.type(description="Writes. Every one is checked and audited by the service that "
                             "owns the data.")
class Mutation(AuthMutation, AlertMutation, CaseMutation, PeopleMutation, PolicyMutation,
               AccountMutation, RevealMutation, PrivacyMutation, ClientMutation):
    pass


schema = GatewaySchema(
    query=Query,
    mutation=Mutation,
    extensions=[QueryDepthLimiter(max_depth=MAX_DEPTH),
                MaxAliasesLimiter(max_alias_count=MAX_ALIASES), ErrorCodes],
)


def sdl() -> str:
    """The schema in SDL, for `contracts/schema.graphql`."""
    return schema.as_str()


__all__ = ["Mutation", "Query", "schema", "sdl"]
