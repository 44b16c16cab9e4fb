"""What a running service holds: settings, database, queue, Redis, token codec, authorizer,
audit writer and one long-lived HTTP client. Built once per process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from redis.asyncio import Redis

from services.kit.audit import AuditWriter
from services.kit.authz import Authorizer, RuleLoader
from services.kit.clients import ServiceClient, ServiceTokens
from services.kit.db import Database
from services.kit.jobs import JobQueue
from services.kit.settings import KitSettings
from services.kit.tokens import TokenCodec


class Runtime:
    def __init__(self, name: str, settings: KitSettings,
                 load_assignments: RuleLoader | None = None) -> None:
        self.name, self.settings = name, settings
        self.db = Database(settings.database_url, application_name=f"openirm-{name}")
        self.queue = JobQueue(settings.redis_url)
        self.redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2,
                                    socket_timeout=2)
        self.codec = TokenCodec(settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience,
                                settings.access_token_ttl_s,
                                previous=settings.jwt_previous_secrets)
        self.service_tokens = ServiceTokens(self.codec, name)
        self.http = httpx.AsyncClient(timeout=settings.http_timeout_s,
                                      limits=httpx.Limits(max_connections=100))
        self.identity, self.ingest, self.scoring, self.cases = (
            ServiceClient(name, self.http, getattr(settings, f"{name}_url"), self.service_tokens)
            for name in ("identity", "ingest", "scoring", "cases"))
        self.authorizer = Authorizer(load_assignments or self._assignments_from_identity,
                                     self.redis)
        self.audit = AuditWriter(name)
        self.on_close: list[Callable[[], Awaitable[None]]] = []

    async def _assignments_from_identity(self) -> list[tuple[str, str]]:
        rows = await self.identity.request("GET", "/roles/assignments")
        return [(row["subject"], row["role"]) for row in rows]

    async def close(self) -> None:
        for callback in self.on_close:
            await callback()
        await self.http.aclose()
        await self.queue.close()
        await self.redis.aclose()
        await self.db.dispose()
