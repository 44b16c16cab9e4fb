"""Connector uploads as recorded runs. A run row is written (and committed) before the upload
is read, progress is written beside it as the upload streams in, and the final counts are
written in the same transaction as the events, so a run that says `succeeded` is exactly what
was stored; a run left `running` by a dead process reads as `interrupted`."""

from __future__ import annotations

import codecs
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import text
from starlette.requests import ClientDisconnect

from services.ingest.connectors import hr
from services.ingest.connectors import repository as repo
from services.ingest.connectors.parsing import Outcome, RecordError
from services.ingest.connectors.schemas import Connector, RunPage, RunRead, RunStatus
from services.ingest.events.schemas import RecordProblem
from services.ingest.events.service import Acceptor, BatchRejected, OnError, Tally
from services.ingest.events.uploads import StreamParser, invalid_body, read_json, stream_into
from services.ingest.models import ConnectorRun
from services.ingest.runtime import IngestRuntime
from services.kit.db import UnitOfWork
from services.kit.errors import InvalidInput, InvalidParam, NotFound, OpenIRMError
from services.kit.pagination import decode_keyset, encode_keyset

log = logging.getLogger("openirm.ingest.connectors")
STALE_AFTER = timedelta(minutes=2)
PROGRESS_EVERY_S = 0.5
MAX_JSON_RECORDS = 50_000

Feeder = Callable[[Acceptor, Callable[[int], Awaitable[None]]], Awaitable[None]]


class Progress:
    """Writes the run's progress in its own short transactions, at most twice a second."""

    def __init__(self, rt: IngestRuntime, run_id: uuid.UUID) -> None:
        self.rt, self.run_id = rt, run_id
        self.received = 0
        self.records = 0
        self._last = 0.0

    async def on_bytes(self, received: int) -> None:
        self.received = received
        await self._write()

    async def on_tally(self, tally: Tally) -> None:
        self.records = tally.records
        await self._write()

    async def _write(self) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY_S:
            return
        self._last = now
        async with self.rt.bookkeeping.unit_of_work() as uow:
            await repo.update_run(uow.session, self.run_id, bytes_received=self.received,
                                  records=self.records)


def _clean(text: str) -> str:
    """Source text as PostgreSQL can store it (lone surrogates become `?`)."""
    return text.encode("utf-8", "replace").decode()


def _counts(tally: Tally) -> dict[str, Any]:
    return {"records": tally.records, "accepted": tally.accepted,
            "duplicates": tally.duplicates, "rejected": tally.rejected,
            "unmapped": tally.unmapped,
            "unmapped_operations": {_clean(op): n for op, n
                                    in tally.unmapped_operations.most_common(100)},
            "errors": [{"index": p.index, "field": _clean(p.field), "reason": _clean(p.reason)}
                       for p in tally.problems()]}


async def run_upload(rt: IngestRuntime, uow: UnitOfWork, principal: str, connector: Connector,
                     options: dict[str, Any], bytes_total: int | None, on_error: OnError,
                     feed: Feeder) -> RunRead:
    async with rt.bookkeeping.unit_of_work() as start:
        run = await repo.add(start.session, ConnectorRun(
            connector=connector.value, principal=principal, status=RunStatus.RUNNING.value,
            options={**options, "on_error": on_error.value}, bytes_total=bytes_total))
    progress = Progress(rt, run.id)
    acceptor = Acceptor(rt, uow, on_error, run_id=run.id, progress=progress.on_tally)
    try:
        await feed(acceptor, progress.on_bytes)
        tally = await acceptor.finish()
        values = {**_counts(tally), "status": RunStatus.SUCCEEDED.value,
                  "bytes_received": progress.received, "finished_at": datetime.now(UTC)}
        await repo.update_run(uow.session, run.id, **values)
    except BatchRejected as exc:
        await _end_outside(rt, principal, run.id, RunStatus.REJECTED, exc.tally,
                           progress.received)
        exc.message += f" (connector run {run.id})"
        raise
    except BaseException as exc:
        tally = acceptor.tally
        reason = ("the upload was cut off before its end" if isinstance(exc, ClientDisconnect)
                  else getattr(exc, "message", None) or type(exc).__name__)
        tally.errors.insert(0, RecordError(-1, "(upload)", reason))
        refused = isinstance(exc, OpenIRMError) and exc.status < 500
        await _end_outside(rt, principal, run.id,
                           RunStatus.REJECTED if refused else RunStatus.FAILED, tally,
                           progress.received)
        raise
    await rt.audit.record(uow.session, actor=principal, action="connector.run",
                          target=f"connector_run:{run.id}",
                          detail={"connector": connector.value, **_summary(tally)})
    fresh = ConnectorRun.model_validate({**run.model_dump(), **values,
                                         "updated_at": datetime.now(UTC)})
    return _read(fresh)


def _summary(tally: Tally) -> dict[str, int]:
    return {"accepted": tally.accepted, "duplicates": tally.duplicates,
            "rejected": tally.rejected, "unmapped": tally.unmapped}


