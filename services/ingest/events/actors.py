"""Actor pseudonymisation through identity, batched per chunk and cached for a few minutes so a
steady stream from the same people costs identity almost nothing."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.kit.clients import ServiceClient
from services.kit.scopes import PEOPLE_VERSION_KEY


class ActorCache:
    """Forgets everything when the directory's version moves (identity bumps it after every
    change, an erasure included), so an erased person's email seen again is never filed under
    the old subject; without Redis, entries simply expire."""

    def __init__(self, identity: ServiceClient, ttl_s: float, size: int = 200_000,
                 redis: Redis | None = None) -> None:
        self.identity, self.ttl_s, self.size, self.redis = identity, ttl_s, size, redis
        self._entries: OrderedDict[str, tuple[float, uuid.UUID, str]] = OrderedDict()
        self._version: bytes | None = None

    async def _forget_if_directory_changed(self) -> None:
        if self.redis is None or not self._entries:
            return
        try:
            version = await self.redis.get(PEOPLE_VERSION_KEY)
        except RedisError:
            return
        if version != self._version:
            self._entries.clear()
            self._version = version

    async def resolve(self, identifiers: set[str]) -> dict[str, tuple[uuid.UUID, str]]:
        """(subject id, alias) for each normalised identifier; unknown people are created by
        identity (an event is never refused for an actor seen the first time)."""
        await self._forget_if_directory_changed()
        now = time.monotonic()
        found: dict[str, tuple[uuid.UUID, str]] = {}
        missing = []
        for ident in identifiers:
            entry = self._entries.get(ident)
            if entry and entry[0] > now:
                found[ident] = (entry[1], entry[2])
            else:
                missing.append(ident)
        if missing:
            resolved = await self.identity.request("POST", "/people/resolve",
                                                   json={"identifiers": sorted(missing)})
            for item in resolved["items"]:
                ref = (uuid.UUID(item["subject_id"]), item["alias"])
                found[item["identifier"]] = ref
                if self.ttl_s > 0:
                    self._entries[item["identifier"]] = (now + self.ttl_s, *ref)
                    self._entries.move_to_end(item["identifier"])
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return found
