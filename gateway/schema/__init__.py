"""The GraphQL schema: one module per domain, merged into Query and Mutation here; live
updates are the Subscription type of `subscriptions.py`."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from gateway.errors import ErrorCodes, GatewaySchema
from gateway.limits import CostLimiter
from gateway.schema.accounts import AccountMutation, AccountQuery
from gateway.schema.activity import ActivityQuery
from gateway.schema.alerts import AlertMutation, AlertQuery
from gateway.schema.audit import AuditQuery
from gateway.schema.auth import AuthMutation
from gateway.schema.cases import CaseMutation, CaseQuery
from gateway.schema.clients import ClientMutation, ClientQuery
from gateway.schema.connectors import ConnectorMutation, ConnectorQuery
from gateway.schema.node import NodeQuery
from gateway.schema.people import PeopleMutation, PeopleQuery
from gateway.schema.policies import PolicyMutation, PolicyQuery
from gateway.schema.privacy import PrivacyMutation, PrivacyQuery
from gateway.schema.replays import ReplayMutation, ReplayQuery
from gateway.schema.reports import ReportMutation, ReportQuery
from gateway.schema.reveals import RevealMutation, RevealQuery
from gateway.schema.scoring_admin import ScoringAdminMutation, ScoringAdminQuery
from gateway.schema.storage import StorageMutation, StorageQuery
from gateway.schema.subscriptions import Subscription
from gateway.schema.suppressions import SuppressionMutation, SuppressionQuery
from gateway.schema.triage import TriageMutation, TriageQuery
from gateway.schema.webhooks import WebhookMutation, WebhookQuery
from gateway.settings import GatewaySettings

QUERY_CACHE = 500
"""Distinct query documents whose parse and validation are kept (a console sends a few
dozen; an attacker's unique documents only evict each other)."""


@strawberry.type(description="Reads. Every field is checked by the service that owns the data, "
                             "with the caller's token.")
class Query(
    NodeQuery,
    AccountQuery,
    AlertQuery,
    CaseQuery,
    PeopleQuery,
    PolicyQuery,
    AuditQuery,
    RevealQuery,
    PrivacyQuery,
    ClientQuery,
    TriageQuery,
    SuppressionQuery,
    ActivityQuery,
    ReportQuery,
    WebhookQuery,
    ConnectorQuery,
    StorageQuery,
    ScoringAdminQuery,
    ReplayQuery,
):
    pass


@strawberry.type(description="Writes. Every one is checked and audited by the service that "
                             "owns the data.")
class Mutation(
    AuthMutation,
    AlertMutation,
    CaseMutation,
    PeopleMutation,
    PolicyMutation,
    AccountMutation,
    RevealMutation,
    PrivacyMutation,
    ClientMutation,
    TriageMutation,
    SuppressionMutation,
    ReportMutation,
    WebhookMutation,
    StorageMutation,
    ConnectorMutation,
    ScoringAdminMutation,
    ReplayMutation,
):
    pass


def build_schema(settings: GatewaySettings | None = None) -> GatewaySchema:
    """The schema with the request limits of these settings (they do not change the SDL)."""
    settings = settings or GatewaySettings()
    # Factories, not instances: each request gets its own extension objects. The depth and
    # alias rules are made once, so validation results can be cached per document.
    rules = [*QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
             *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules]
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(ParserCache, maxsize=QUERY_CACHE),
        partial(AddValidationRules, rules),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    extensions += [partial(ValidationCache, maxsize=QUERY_CACHE),
                   partial(CostLimiter, budget=settings.max_cost)]
    extensions.append(ErrorCodes)
    return GatewaySchema(query=Query, mutation=Mutation, subscription=Subscription,
                         extensions=extensions)


schema = build_schema()


def sdl() -> str:
    """The schema in SDL, for `contracts/schema.graphql`."""
    return schema.as_str()


__all__ = ["Mutation", "Query", "build_schema", "schema", "sdl"]
