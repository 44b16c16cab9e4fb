"""Accepting activity: every source's records go through one acceptor that checks the time
window, pseudonymises actors, stores new events idempotently in chunks inside the request's
transaction, and wakes scoring after commit."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic_core import to_json

from services.ingest.connectors.parsing import Outcome, Parsed, RecordError, Unmapped
from services.ingest.events import repository as repo
from services.ingest.events.catalogue import CATEGORY
from services.ingest.events.schemas import (
    BatchReceipt,
    EventBatch,
    RecordProblem,
    StoredEvent,
)
from services.ingest.models import Receipt
from services.ingest.storage.service import month_of
from services.kit.db import UnitOfWork
from services.kit.errors import InvalidInput, InvalidParam
from services.kit.feed import next_cursor
from services.kit.jobs import SCORING_QUEUE
from services.kit.runtime import Runtime

if TYPE_CHECKING:
    from services.ingest.runtime import IngestRuntime

CHUNK = 2000
MAX_ERRORS = 100
MAX_FUTURE = timedelta(days=366)
WAKE_WINDOW_S = 0.05


class OnError(StrEnum):
    """What one bad record does to an upload: `reject_all` (the default) stores nothing and
    answers 422 listing the bad records; `skip_invalid` stores the good ones and reports the
    bad ones in the answer (and in the connector run)."""

    REJECT_ALL = "reject_all"
    SKIP_INVALID = "skip_invalid"


@dataclass
class Tally:
    records: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    unmapped: int = 0
    unmapped_operations: Counter[str] = field(default_factory=Counter)
    errors: list[RecordError] = field(default_factory=list)

    def problems(self) -> list[RecordProblem]:
        return [RecordProblem(index=e.index, field=e.field, reason=e.reason)
                for e in self.errors]


class BatchRejected(InvalidInput):
    def __init__(self, tally: Tally) -> None:
        first = tally.errors[0]
        super().__init__(
            f"{tally.rejected} of {tally.records} records are invalid and nothing was stored; "
            f"first: item {first.index}, {first.field}: {first.reason}",
            code="invalid_input",
            extra={"invalid_params": [InvalidParam(field=e.field, index=e.index,
                                                   reason=e.reason) for e in tally.errors]})
        self.tally = tally


def derived_id(source: str, subject_id: uuid.UUID, key: tuple[str, ...]) -> str:
    """The id of an event whose source has none: its source, the pseudonymous subject and the
    record's identifying values, hashed (the person's email never enters an id)."""
    digest = hashlib.sha256(json.dumps([str(subject_id), *key]).encode()).hexdigest()
    return f"{source}:{digest[:40]}"


# Fields of a source record that name the actor (Microsoft 365's common schema and Exchange).
IDENTITY_KEYS = frozenset({"UserId", "UserKey", "MailboxOwnerUPN", "MailboxOwnerSid",
                           "MailboxOwnerMasterAccountSid", "LogonUserSid"})


def pseudonymise(record: Any, actor: str, subject: str) -> Any:
    """The source record with the actor's identity replaced by their subject id: the identity
    fields, and any string equal to the actor's email or UPN anywhere in it. (Content such as
    paths may still mention the person; only content roles see the record.)"""
    if isinstance(record, dict):
        return {k: subject if k in IDENTITY_KEYS else pseudonymise(v, actor, subject)
                for k, v in record.items()}
    if isinstance(record, list):
        return [pseudonymise(v, actor, subject) for v in record]
    if isinstance(record, str) and record.strip().lower() == actor:
        return subject
    return record


def _original_json(original: dict[str, Any] | None, actor: str, subject_id: uuid.UUID
                   ) -> str | None:
    """The source record as received (parsed by pydantic-core, so free of lone surrogates),
    pseudonymised; a number beyond a double, which JSON in PostgreSQL cannot hold, is kept
    as null."""
    if original is None:
        return None
    original = pseudonymise(original, actor, f"subject:{subject_id}")
    return to_json(original, inf_nan_mode="null").decode()


class Acceptor:
    """Feeds outcomes in as a parser produces them; `finish` ends the upload. With
    `reject_all`, inserting stops at the first bad record (the transaction will be rolled
    back) but parsing goes on so that the answer lists every bad record, up to MAX_ERRORS."""

    def __init__(self, rt: IngestRuntime, uow: UnitOfWork, on_error: OnError = OnError.REJECT_ALL,
                 *, run_id: uuid.UUID | None = None,
                 progress: Callable[[Tally], Awaitable[None]] | None = None) -> None:
        self.rt, self.uow, self.on_error, self.run_id = rt, uow, on_error, run_id
        self.progress = progress
        self.tally = Tally()
        self._pending: list[Parsed] = []
        self._inserted = False
        now = datetime.now(UTC)
        self._earliest = now - timedelta(days=rt.settings.event_retention_days)
        self._latest = now + MAX_FUTURE

    async def add_all(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            await self.add(outcome)

    async def add(self, outcome: Outcome) -> None:
        self.tally.records += 1
        if isinstance(outcome, Parsed):
            when = outcome.event.occurred_at
            if len(outcome.event.actor.strip().lower()) > 320:  # lower() can lengthen text
                outcome = RecordError(outcome.index, "actor", "longer than 320 characters")
            elif when < self._earliest:
                outcome = RecordError(outcome.index, "occurred_at", "older than the retention "
                                      f"window of {self.rt.settings.event_retention_days} days")
            elif when > self._latest:
                outcome = RecordError(outcome.index, "occurred_at",
                                      "more than a year in the future")
        if isinstance(outcome, RecordError):
            self.tally.rejected += 1
            if len(self.tally.errors) < MAX_ERRORS:
                self.tally.errors.append(outcome)
            return
        if isinstance(outcome, Unmapped):
            self.tally.unmapped += 1
            self.tally.unmapped_operations[outcome.operation[:100]] += 1
            return
        self._pending.append(outcome)
        if len(self._pending) >= CHUNK:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending or (self.on_error is OnError.REJECT_ALL and self.tally.rejected):
            return
        actors = {p.event.actor.strip().lower() for p in pending}
        refs = await self.rt.actors.resolve(actors)
        rows: dict[str, tuple[Any, ...]] = {}
        for p in pending:
            e = p.event
            actor = e.actor.strip().lower()
            subject_id, alias = refs[actor]
            event_id = (derived_id(e.source, subject_id, p.natural_key)
                        if p.natural_key is not None else e.id)
            if event_id in rows:
                continue  # the same event twice in one upload: stored once, counted duplicate
            rows[event_id] = (event_id, subject_id, alias, e.type.value,
                              CATEGORY[e.type].value, e.occurred_at, e.source,
                              to_json(e.attributes).decode(),
                              _original_json(p.original, actor, subject_id),
                              self.run_id)
        months = {month_of(r[5]) for r in rows.values()}
        if not self._inserted:
            # Before this transaction's first insert: partition DDL waits for the inserts
            # of open transactions, this one's included, so it must come first.
            months |= self.rt.partitions.window()
        await self.rt.partitions.ensure(months)
        # In id order: two overlapping uploads claim their keys in the same order and cannot
        # deadlock.
        accepted = await repo.insert_events(self.uow.session,
                                            [rows[k] for k in sorted(rows)])
        self._inserted = True
        self.tally.accepted += accepted
        self.tally.duplicates += len(pending) - accepted
        if self.progress is not None:
            await self.progress(self.tally)

    async def finish(self) -> Tally:
        await self.flush()
        if self.tally.rejected and self.on_error is OnError.REJECT_ALL:
            raise BatchRejected(self.tally)
        if self.tally.accepted:
            # One scoring pass per 50 ms however many uploads commit in it.
            self.uow.enqueue_after_commit(SCORING_QUEUE, "score.wake", coalesce_s=WAKE_WINDOW_S)
        return self.tally


async def accept(rt: IngestRuntime, uow: UnitOfWork, principal: str,
                 outcomes: list[Outcome], on_error: OnError) -> BatchReceipt:
    acceptor = Acceptor(rt, uow, on_error)
    await acceptor.add_all(outcomes)
    return await record_receipt(rt, uow, principal, await acceptor.finish())


async def accept_batch(rt: IngestRuntime, uow: UnitOfWork, principal: str, batch: EventBatch,
                       on_error: OnError) -> BatchReceipt:
    return await accept(rt, uow, principal,
                        [Parsed(i, e) for i, e in enumerate(batch.events)], on_error)


async def record_receipt(rt: Runtime, uow: UnitOfWork, principal: str, tally: Tally
                         ) -> BatchReceipt:
    receipt = Receipt(principal=principal, accepted=tally.accepted, duplicates=tally.duplicates)
    uow.session.add(receipt)
    await uow.session.flush()
    detail = {"accepted": tally.accepted, "duplicates": tally.duplicates}
    if tally.rejected:
        detail["rejected"] = tally.rejected
    await rt.audit.record(uow.session, actor=principal, action="events.ingest",
                          target=f"receipt:{receipt.id}", detail=detail)
    return BatchReceipt(receipt_id=receipt.id, accepted=tally.accepted,
                        duplicates=tally.duplicates, rejected=tally.rejected,
                        errors=tally.problems())


_FEED_FIELDS = tuple(StoredEvent.model_fields)


async def feed(uow: UnitOfWork, cursor: str | None, limit: int) -> bytes:
    """An EventFeedPage as JSON. The rows are trusted (ingest validated them on the way in),
    so they are serialised directly: the feed is the hottest read scoring makes."""
    rows = await repo.feed(uow.session, cursor, limit)
    items = [{k: r._mapping[k] for k in _FEED_FIELDS} for r in rows]
    return to_json({"items": items, "next_cursor": next_cursor(rows, cursor)})
