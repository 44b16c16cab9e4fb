"""The typed context of one GraphQL request: the caller's `Services` and its DataLoaders.

Loaders live and cache only for one request, so one caller never sees another's answers
(identity reveals a person only to the account holding the grant)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import strawberry
from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from gateway.clients import Services
from gateway.errors import ServiceError, bad_input
from services.kit.batch import MAX_BATCH_IDS

BatchRead = Callable[[list[str]], Awaitable[dict[str, Any]]]


def _key(value: str) -> Hashable:
    """Ids compare as UUIDs when they are ones, so case and spelling don't split the cache."""
    if isinstance(value, str) and len(value) == 36 and value.islower():  # as services spell it
        return value
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def _batched(read: BatchRead, *, id_field: str, arg: str, service: str, code: str,
             detail: str) -> Callable[[list[str]], Awaitable[list[Any]]]:
    """A batch function over a service's batch read: one call per loader batch (the loader's
    `max_batch_size` is the services' cap). Each key gets its item, or its own error: 404 for
    an id the service lists as missing (what its single read answers), BAD_USER_INPUT for one
    that is not an id. A failed call fails every key of the batch (the loader sets it)."""

    async def load(keys: list[str]) -> list[Any]:
        ids = [str(_key(k)) for k in keys]
        valid = [i for i in dict.fromkeys(ids) if _is_uuid(i)]
        found: dict[Hashable, Any] = {}
        if valid:
            answer = await read(valid)
            found = {_key(item[id_field]): item for item in answer["items"]}
        return [found[i] if i in found
                else ServiceError(404, code, detail, service=service) if _is_uuid(i)
                else bad_input(f"{arg} is not a valid id", arg)
                for i in ids]

    return load


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class Loaders:
    """Per-request DataLoaders over the services' batch reads: a page of alerts costs one
    call per service and field, not one per alert."""

    def __init__(self, services: Services) -> None:
        self.person: DataLoader[str, dict[str, Any]] = DataLoader(
            _batched(services.people_batch, id_field="subject_id", arg="subjectId",
                     service="identity", code="person_not_found", detail="no such person"),
            cache_key_fn=_key, max_batch_size=MAX_BATCH_IDS)
        self.case: DataLoader[str, dict[str, Any]] = DataLoader(
            _batched(services.cases_batch, id_field="id", arg="id", service="cases",
                     code="case_not_found", detail="no such case"),
            cache_key_fn=_key, max_batch_size=MAX_BATCH_IDS)
        self.policy: DataLoader[str, dict[str, Any]] = DataLoader(
            _batched(services.policies_batch, id_field="id", arg="id", service="scoring",
                     code="policy_not_found", detail="no such policy"),
            cache_key_fn=_key, max_batch_size=MAX_BATCH_IDS)


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
