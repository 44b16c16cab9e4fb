"""Activity scoring stops counting. A suppression rule covers one person's activity of some
types for a time; when it expires it stops suppressing and waits for a reviewer (renew or
end). A benign mark covers single events. Both only describe what does not count: the
scoring worker applies them (`pipeline.service.recount` after each change, the live feed for
new events), so rules and marks change here and a re-count job follows the commit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.errors import InvalidInput, InvalidParam
from services.kit.jobs import SCORING_QUEUE
from services.kit.pagination import decode_cursor, decode_keyset, encode_cursor, encode_keyset
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope, SubjectNotVisible
from services.scoring.engine.exclusions import BENIGN
from services.scoring.exclusions import repository as repo
from services.scoring.exclusions.exceptions import (
    BenignMarkNotFound,
    SuppressionNotFound,
    SuppressionStateConflict,
)
from services.scoring.exclusions.schemas import (
    BenignMarkCreate,
    BenignMarkPage,
    BenignMarkRead,
    BenignMarkResult,
    ExcludedEventPage,
    ExcludedEventRead,
    ReviewDecision,
    SuppressionCreate,
    SuppressionEnd,
    SuppressionPage,
    SuppressionRead,
    SuppressionReview,
)
from services.scoring.models import Suppression

RECOUNT_JOB = "score.exclusions"


def _recount(uow: UnitOfWork, subject_id: uuid.UUID) -> None:
    uow.enqueue_after_commit(SCORING_QUEUE, RECOUNT_JOB, subjects=[str(subject_id)])


def _period(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def _audit_view(rule: Suppression) -> dict:
    return {"state": rule.state, "until": rule.until.isoformat(), "periods": rule.periods}


async def _reads(uow: UnitOfWork, rules: list[Suppression]) -> list[SuppressionRead]:
    aliases = await repo.aliases(uow.session, sorted({r.subject_id for r in rules}))
    hits = await repo.hits(uow.session, [r.id for r in rules])
    return [SuppressionRead.model_validate({
        **r.model_dump(), "alias": aliases.get(r.subject_id, ""),
        "hit_count": hits.get(r.id, (0, None))[0], "last_hit_at": hits.get(r.id, (0, None))[1],
    }) for r in rules]


async def _visible(uow: UnitOfWork, suppression_id: uuid.UUID, scope: AccessScope, *,
                   for_update: bool = False) -> Suppression:
    """A rule about someone outside the caller's scope does not exist for them."""
    rule = await repo.get(uow.session, suppression_id, for_update=for_update)
    if rule is None or not scope.sees(rule.subject_id):
        raise SuppressionNotFound("no such suppression rule")
    return rule


async def _known(uow: UnitOfWork, scope: AccessScope, subject_id: uuid.UUID) -> None:
    scope.check(subject_id)
    if not await repo.subject_known(uow.session, subject_id):
        raise SubjectNotVisible("no such person")


async def create(rt: Runtime, uow: UnitOfWork, caller: Caller, body: SuppressionCreate
                 ) -> SuppressionRead:
    await _known(uow, caller.scope, body.subject_id)
    now = datetime.now(UTC)
    since = body.since or now
    rule = Suppression(subject_id=body.subject_id,
                       activity_types=sorted(set(body.activity_types)),
                       periods=[_period(since, body.until)], until=body.until, state="active",
                       reason=body.reason, alert_id=body.alert_id,
                       created_by=caller.principal.subject)
    uow.session.add(rule)
    await uow.session.flush()
    await uow.session.refresh(rule)
    await rt.audit.record(uow.session, actor=caller.principal.subject,
                          action="suppression.create", target=f"suppression:{rule.id}",
                          detail={"subject_id": str(rule.subject_id),
                                  "activity_types": rule.activity_types,
                                  "since": since.isoformat(), "until": body.until.isoformat(),
                                  "reason": body.reason,
                                  "alert_id": str(body.alert_id) if body.alert_id else None})
    _recount(uow, rule.subject_id)
    return (await _reads(uow, [rule]))[0]


async def get(uow: UnitOfWork, scope: AccessScope, suppression_id: uuid.UUID
              ) -> SuppressionRead:
    return (await _reads(uow, [await _visible(uow, suppression_id, scope)]))[0]