async def _end_outside(rt: IngestRuntime, principal: str, run_id: uuid.UUID,
                       status: RunStatus, tally: Tally, received: int) -> None:
    """Record how a run ended when its own transaction is being rolled back. Best effort,
    with a lock timeout: should the upload's transaction hold the run's row, waiting for it
    would wait forever; the run then reads as `interrupted` two minutes later."""
    try:
        async with rt.bookkeeping.unit_of_work() as uow:
            await uow.session.execute(text("SET LOCAL lock_timeout = '2s'"))
            values = {**_counts(tally), "accepted": 0, "duplicates": 0,
                      "status": status.value, "bytes_received": received,
                      "finished_at": datetime.now(UTC)}
            await repo.update_run(uow.session, run_id, **values)
            await rt.audit.record(uow.session, actor=principal, action="connector.run",
                                  target=f"connector_run:{run_id}", outcome=status.value,
                                  detail={**_summary(tally), "accepted": 0})
    except Exception:
        log.exception("could not record the end of connector run %s", run_id)


# --- the three connectors ------------------------------------------------------------------

async def _json_records(request: Request, what: str) -> list[Any]:
    data = await read_json(request)
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if not isinstance(data, list):
        raise invalid_body("(body)", f"must be a JSON array of {what}")
    if not data:
        raise invalid_body("(body)", "is empty")
    if len(data) > MAX_JSON_RECORDS:
        raise invalid_body("(body)", f"at most {MAX_JSON_RECORDS} records per JSON upload; "
                           "split it or send NDJSON")
    return data


def json_feeder(request: Request, mapper: Callable[[int, Any], Outcome], what: str) -> Feeder:
    async def feed(acceptor: Acceptor, on_bytes: Callable[[int], Awaitable[None]]) -> None:
        records = await _json_records(request, what)
        await on_bytes(int(request.headers.get("content-length") or 0))
        for index, record in enumerate(records):
            await acceptor.add(mapper(index, record))

    return feed


def stream_feeder(request: Request, parser: StreamParser) -> Feeder:
    """An NDJSON or CSV upload, parsed as it streams in."""

    async def feed(acceptor: Acceptor, on_bytes: Callable[[int], Awaitable[None]]) -> None:
        await stream_into(request, acceptor, parser, on_bytes)

    return feed


class CsvBytes:
    """Bytes to the HR parser's text; a header the parser cannot use refuses the upload."""

    def __init__(self, parser: hr.HrCsvParser) -> None:
        self.parser = parser
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.offset = 0

    def feed(self, chunk: bytes) -> list[Outcome]:
        try:
            text = self.decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise invalid_body("(body)", "is not UTF-8 text (near byte "
                               f"{self.offset + exc.start})") from None
        self.offset += len(chunk)
        return self._checked(self.parser.feed(text))

    def close(self) -> list[Outcome]:
        try:
            text = self.decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise invalid_body("(body)", "ends inside a UTF-8 character") from None
        return self._checked(self.parser.feed(text) + self.parser.close())

    def _checked(self, outcomes: list[Outcome]) -> list[Outcome]:
        error = self.parser.header_error
        if error is not None:
            raise InvalidInput(f"the CSV header cannot be used: {error.field}: {error.reason}",
                               code="invalid_header", extra={"invalid_params": [
                                   _param(error)]})
        return outcomes


def _param(error: RecordError) -> InvalidParam:
    return InvalidParam(field=error.field, index=None if error.index < 0 else error.index,
                        reason=error.reason)


# --- reading runs --------------------------------------------------------------------------

def _read(run: ConnectorRun) -> RunRead:
    status = RunStatus(run.status)
    assert run.updated_at is not None and run.started_at is not None
    if status is RunStatus.RUNNING and run.updated_at < datetime.now(UTC) - STALE_AFTER:
        status = RunStatus.INTERRUPTED
    progress = None
    if run.bytes_total:
        progress = min(1.0, round(run.bytes_received / run.bytes_total, 4))
    if status is RunStatus.SUCCEEDED:
        progress = 1.0
    return RunRead(id=run.id, connector=Connector(run.connector), principal=run.principal,
                   status=status, options=run.options, started_at=run.started_at,
                   updated_at=run.updated_at, finished_at=run.finished_at,
                   bytes_total=run.bytes_total, bytes_received=run.bytes_received,
                   progress=progress, records=run.records, accepted=run.accepted,
                   duplicates=run.duplicates, rejected=run.rejected, unmapped=run.unmapped,
                   unmapped_operations=run.unmapped_operations,
                   errors=[RecordProblem.model_validate(e) for e in run.errors])


async def get_run(uow: UnitOfWork, run_id: uuid.UUID) -> RunRead:
    run = await repo.get(uow.session, run_id)
    if run is None:
        raise NotFound("no such connector run", code="run_not_found")
    return _read(run)


async def list_runs(uow: UnitOfWork, connector: Connector | None, status: RunStatus | None,
                    cursor: str | None, limit: int) -> RunPage:
    rows = await repo.page(uow.session, connector.value if connector else None,
                           status.value if status else None,
                           datetime.now(UTC) - STALE_AFTER, decode_keyset(cursor), limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (encode_keyset(rows[-1].started_at, rows[-1].id)  # type: ignore[arg-type]
                   if more else None)
    return RunPage(items=[_read(r) for r in rows], next_cursor=next_cursor)
