"""Actor pseudonymisation through identity, batched per chunk and cached for a few minutes so a
steady stream from the same people costs identity almost nothing."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict

from services.kit.clients import ServiceClient


class ActorCache:
    def __init__(self, identity: ServiceClient, ttl_s: float, size: int = 200_000) -> None:
        self.identity, self.ttl_s, self.size = identity, ttl_s, size
        self._entries: OrderedDict[str, tuple[float, uuid.UUID, str]] = OrderedDict()

    async def resolve(self, identifiers: set[str]) -> dict[str, tuple[uuid.UUID, str]]:
        """(subject id, alias) for each normalised identifier; unknown people are created by
        identity (an event is never refused for an actor seen the first time)."""
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
