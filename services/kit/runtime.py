"""What a running service holds: settings, database, queue, Redis, token codec, authorizer,
audit writer and one long-lived HTTP client. Built once per process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from redis.asyncio import Redis

from services.kit.audit import AuditWriter
from services.kit.authz import AccountLoader, Authorizer, RuleLoader
from services.kit.clients import ServiceClient, ServiceTokens
from services.kit.db import Database
from services.kit.jobs import JobQueue
from services.kit.live import LivePublisher
from services.kit.scopes import AccessScope, ScopeLoader, ScopeResolver
from services.kit.settings import KitSettings
from services.kit.tokens import OidcIssuer, TokenCodec, TokenVerifier


class Runtime:
    def __init__(self, name: str, settings: KitSettings,
                 load_assignments: RuleLoader | None = None,
                 load_accounts: AccountLoader | None = None,
                 load_scope: ScopeLoader | None = None) -> None:
        self.name, self.settings = name, settings
        self.db = Database(settings.database_url, application_name=f"openirm-{name}")
        self.queue = JobQueue(settings.redis_url)
        self.redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2,
                                    socket_timeout=2)
        self.live = LivePublisher(self.redis)
        self.db.publisher = self.live
        self.codec = TokenCodec(settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience,
                                settings.access_token_ttl_s,
                                previous=settings.jwt_previous_secrets)
        self.http = httpx.AsyncClient(timeout=settings.http_timeout_s,
                                      limits=httpx.Limits(max_connections=100))
        self.service_tokens = ServiceTokens(self.http, settings.identity_url,
                                            settings.client_id, settings.client_secret)
        self.identity, self.ingest, self.scoring, self.cases = (
            ServiceClient(name, self.http, getattr(settings, f"{name}_url"), self.service_tokens)
            for name in ("identity", "ingest", "scoring", "cases"))
        oidc = settings.oidc_issuer
        self.authorizer = Authorizer(
            load_assignments or self._assignments_from_identity, self.redis,
            load_accounts=(load_accounts or self._accounts_from_identity) if oidc else None)
        self.verifier = TokenVerifier(self.codec)
        if oidc:
            assert settings.oidc_audience is not None
            self.verifier = TokenVerifier(self.codec, OidcIssuer(
                oidc, settings.oidc_audience, http=self.http, claim=settings.oidc_claim,
                jwks_url=str(settings.oidc_jwks_url) if settings.oidc_jwks_url else None,
                algorithms=settings.oidc_algorithms,
                min_refetch_s=settings.oidc_jwks_min_refetch_s,
                max_age_s=settings.oidc_jwks_max_age_s, leeway_s=settings.oidc_leeway_s,
                timeout_s=min(5.0, settings.http_timeout_s)), self.authorizer.account_for)
        self.scopes = ScopeResolver(load_scope or self._scope_from_identity, self.redis)
        self.audit = AuditWriter(name)
        self.on_close: list[Callable[[], Awaitable[None]]] = []

    async def _assignments_from_identity(self) -> list[tuple[str, str]]:
        rows = await self.identity.request("GET", "/roles/assignments")
        return [(row["subject"], row["role"]) for row in rows]

    async def _scope_from_identity(self, subject: str) -> AccessScope:
        return AccessScope.from_wire(await self.identity.request(
            "GET", "/access/scope", params={"subject": subject}))

    async def _accounts_from_identity(self) -> dict[str, str]:
        rows = await self.identity.request("GET", "/roles/accounts")
        return {row["email"]: row["subject"] for row in rows}

    async def close(self) -> None:
        for callback in self.on_close:
            await callback()
        await self.http.aclose()
        await self.queue.close()
        await self.redis.aclose()
        await self.db.dispose()
