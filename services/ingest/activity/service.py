"""A person's activity for timelines, drill-down and the content explorer. Content
(attributes outside the public list, and the original source record) reaches only callers
whose role may see content; everyone else gets the same records without it."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from services.ingest.activity import repository as repo
from services.ingest.activity.schemas import ActivityPage, ActivityRead, ActivitySummary, DayCount
from services.ingest.events.catalogue import CATALOGUE, ActivityType, Category, public_attributes
from services.kit.db import UnitOfWork
from services.kit.errors import InvalidInput, NotFound
from services.kit.pagination import decode_cursor, encode_cursor

MAX_WINDOW = timedelta(days=400)
DEFAULT_WINDOW = timedelta(days=30)


class ActivityNotFound(NotFound):
    code = "activity_not_found"


def window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    for name, value in (("since", since), ("until", until)):
        if value is not None and not 1970 <= value.year < 2100:
            raise InvalidInput(f"{name} must be between 1970 and 2100", code="invalid_window")
    until = until or datetime.now(UTC) + timedelta(days=1)
    since = since or until - DEFAULT_WINDOW
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since and until need a UTC offset", code="invalid_window")
    if since >= until:
        raise InvalidInput("since must be before until", code="invalid_window")
    if until - since > MAX_WINDOW:
        raise InvalidInput(f"the window may span at most {MAX_WINDOW.days} days",
                           code="invalid_window")
    return since, until


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    decoded = decode_cursor(cursor, 2)
    if decoded is None:
        return None
    try:
        return datetime.fromisoformat(decoded[0]), str(decoded[1])
    except (TypeError, ValueError):
        raise InvalidInput("cursor is not valid", code="invalid_cursor") from None


async def list_activity(uow: UnitOfWork, subject_id: uuid.UUID, since: datetime | None,
                        until: datetime | None, types: list[ActivityType],
                        categories: list[Category], cursor: str | None, limit: int,
                        content: bool) -> ActivityPage:
    start, end = window(since, until)
    rows = await repo.page(uow.session, subject_id, start, end, [t.value for t in types],
                           [c.value for c in categories], _after(cursor), limit + 1, content)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_read(r, content) for r in rows]
    next_cursor = (encode_cursor([rows[-1].occurred_at.isoformat(), rows[-1].id])
                   if more else None)
    return ActivityPage(items=items, next_cursor=next_cursor)


def _read(r, content: bool) -> ActivityRead:
    kind = ActivityType(r.type)
    return ActivityRead(
        id=r.id, subject_id=r.subject_id, alias=r.alias, type=kind,
        category=Category(r.category), group=CATALOGUE[kind].group,
        occurred_at=r.occurred_at, received_at=r.received_at, source=r.source,
        attributes=r.attributes if content else public_attributes(r.attributes),
        content_visible=content, original=r.original if content else None)


async def get_activity(uow: UnitOfWork, subject_id: uuid.UUID, event_id: str,
                       content: bool) -> ActivityRead:
    row = await repo.one(uow.session, subject_id, event_id, content)
    if row is None:
        raise ActivityNotFound("no such activity of this person")
    return _read(row, content)


async def summarise(uow: UnitOfWork, subject_id: uuid.UUID, since: datetime | None,
                    until: datetime | None) -> ActivitySummary:
    start, end = window(since, until)
    rows = await repo.summary(uow.session, subject_id, start, end)
    days: Counter[tuple[object, str]] = Counter()
    by_category: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    for r in rows:
        days[(r.day, r.category)] += r.n
        by_category[r.category] += r.n
        by_type[r.type] += r.n
    return ActivitySummary(
        subject_id=subject_id, since=start, until=end,
        days=[DayCount(day=d, category=Category(c), count=n)  # type: ignore[arg-type]
              for (d, c), n in sorted(days.items())],
        by_category=dict(by_category), by_type=dict(by_type), total=sum(by_category.values()))
