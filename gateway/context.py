"""The typed context of one GraphQL request: the caller's `Services` and its DataLoaders.

Loaders live and cache only for one request, so one caller never sees another's answers
(identity reveals a person only to the account holding the grant)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import strawberry
from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from gateway.clients import Services

Fetch = Callable[[str], Awaitable[Any]]


def _key(value: str) -> Hashable:
    """Ids compare as UUIDs when they are ones, so case and spelling don't split the cache."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def _one_by_one(fetch: Fetch) -> Callable[[list[str]], Awaitable[list[Any]]]:
    """A batch function for services that have no batch endpoint: one call per distinct key,
    all at once; a failed key gets its exception, the others their value."""

    async def load(keys: list[str]) -> list[Any]:
        results = await asyncio.gather(*(fetch(k) for k in keys), return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, Exception):
                raise r  # cancellation and the like are not a per-key result
        return list(results)

    return load


class Loaders:
    """Per-request DataLoaders over the services' single-item reads."""

    def __init__(self, services: Services) -> None:
        self.person: DataLoader[str, dict[str, Any]] = DataLoader(
            _one_by_one(services.person_get), cache_key_fn=_key)
        self.case: DataLoader[str, dict[str, Any]] = DataLoader(
            _one_by_one(services.case_get), cache_key_fn=_key)
        self.policy: DataLoader[str, dict[str, Any]] = DataLoader(
            _one_by_one(services.policy_get), cache_key_fn=_key)


def forget(loader: DataLoader[str, Any], key: str) -> None:
    """Drop a cached answer a mutation has made stale (strawberry raises on a missing key)."""
    try:
        loader.clear(key)
    except KeyError:
        pass


class GatewayContext(BaseContext):
    """What every resolver gets in `info.context`."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.loaders = Loaders(services)


Info = strawberry.Info[GatewayContext, None]


async def get_context(connection: HTTPConnection) -> GatewayContext:
    """FastAPI dependency for `GraphQLRouter(context_getter=...)`: the caller's token is
    forwarded as is; the services verify it."""
    app = connection.app
    services = Services(app.state.http, app.state.settings,
                        connection.headers.get("authorization"))
    return GatewayContext(services)
