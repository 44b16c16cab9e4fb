"""Cases: opened from confirmed alerts, annotated with notes, closed with a resolution."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func

from services.cases.cases import repository as repo
from services.cases.cases.exceptions import CaseClosed, CaseNotFound, CaseSubjectMismatch
from services.cases.cases.schemas import (
    Bucket,
    CaseAlertRead,
    CaseBatch,
    CaseClose,
    CasePage,
    CaseRead,
    CaseSort,
    CaseStats,
    Classification,
    NoteCreate,
    NoteRead,
    OpenCasesPoint,
    OpenCasesSeries,
)
from services.cases.feeds.service import record_alert_change
from services.cases.models import Case, Note
from services.cases.risk_levels.service import recompute
from services.cases.webhooks.events import case_changed
from services.kit.batch import distinct
from services.kit.db import UnitOfWork
from services.kit.deps import Caller
from services.kit.errors import InvalidInput, InvalidParam
from services.kit.jobs import CASES_QUEUE
from services.kit.live import CaseChange, CaseUpdated, publish_after_commit
from services.kit.pagination import decode_cursor, encode_cursor
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope


def case_updated(uow: UnitOfWork, case: Case, change: CaseChange) -> None:
    """Tell live subscribers, once the transaction commits, that this case changed."""
    publish_after_commit(uow, CaseUpdated(case_id=case.id, subject_id=case.subject_id,
                                          status=case.status, change=change))


def _visible(case: Case, scope: AccessScope) -> bool:
    """A case about someone outside the caller's scope, and not shared with them, does not
    exist for them."""
    return scope.sees(case.subject_id, case.id)


async def get_case(uow: UnitOfWork, case_id: uuid.UUID, scope: AccessScope, *,
                   for_update: bool = False) -> Case:
    case = await repo.get(uow.session, case_id, for_update=for_update)
    if case is None or not _visible(case, scope):
        raise CaseNotFound("no such case")
    return case


async def get_active_for_subject(uow: UnitOfWork, case_id: uuid.UUID,
                                 subject_id: uuid.UUID, scope: AccessScope) -> Case:
    case = await get_case(uow, case_id, scope, for_update=True)
    if case.status != "active":
        raise CaseClosed("the case is closed", extra={"current_status": case.status})
    if case.subject_id != subject_id:
        raise CaseSubjectMismatch("the case concerns another person")
    return case


async def open_case(rt: Runtime, uow: UnitOfWork, actor: str, title: str,
                    subject_id: uuid.UUID, alias: str, *,
                    policy_ids: list[uuid.UUID] | None = None) -> Case:
    """`policy_ids`: of the alerts the case is opened for (the webhook filter)."""
    case = Case(title=title, subject_id=subject_id, alias=alias, status="active",
                created_by=actor)
    uow.session.add(case)
    await uow.session.flush()
    await uow.session.refresh(case)
    await case_changed(uow.session, "case.opened", case, policy_ids or [])
    case_updated(uow, case, "opened")
    await rt.audit.record(uow.session, actor=actor, action="case.open", target=f"case:{case.id}",
                          detail={"after": {"title": title, "subject_id": str(subject_id)}})
    return case


def _read(case: Case, alert_count: int) -> CaseRead:
    out = CaseRead.model_validate(case)
    out.action_taken, out.alert_count = case.resolution, alert_count
    return out


async def read(uow: UnitOfWork, case: Case) -> CaseRead:
    counts = await repo.alert_counts(uow.session, [case.id])
    return _read(case, counts.get(case.id, 0))


async def read_many(uow: UnitOfWork, case_ids: list[uuid.UUID], scope: AccessScope
                    ) -> CaseBatch:
    """Each case as `get_case` and `read` give it; the ones they would not are missing."""
    wanted = distinct(case_ids)
    by_id = {c.id: c for c in await repo.get_many(uow.session, wanted)}
    found = [c for i in wanted if (c := by_id.get(i)) is not None and _visible(c, scope)]
    counts = await repo.alert_counts(uow.session, [c.id for c in found])
    shown = {c.id for c in found}
    return CaseBatch(items=[_read(c, counts.get(c.id, 0)) for c in found],
                     missing=[i for i in wanted if i not in shown])


def _bad(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", extra={
        "invalid_params": [InvalidParam(field=field, reason=reason)]})


def utc(value: datetime | None) -> datetime | None:
    """A time given without an offset is taken as UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _window(field: str, lo: datetime | None, hi: datetime | None) -> None:
    if lo is not None and hi is not None and hi <= lo:
        raise _bad(f"{field}_to", f"must be after {field}_from")


def _decode(cursor: str | None, sort: CaseSort) -> tuple[datetime, uuid.UUID] | None:
    """A cursor names the sort it was made for: one from another sort is refused, not
    misread."""
    values = decode_cursor(cursor, 3)
    if values is None:
        return None
    if values[0] != sort.value:
        raise InvalidInput("the cursor belongs to another sort", code="invalid_cursor")
    try:
        return datetime.fromisoformat(values[1]), uuid.UUID(values[2])
    except (TypeError, ValueError):
        raise InvalidInput("cursor is not valid", code="invalid_cursor") from None