async def list_rules(uow: UnitOfWork, scope: AccessScope, *, subject_id: uuid.UUID | None,
                     state: str | None, cursor: str | None, limit: int) -> SuppressionPage:
    rows = await repo.page(uow.session, visible=scope.subject_list(), subject_id=subject_id,
                           state=state, after=decode_keyset(cursor), limit=limit + 1)
    items = await _reads(uow, rows[:limit])
    nxt = encode_keyset(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return SuppressionPage(items=items, next_cursor=nxt)


def _expire(rule: Suppression, now: datetime) -> bool:
    """An active rule whose time is up waits for a review (it stopped suppressing at
    `until` whatever its state says)."""
    if rule.state == "active" and rule.until <= now:
        rule.state, rule.updated_at = "review_required", now
        return True
    return False


async def _record_expiry(rt: Runtime, uow: UnitOfWork, rule: Suppression) -> None:
    await rt.audit.record(uow.session, actor=f"service:{rt.name}", action="suppression.expire",
                          target=f"suppression:{rule.id}",
                          detail={"subject_id": str(rule.subject_id),
                                  "until": rule.until.isoformat(),
                                  "before": {"state": "active"},
                                  "after": {"state": "review_required"}})


def _cut(period: dict[str, str], now: datetime) -> dict[str, str]:
    """The part of a period before `now` (empty if it had not started)."""
    start, end_ = (datetime.fromisoformat(period[k]) for k in ("start", "end"))
    end_ = min(end_, now)
    return _period(min(start, end_), end_)


async def end(rt: Runtime, uow: UnitOfWork, caller: Caller, suppression_id: uuid.UUID,
              body: SuppressionEnd) -> SuppressionRead:
    """Stop suppressing now. What it suppressed before stays suppressed (a period is kept
    up to now); activity from now on counts."""
    rule = await _visible(uow, suppression_id, caller.scope, for_update=True)
    now = datetime.now(UTC)
    if _expire(rule, now):
        await _record_expiry(rt, uow, rule)
    if rule.state == "ended":
        raise SuppressionStateConflict("the rule has ended already",
                                       extra={"current_status": rule.state})
    before = _audit_view(rule)
    rule.periods, rule.state = [_cut(p, now) for p in rule.periods], "ended"
    rule.ended_at, rule.ended_by, rule.updated_at = now, caller.principal.subject, now
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=caller.principal.subject, action="suppression.end",
                          target=f"suppression:{rule.id}",
                          detail={"subject_id": str(rule.subject_id), "comment": body.comment,
                                  "before": before, "after": _audit_view(rule)})
    _recount(uow, rule.subject_id)
    return (await _reads(uow, [rule]))[0]


async def review(rt: Runtime, uow: UnitOfWork, caller: Caller, suppression_id: uuid.UUID,
                 body: SuppressionReview) -> SuppressionRead:
    """Decide on an expired rule: renew it (a new period from now) or end it."""
    rule = await _visible(uow, suppression_id, caller.scope, for_update=True)
    now = datetime.now(UTC)
    if _expire(rule, now):
        await _record_expiry(rt, uow, rule)
    if rule.state != "review_required":
        raise SuppressionStateConflict(f"the rule is {rule.state}, not waiting for a review",
                                       extra={"current_status": rule.state})
    before = _audit_view(rule)
    actor = caller.principal.subject
    if body.decision == ReviewDecision.renew:
        assert body.until is not None
        rule.periods = [*rule.periods, _period(now, body.until)]
        rule.until, rule.state = body.until, "active"
    else:
        rule.state, rule.ended_at, rule.ended_by = "ended", now, actor
    rule.reviewed_at, rule.reviewed_by, rule.updated_at = now, actor, now
    rule.review_decision, rule.review_comment = body.decision.value, body.comment
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=actor, action="suppression.review",
                          target=f"suppression:{rule.id}",
                          detail={"subject_id": str(rule.subject_id),
                                  "decision": body.decision.value, "comment": body.comment,
                                  "before": before, "after": _audit_view(rule)})
    if body.decision == ReviewDecision.renew:
        _recount(uow, rule.subject_id)
    return (await _reads(uow, [rule]))[0]


async def expire_due(rt: Runtime, now: datetime | None = None) -> int:
    """The forced review: every active rule whose `until` has passed moves to
    review_required, one audit row each. Run every minute by the worker (`now` is the
    clock; a test passes a later one). Returns rules moved."""
    now = now or datetime.now(UTC)
    async with rt.db.unit_of_work() as uow:
        rules = await repo.due(uow.session, now)
        for rule in rules:
            _expire(rule, now)
            await _record_expiry(rt, uow, rule)
    return len(rules)


