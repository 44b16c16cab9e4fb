"""Accepting activity: pseudonymise actors, store idempotently, wake scoring after commit."""

from __future__ import annotations

from services.ingest.events import repository as repo
from services.ingest.events.catalogue import CATEGORY
from services.ingest.events.schemas import BatchReceipt, EventBatch, EventFeedPage, StoredEvent
from services.ingest.models import Receipt
from services.kit.db import UnitOfWork
from services.kit.feed import next_cursor
from services.kit.jobs import SCORING_QUEUE
from services.kit.runtime import Runtime


async def accept(rt: Runtime, uow: UnitOfWork, principal: str, batch: EventBatch
                 ) -> BatchReceipt:
    # The same id twice in one batch counts once (and as a duplicate).
    unique = {e.id: e for e in batch.events}
    actors = sorted({e.actor.strip().lower() for e in unique.values()})
    resolved = await rt.identity.request("POST", "/people/resolve",
                                         json={"identifiers": actors})
    subjects = {item["identifier"]: item for item in resolved["items"]}
    rows = []
    for event in unique.values():
        ref = subjects[event.actor.strip().lower()]
        rows.append({"id": event.id, "subject_id": ref["subject_id"], "alias": ref["alias"],
                     "type": event.type.value, "category": CATEGORY[event.type].value,
                     "occurred_at": event.occurred_at, "source": event.source,
                     "attributes": event.attributes})
    # Insert in id order: two overlapping batches then take their locks in the same order
    # and cannot deadlock.
    rows.sort(key=lambda r: r["id"])
    accepted = await repo.insert_events(uow.session, rows)
    receipt = Receipt(principal=principal, accepted=accepted,
                      duplicates=len(batch.events) - accepted)
    uow.session.add(receipt)
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=principal, action="events.ingest",
                          target=f"receipt:{receipt.id}",
                          detail={"accepted": receipt.accepted, "duplicates": receipt.duplicates})
    if accepted:
        uow.enqueue_after_commit(SCORING_QUEUE, "score.wake")
    return BatchReceipt(receipt_id=receipt.id, accepted=receipt.accepted,
                        duplicates=receipt.duplicates)


async def feed(uow: UnitOfWork, cursor: str | None, limit: int) -> EventFeedPage:
    rows = await repo.feed(uow.session, cursor, limit)
    items = [StoredEvent.model_validate(r, from_attributes=True) for r in rows]
    return EventFeedPage(items=items, next_cursor=next_cursor(rows, cursor))
