"""The ingest service: validates, pseudonymises and stores activity; wakes scoring; keeps the
event table's partitions; serves activity to timelines."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI

from services.ingest.activity.router import router as activity_router
from services.ingest.connectors.router import router as connectors_router
from services.ingest.events.router import router as events_router
from services.ingest.runtime import IngestRuntime
from services.ingest.settings import IngestSettings
from services.ingest.storage.router import router as storage_router
from services.kit.app import create_app
from services.kit.runtime import Runtime

log = logging.getLogger("openirm.ingest")


def build_runtime() -> IngestRuntime:
    return IngestRuntime(IngestSettings())


async def maintain(rt: IngestRuntime) -> None:
    """Partitions ahead of need and retention, at start and then every interval. Several
    replicas may run this at once: both steps are idempotent and serialised by a lock."""
    while True:
        try:
            await rt.partitions.ensure_window()
            await rt.partitions.apply_retention(rt.audit, "service:ingest")
        except Exception:
            log.exception("partition maintenance failed; retrying next interval")
        await asyncio.sleep(rt.settings.maintenance_interval_s)


def _start_maintenance(app: FastAPI, runtime: Runtime) -> None:
    assert isinstance(runtime, IngestRuntime)
    task = asyncio.get_running_loop().create_task(maintain(runtime))

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    runtime.on_close.append(stop)


def create() -> FastAPI:
    return create_app("ingest", "OpenIRM ingest", build_runtime, [events_router, connectors_router,
                       activity_router, storage_router],
                      "Receives activity (canonical events, Microsoft 365 audit records, HR "
                      "CSV, physical badging), pseudonymises actors and stores it idempotently "
                      "in monthly partitions; serves the committed-event feed to scoring and "
                      "activity timelines to cases.", setup=_start_maintenance,
                      streamed_paths=frozenset({"/events", "/connectors/m365/records",
                                                "/connectors/hr/csv"}))


app = create()