# --- Benign marks -----------------------------------------------------------------------------

async def mark(rt: Runtime, uow: UnitOfWork, caller: Caller, subject_id: uuid.UUID,
               body: BenignMarkCreate) -> BenignMarkResult:
    """Mark events of this person benign; all or nothing: an id that is not an event of
    theirs (that scoring has read) refuses the request, naming each such id."""
    await _known(uow, caller.scope, subject_id)
    wanted = list(dict.fromkeys(body.event_ids))
    times = await repo.signal_times(uow.session, subject_id, wanted)
    unknown = [InvalidParam(field="event_ids", index=i, reason=f"no event {e!r} of this person")
               for i, e in enumerate(body.event_ids) if e not in times]
    if unknown:
        raise InvalidInput(f"{len(unknown)} of the events are not events of this person",
                           code="unknown_events", extra={"invalid_params": unknown})
    actor = caller.principal.subject
    marked = await repo.add_marks(uow.session, [
        {"id": uuid.uuid4(), "subject_id": subject_id, "event_id": e, "occurred_at": times[e],
         "reason": body.reason, "report_id": body.report_id, "marked_by": actor}
        for e in wanted])
    done = {m.event_id for m in marked}
    if marked:
        await rt.audit.record(uow.session, actor=actor, action="benign.mark",
                              target=f"subject:{subject_id}",
                              detail={"event_ids": sorted(done), "reason": body.reason,
                                      "report_id": str(body.report_id) if body.report_id
                                      else None})
        _recount(uow, subject_id)
    return BenignMarkResult(
        marked=[BenignMarkRead.model_validate(m.model_dump()) for m in marked],
        already_marked=[e for e in wanted if e not in done])


async def marks(uow: UnitOfWork, scope: AccessScope, subject_id: uuid.UUID,
                cursor: str | None, limit: int) -> BenignMarkPage:
    scope.check(subject_id)
    rows = await repo.marks_page(uow.session, subject_id, decode_keyset(cursor), limit + 1)
    items = [BenignMarkRead.model_validate(m.model_dump()) for m in rows[:limit]]
    nxt = encode_keyset(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return BenignMarkPage(items=items, next_cursor=nxt)


async def unmark(rt: Runtime, uow: UnitOfWork, caller: Caller, subject_id: uuid.UUID,
                 event_id: str) -> None:
    """The event counts again."""
    caller.scope.check(subject_id)
    found = await repo.mark_of(uow.session, subject_id, event_id)
    if found is None:
        raise BenignMarkNotFound("this event is not marked benign")
    before = BenignMarkRead.model_validate(found.model_dump()).model_dump(mode="json")
    await uow.session.delete(found)
    await uow.session.flush()
    await rt.audit.record(uow.session, actor=caller.principal.subject, action="benign.unmark",
                          target=f"subject:{subject_id}",
                          detail={"event_id": event_id, "before": before})
    _recount(uow, subject_id)


# --- Excluded events --------------------------------------------------------------------------

def _excluded_cursor(cursor: str | None) -> tuple[datetime, str, uuid.UUID] | None:
    values = decode_cursor(cursor, 3)
    if values is None:
        return None
    try:
        return datetime.fromisoformat(values[0]), str(values[1]), uuid.UUID(values[2])
    except (TypeError, ValueError):
        raise InvalidInput("cursor is not valid", code="invalid_cursor") from None


async def excluded(uow: UnitOfWork, scope: AccessScope, subject_id: uuid.UUID, *,
                   start: datetime | None, end: datetime | None, cursor: str | None,
                   limit: int) -> ExcludedEventPage:
    scope.check(subject_id)
    rows = await repo.excluded_page(uow.session, subject_id, start=start, end=end,
                                    after=_excluded_cursor(cursor), limit=limit + 1)
    items = [ExcludedEventRead(
        event_id=r.event_id, subject_id=r.subject_id, occurred_at=r.occurred_at, type=r.type,
        kind=r.kind, suppression_id=None if r.kind == BENIGN else r.source_id,
        benign_mark_id=r.source_id if r.kind == BENIGN else None) for r in rows[:limit]]
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = encode_cursor([last.occurred_at.isoformat(), last.event_id, str(last.source_id)])
    return ExcludedEventPage(items=items, next_cursor=nxt)