async def list_cases(uow: UnitOfWork, scope: AccessScope, *, status: str | None,
                     sort: CaseSort, opened: tuple[datetime | None, datetime | None],
                     updated: tuple[datetime | None, datetime | None],
                     cursor: str | None, limit: int) -> CasePage:
    opened = (utc(opened[0]), utc(opened[1]))
    updated = (utc(updated[0]), utc(updated[1]))
    _window("opened", *opened)
    _window("updated", *updated)
    column = "created_at" if sort in (CaseSort.OPENED_ASC, CaseSort.OPENED_DESC) \
        else "updated_at"
    rows = await repo.page(uow.session, status=status, sort_column=column,
                           descending=sort.value.startswith("-"), after=_decode(cursor, sort),
                           limit=limit + 1, opened=opened, updated=updated,
                           subjects=scope.subject_list(), shared=sorted(scope.cases))
    counts = await repo.alert_counts(uow.session, [c.id for c in rows[:limit]])
    items = [_read(c, counts.get(c.id, 0)) for c in rows[:limit]]
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = encode_cursor([sort.value, getattr(last, column).isoformat(), str(last.id)])
    return CasePage(items=items, next_cursor=nxt)


DEFAULT_STATS_WINDOW = timedelta(days=30)
MAX_BUCKETS = 400


async def stats(uow: UnitOfWork, scope: AccessScope, start: datetime | None,
                end: datetime | None) -> CaseStats:
    """Counts by status (now), and for the cases closed in [from, to) (default: the last 30
    days) counts by classification and the mean and median time from opening to closing."""
    end = utc(end) or datetime.now(UTC)
    start = utc(start) or end - DEFAULT_STATS_WINDOW
    if end <= start:
        raise _bad("to", "must be after from")
    got = await repo.stats(uow.session, start=start, end=end, subjects=scope.subject_list())
    return CaseStats(by_status={s: got["by_status"].get(s, 0) for s in ("active", "closed")},
                     by_classification={c.value: got["by_classification"].get(c.value, 0)
                                        for c in Classification},
                     closed_in_window=got["closed"], mean_time_to_close_s=got["mean"],
                     median_time_to_close_s=got["median"], window_from=start, window_to=end)


async def open_over_time(uow: UnitOfWork, scope: AccessScope, start: datetime | None,
                         end: datetime | None, bucket: Bucket) -> OpenCasesSeries:
    end = utc(end) or datetime.now(UTC)
    start = utc(start) or end - DEFAULT_STATS_WINDOW
    if end <= start:
        raise _bad("to", "must be after from")
    days = 1 if bucket is Bucket.DAY else 7
    if (end - start) / timedelta(days=days) > MAX_BUCKETS:
        raise _bad("to", f"at most {MAX_BUCKETS} buckets")
    rows = await repo.open_over_time(uow.session, start=start, end=end, bucket=bucket.value,
                                     subjects=scope.subject_list())
    return OpenCasesSeries(bucket=bucket, points=[
        OpenCasesPoint(bucket_start=s, bucket_end=e, open=n) for s, e, n in rows])


async def list_alerts(uow: UnitOfWork, case_id: uuid.UUID, scope: AccessScope
                      ) -> list[CaseAlertRead]:
    await get_case(uow, case_id, scope)
    return [CaseAlertRead.model_validate(a) for a in await repo.alerts_of(uow.session, case_id)]


async def add_note(rt: Runtime, uow: UnitOfWork, caller: Caller, case_id: uuid.UUID,
                   body: NoteCreate) -> NoteRead:
    actor = caller.principal.subject
    case = await get_case(uow, case_id, caller.scope, for_update=True)
    if case.status != "active":
        raise CaseClosed("notes cannot be added to a closed case",
                         extra={"current_status": case.status})
    note = Note(case_id=case_id, author=actor, body=body.body)
    uow.session.add(note)
    case.updated_at = func.now()
    await uow.session.flush()
    await uow.session.refresh(note)
    await rt.audit.record(uow.session, actor=actor, action="case.note.add",
                          target=f"case:{case_id}", detail={"note_id": str(note.id)})
    case_updated(uow, case, "note_added")
    return NoteRead.model_validate(note)


async def list_notes(uow: UnitOfWork, case_id: uuid.UUID, scope: AccessScope
                     ) -> list[NoteRead]:
    await get_case(uow, case_id, scope)
    return [NoteRead.model_validate(n) for n in await repo.notes(uow.session, case_id)]


async def close(rt: Runtime, uow: UnitOfWork, caller: Caller, case_id: uuid.UUID,
                body: CaseClose) -> CaseRead:
    """Close with a classification and the action taken; its confirmed alerts are resolved."""
    from services.cases.alerts.repository import of_case

    actor = caller.principal.subject
    case = await get_case(uow, case_id, caller.scope, for_update=True)
    if case.status != "active":
        raise CaseClosed("the case is already closed", extra={"current_status": case.status})
    case.status, case.classification = "closed", body.classification.value
    case.resolution, case.closed_at, case.updated_at = body.action_taken, func.now(), func.now()
    if body.classification is Classification.CONFIRMED_VIOLATION:
        uow.enqueue_after_commit(CASES_QUEUE, "case.violations", coalesce_s=0.05)
    alerts = await of_case(uow.session, case_id)
    for alert in alerts:
        if alert.status == "confirmed":
            alert.status, alert.updated_at = "resolved", func.now()
            await record_alert_change(uow.session, alert, "updated")
    await uow.session.flush()
    await uow.session.refresh(case)
    await case_changed(uow.session, "case.closed", case, [a.policy_id for a in alerts])
    case_updated(uow, case, "closed")
    await recompute(uow.session, case.subject_id)
    await rt.audit.record(uow.session, actor=actor, action="case.close", target=f"case:{case_id}",
                          detail={"before": {"status": "active"},
                                  "after": {"status": "closed",
                                            "classification": body.classification.value,
                                            "action_taken": body.action_taken}})
    return await read(uow, case)
