"""The ingest process's runtime: the kit's, plus the actor cache, a few bookkeeping
connections and the partition map."""

from __future__ import annotations

from services.ingest.events.actors import ActorCache
from services.ingest.settings import IngestSettings
from services.ingest.storage.service import Partitions
from services.kit.db import Database
from services.kit.runtime import Runtime


class IngestRuntime(Runtime):
    settings: IngestSettings

    def __init__(self, settings: IngestSettings) -> None:
        super().__init__("ingest", settings)
        self.actors = ActorCache(self.identity, settings.actor_cache_ttl_s, redis=self.redis)
        # A few connections apart from the request pool, for what must not wait on (or be
        # starved by) uploads: connector run progress, run outcomes, partition DDL.
        self.bookkeeping = Database(settings.database_url, pool_size=3,
                                    application_name="openirm-ingest")
        self.partitions = Partitions(self.bookkeeping, settings.event_retention_days,
                                     settings.partitions_ahead_months)
        self.on_close.append(self.bookkeeping.dispose)
