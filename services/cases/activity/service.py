"""Investigating a person: their activity over time with a risk level each (from ingest's
activity API and scoring's explained scores plus the explanations of their alerts), a chart
by day and level, drill-down into one activity, their alerts from every policy, and the
content explorer of a case. The rules that give an activity its level are in `levels`."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from services.cases.activity import levels
from services.cases.activity.exceptions import ActivityNotFound, InvalidWindow
from services.cases.activity.schemas import (
    ActivityChart,
    ActivityDetail,
    ChartDay,
    ChartPolicy,
    ContentItem,
    ContentKind,
    ContentPage,
    Contribution,
    Exclusion,
    PersonActivity,
    PersonActivityPage,
    PolicyDayScore,
    RiskLevel,
)
from services.cases.alerts import repository as alert_repo
from services.cases.alerts import service as alert_service
from services.cases.alerts.schemas import AlertPage, AlertRead
from services.cases.cases.service import get_case
from services.cases.models import Alert, Case
from services.kit.db import UnitOfWork
from services.kit.errors import OpenIRMError
from services.kit.pagination import decode_cursor, decode_keyset, encode_cursor, encode_keyset
from services.kit.runtime import Runtime
from services.kit.scopes import AccessScope

DEFAULT_DAYS = 30
MAX_LIST_DAYS = 400  # ingest's own limit
MAX_CHART_DAYS = 90
PAGE = 500  # ingest's largest page
MAX_SCAN = 5_000  # activities one filtered list request reads at most
MAX_CONTENT_SCAN = 20_000
CATALOGUE_TTL_S = 60.0


# --- Inputs ---------------------------------------------------------------------------------

def window(since: datetime | None, until: datetime | None, max_days: int, *,
           default_until: datetime | None = None, default_since: datetime | None = None,
           names: tuple[str, str] = ("from", "to")) -> tuple[datetime, datetime]:
    """[since, until): default the last 30 days; refused with the offending field."""
    for name, value in zip(names, (since, until), strict=True):
        if value is not None and value.tzinfo is None:
            raise InvalidWindow(name, "needs a UTC offset")
        if value is not None and not 1970 <= value.year < 2100:
            raise InvalidWindow(name, "must be between 1970 and 2100")
    until = until or default_until or datetime.now(UTC)
    since = since or default_since or until - timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise InvalidWindow(names[1], f"must be after {names[0]}")
    if until - since > timedelta(days=max_days):
        raise InvalidWindow(names[1], f"the window may span at most {max_days} days")
    return since, until


# --- What scoring says ----------------------------------------------------------------------

_catalogue: tuple[float, levels.Catalogue] | None = None


async def catalogue(rt: Runtime) -> levels.Catalogue:
    """Scoring's indicators and sequences, cached for a minute (they change with releases and
    custom indicators, rarely)."""
    global _catalogue
    if _catalogue and time.monotonic() - _catalogue[0] < CATALOGUE_TTL_S:
        return _catalogue[1]
    indicators = await rt.scoring.request("GET", "/indicators")
    sequences = await rt.scoring.request("GET", "/sequences")
    cat = levels.Catalogue(
        {i["key"]: frozenset(i.get("activity_types") or ()) for i in indicators},
        {s["key"]: frozenset(t for step in s["steps"] for t in step) for s in sequences})
    _catalogue = (time.monotonic(), cat)
    return cat


async def explanations(rt: Runtime, uow: UnitOfWork, subject_id: uuid.UUID
                       ) -> tuple[list[levels.Explanation], list[dict], list[Alert]]:
    """The person's current scores (scoring) and the explanation of each of their alerts."""
    scores = await rt.scoring.request("GET", f"/subjects/{subject_id}/scores")
    alerts = list((await uow.session.execute(
        select(Alert).where(Alert.subject_id == subject_id)
        .order_by(Alert.created_at.desc(), Alert.id.desc()))).scalars())
    out = [levels.from_score(s) for s in scores]
    out += [levels.from_alert(str(a.id), str(a.policy_id), a.policy_name, a.score_version,
                              a.explanation or {}) for a in alerts]
    return out, scores, alerts


async def exclusions(rt: Runtime, subject_id: uuid.UUID, start: datetime, end: datetime
                     ) -> dict[str, list[Exclusion]]:
    """The person's events in [start, end) that scoring leaves out (suppressed or marked
    benign), from scoring's excluded-event list, by event id."""
    out: dict[str, list[Exclusion]] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat(),
                                  "limit": 1000} | ({"cursor": cursor} if cursor else {})
        page = await rt.scoring.request("GET", f"/subjects/{subject_id}/excluded-events",
                                        params=params)
        for e in page["items"]:
            out.setdefault(e["event_id"], []).append(Exclusion(
                kind=e["kind"], suppression_id=e.get("suppression_id"),
                benign_mark_id=e.get("benign_mark_id")))
        cursor = page.get("next_cursor")
        if not cursor or len(out) >= MAX_CONTENT_SCAN:
            return out


@dataclass
class Context:
    explanations: list[levels.Explanation]
    catalogue: levels.Catalogue
    scores: list[dict] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    excluded: dict[str, list[Exclusion]] = field(default_factory=dict)

    def assess(self, a: dict[str, Any]) -> levels.Found:
        """The rows that counted the activity; none for one scoring leaves out."""
        if a["id"] in self.excluded:
            return levels.Found()
        return levels.assess(self.explanations, self.catalogue, a["type"], a["category"],
                             datetime.fromisoformat(a["occurred_at"]))


async def context(rt: Runtime, uow: UnitOfWork, subject_id: uuid.UUID,
                  window: tuple[datetime, datetime] | None = None) -> Context:
    """What levels the person's activities: explanations, the catalogue and, for activities
    in `window`, the exclusions."""
    async def no_exclusions() -> dict[str, list[Exclusion]]:
        return {}

    # Scoring's scores, its catalogue and its exclusions are asked for at once.
    (found, scores, alerts), cat, excluded = await asyncio.gather(
        explanations(rt, uow, subject_id), catalogue(rt),
        exclusions(rt, subject_id, *window) if window else no_exclusions())
    return Context(found, cat, scores, alerts, excluded)


# --- Ingest's activity ----------------------------------------------------------------------

async def activity_page(rt: Runtime, token: str | None, subject_id: uuid.UUID, since: datetime,
                        until: datetime, *, types: list[str] | None = None,
                        categories: list[str] | None = None, cursor: str | None = None,
                        limit: int = PAGE) -> dict[str, Any]:
    """One page of ingest's activity, newest first: as the caller (content only for those
    who may see it) when `token` is given, else as this service (never content)."""
    params: dict[str, Any] = {"subject_id": str(subject_id), "since": since.isoformat(),
                              "until": until.isoformat(), "limit": limit}
    if types:
        params["type"] = types
    if categories:
        params["category"] = categories
    if cursor:
        params["cursor"] = cursor
    return await rt.ingest.request("GET", "/activity", token=token, params=params)


def _item(a: dict[str, Any], found: levels.Found, ctx: Context) -> PersonActivity:
    return PersonActivity(
        id=a["id"], subject_id=a["subject_id"], alias=a["alias"], type=a["type"],
        category=a["category"], group=a["group"], source=source_of(a),
        occurred_at=a["occurred_at"], attributes=a["attributes"],
        content_visible=a["content_visible"], risk_level=RiskLevel(found.level),
        policies=sorted({uuid.UUID(r["policy_id"]) for r in found.rows.values()}),
        excluded=ctx.excluded.get(a["id"], []))


def source_of(a: dict[str, Any]) -> str:
    """Where the activity was recorded: the Microsoft 365 workload when the record names one
    (SharePoint, OneDrive, Exchange, MicrosoftTeams, Endpoint...), else its group's source."""
    workload = (a.get("attributes") or {}).get("workload")
    if isinstance(workload, str) and workload:
        return workload
    return GROUP_SOURCE.get(a.get("group", ""), a.get("group") or "unknown")


GROUP_SOURCE = {"office": "SharePoint", "email": "Exchange", "chat": "MicrosoftTeams",
                "device": "Endpoint", "risky_browsing": "Browser",
                "generative_ai": "AIAssistant", "endpoint_security": "EndpointSecurity",
                "physical_access": "PhysicalAccess", "health_records": "HealthRecords",
                "dlp": "DLP", "security": "Security", "hr": "HR"}


async def list_activity(rt: Runtime, uow: UnitOfWork, scope: AccessScope, token: str,
                        subject_id: uuid.UUID, since: datetime | None, until: datetime | None,
                        risk_levels: list[RiskLevel], categories: list[str], types: list[str],
                        cursor: str | None, limit: int, *,
                        default_window: tuple[datetime, datetime] | None = None
                        ) -> PersonActivityPage:
    scope.check(subject_id)
    start, end = window(since, until, MAX_LIST_DAYS,
                        default_since=default_window[0] if default_window else None,
                        default_until=default_window[1] if default_window else None)
    wanted = {r.value for r in risk_levels}
    items: list[PersonActivity] = []
    scanned, next_cursor = 0, cursor

    def read(after: str | None) -> Awaitable[dict[str, Any]]:
        return activity_page(rt, token, subject_id, start, end, types=types,
                             categories=categories, cursor=after,
                             limit=PAGE if wanted else limit)

    ctx, page = await asyncio.gather(context(rt, uow, subject_id, (start, end)),
                                     read(next_cursor))
    while True:
        for a in page["items"]:
            found = ctx.assess(a)
            if wanted and found.level not in wanted:
                continue
            items.append(_item(a, found, ctx))
            if len(items) == limit:
                # ingest's cursor for "after this one": the kit's [occurred_at, id].
                more = a is not page["items"][-1] or page["next_cursor"]
                return PersonActivityPage(
                    subject_id=subject_id, since=start, until=end, items=items,
                    next_cursor=encode_cursor([a["occurred_at"], a["id"]]) if more else None)
        next_cursor = page["next_cursor"]
        scanned += len(page["items"])
        if not next_cursor or scanned >= MAX_SCAN:
            return PersonActivityPage(subject_id=subject_id, since=start, until=end,
                                      items=items, next_cursor=next_cursor)
        page = await read(next_cursor)


async def all_activity(rt: Runtime, token: str | None, subject_id: uuid.UUID, since: datetime,
                       until: datetime, limit: int, on_page=None) -> list[dict[str, Any]]:
    """Every activity of the window, newest first, up to `limit`."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await activity_page(rt, token, subject_id, since, until, cursor=cursor)
        out += page["items"]
        if on_page is not None:
            await on_page(page["items"])
        cursor = page["next_cursor"]
        if not cursor or len(out) >= limit:
            return out[:limit]


async def chart(rt: Runtime, uow: UnitOfWork, scope: AccessScope, token: str,
                subject_id: uuid.UUID, since: datetime | None, until: datetime | None
                ) -> ActivityChart:
    scope.check(subject_id)
    start, end = window(since, until, MAX_CHART_DAYS)
    ctx, activities = await asyncio.gather(
        context(rt, uow, subject_id, (start, end)),
        all_activity(rt, token, subject_id, start, end, MAX_CONTENT_SCAN))
    counts: dict[Any, Counter[str]] = {}
    for a in activities:
        day = datetime.fromisoformat(a["occurred_at"]).astimezone(UTC).date()
        counts.setdefault(day, Counter())[ctx.assess(a).level] += 1
    points = levels.day_points(ctx.explanations)
    days = []
    day, last = start.astimezone(UTC).date(), (end - timedelta(microseconds=1)).astimezone(
        UTC).date()
    while day <= last:
        c = counts.get(day, Counter())
        days.append(ChartDay(
            day=day, counts={RiskLevel(lv): c.get(lv, 0) for lv in levels.LEVELS},
            total=sum(c.values()),
            scores=[PolicyDayScore(policy_id=uuid.UUID(p), points=per_day[day])
                    for p, per_day in sorted(points.items()) if per_day.get(day)]))
        day += timedelta(days=1)
    names = {e.policy_id: e.policy_name for e in ctx.explanations}
    current = {str(s["policy_id"]): s for s in ctx.scores}
    policies = [ChartPolicy(policy_id=uuid.UUID(p), policy_name=names[p],
                            score=current[p]["score"] if p in current else None,
                            severity=current[p]["severity"] if p in current else None)
                for p in sorted(names)]
    return ActivityChart(subject_id=subject_id, since=start, until=end, days=days,
                         policies=policies, total=sum(d.total for d in days))


async def detail(rt: Runtime, uow: UnitOfWork, scope: AccessScope, token: str,
                 subject_id: uuid.UUID, event_id: str) -> ActivityDetail:
    scope.check(subject_id)
    try:
        a = await rt.ingest.request("GET", f"/activity/{event_id}", token=token,
                                    params={"subject_id": str(subject_id)})
    except OpenIRMError as exc:
        if exc.status == 404:
            raise ActivityNotFound("no such activity of this person") from None
        raise
    at = datetime.fromisoformat(a["occurred_at"])
    ctx = await context(rt, uow, subject_id, (at, at + timedelta(microseconds=1)))
    found = ctx.assess(a)
    fed = {i for r in found.rows.values() for i in r["alert_ids"]}
    item = _item(a, found, ctx)
    return ActivityDetail(
        **item.model_dump(),
        contributions=[Contribution(**r) for r in sorted(
            found.rows.values(), key=lambda r: (r["policy_name"], r["kind"], r["key"]))],
        alerts=[alert_service.to_read(x, await alert_repo.case_status(uow.session, x.case_id),
                                      datetime.now(UTC))
                for x in ctx.alerts if str(x.id) in fed])


async def person_alerts(uow: UnitOfWork, scope: AccessScope, subject_id: uuid.UUID,
                        cursor: str | None, limit: int) -> AlertPage:
    """Every alert about the person, from every policy, newest first."""
    scope.check(subject_id)
    after = decode_keyset(cursor)
    as_of = datetime.now(UTC)
    rows = await alert_repo.queue_page(
        uow.session, alert_repo.QueueFilter(subjects=[subject_id]), sort="detected",
        descending=True, as_of=as_of, after=list(after) if after else None, limit=limit + 1)
    items = [AlertRead.model_validate(alert_service.item(r._mapping, r.case_status, as_of,
                                                         r.sla_points))
             for r in rows[:limit]]
    nxt = encode_keyset(items[-1].created_at, items[-1].id) if len(rows) > limit else None
    return AlertPage(items=items, next_cursor=nxt)


# --- A case's person ------------------------------------------------------------------------

async def case_window(uow: UnitOfWork, case: Case, content_days: int
                      ) -> tuple[datetime, datetime]:
    """The activity windows of the case's alerts (scoring's window around the triggering
    event, whole UTC days), else the `content_days` before the case was opened up to now."""
    alerts = await alert_repo.of_case(uow.session, case.id)
    spans = [(w["start"], w["end"]) for a in alerts
             if (w := (a.explanation or {}).get("window")) and w.get("start") and w.get("end")]
    now = datetime.now(UTC)
    if spans:
        start = datetime.fromisoformat(min(s for s, _ in spans)).replace(tzinfo=UTC)
        end = datetime.fromisoformat(max(e for _, e in spans)).replace(tzinfo=UTC)
        return start, min(end + timedelta(days=1), now + timedelta(days=1))
    assert case.created_at is not None
    return case.created_at - timedelta(days=content_days), now + timedelta(minutes=1)


async def case_activity(rt: Runtime, uow: UnitOfWork, scope: AccessScope, token: str,
                        case_id: uuid.UUID, content_days: int, **kwargs: Any
                        ) -> PersonActivityPage:
    case = await get_case(uow, case_id, scope)
    default = await case_window(uow, case, content_days)
    return await list_activity(rt, uow, AccessScope(), token, case.subject_id,
                               default_window=default, **kwargs)


# --- The content explorer -------------------------------------------------------------------

def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _basename(value: str) -> str:
    return value.replace("\\", "/").rstrip("/").rpartition("/")[2]


def _extension(attrs: dict[str, Any], name: str | None) -> str | None:
    ext = _text(attrs.get("file_extension")) or _text(attrs.get("file_type"))
    if not ext and name and "." in name:
        ext = name.rpartition(".")[2]
    return ext.lower().lstrip(".") if ext else None


def _thread(subject: str) -> str:
    """An email thread by its subject without reply and forward prefixes."""
    s = subject.strip()
    while True:
        head, sep, rest = s.partition(":")
        if sep and head.strip().lower() in ("re", "fw", "fwd", "aw", "wg", "sv", "tr"):
            s = rest.strip()
        else:
            return s.casefold()


def content_items_of(a: dict[str, Any]) -> list[dict[str, Any]]:
    """The files, emails and URLs one activity involved (from its content attributes)."""
    attrs = a.get("attributes") or {}
    out: list[dict[str, Any]] = []
    labels = [x for x in (_text(attrs.get("sensitivity_label")), _text(attrs.get("label_from")),
                          _text(attrs.get("label_to"))) if x]
    conversation = (_text(attrs.get("conversation_id")) or _text(attrs.get("thread_id"))
                    or _text(attrs.get("chat_id")) or _text(attrs.get("channel")))
    subject = _text(attrs.get("subject"))
    if subject and not conversation:
        conversation = "thread:" + _thread(subject)
    path = _text(attrs.get("path"))
    name = _text(attrs.get("file_name")) or (_basename(path) if path else None)
    if name:
        location = path or _text(attrs.get("site_url"))
        out.append({"kind": ContentKind.FILE, "key": "file:" + (path or name).casefold(),
                    "name": name, "location": location,
                    "file_type": _extension(attrs, name), "labels": labels,
                    "conversation": conversation})
    if subject or a.get("group") == "email":
        if subject:
            out.append({"kind": ContentKind.EMAIL,
                        # The message id where the source gives one; else the subject
                        # and day (the same mail to several recipients is one item).
                        "key": "email:" + (_text(attrs.get("message_id")) or
                                           subject.casefold() + "|" + a["occurred_at"][:10]),
                        "name": subject, "location": _text(attrs.get("recipient_domain")),
                        "file_type": None, "labels": labels, "conversation": conversation})
    url = _text(attrs.get("url"))
    if url:
        out.append({"kind": ContentKind.URL, "key": "url:" + url, "name": url,
                    "location": _text(attrs.get("target_domain")) or _text(
                        attrs.get("url_category")),
                    "file_type": None, "labels": labels, "conversation": conversation})
    return out


async def case_content(rt: Runtime, uow: UnitOfWork, scope: AccessScope, token: str,
                       case_id: uuid.UUID, content_days: int, *, source: str | None,
                       file_type: str | None, label: str | None, conversation: str | None,
                       kind: ContentKind | None, cursor: str | None, limit: int
                       ) -> ContentPage:
    """Files, emails and URLs of the case's person's activity in the case window, once per
    item with how often and when first and last, most recently seen first."""
    case = await get_case(uow, case_id, scope)
    start, end = await case_window(uow, case, content_days)
    merged: dict[str, dict[str, Any]] = {}
    for a in await all_activity(rt, token, case.subject_id, start, end, MAX_CONTENT_SCAN):
        seen = datetime.fromisoformat(a["occurred_at"])
        for c in content_items_of(a):
            held = merged.get(c["key"])
            if held is None:
                held = merged[c["key"]] = {**c, "labels": set(c["labels"]), "sources": set(),
                                           "activity_types": set(), "count": 0,
                                           "first_seen": seen, "last_seen": seen}
            held["labels"] |= set(c["labels"])
            held["sources"].add(source_of(a))
            held["activity_types"].add(a["type"])
            held["count"] += 1
            held["first_seen"] = min(held["first_seen"], seen)
            held["last_seen"] = max(held["last_seen"], seen)
            held["file_type"] = held["file_type"] or c["file_type"]
            held["conversation"] = held["conversation"] or c["conversation"]

    def keep(i: dict[str, Any]) -> bool:
        return ((not source or source.casefold() in {s.casefold() for s in i["sources"]})
                and (not file_type or (i["file_type"] or "") == file_type.lower().lstrip("."))
                and (not label or label.casefold() in {x.casefold() for x in i["labels"]})
                and (not conversation or i["conversation"] == conversation)
                and (not kind or i["kind"] == kind))

    ordered = sorted((i for i in merged.values() if keep(i)),
                     key=lambda i: (i["last_seen"], i["key"]), reverse=True)
    after = decode_cursor(cursor, 2)
    if after:
        try:
            at = datetime.fromisoformat(after[0])
        except (TypeError, ValueError):
            from services.kit.errors import InvalidInput
            raise InvalidInput("cursor is not valid", code="invalid_cursor") from None
        ordered = [i for i in ordered if (i["last_seen"], i["key"]) < (at, after[1])]
    items = [ContentItem(**{**i, "labels": sorted(i["labels"]), "sources": sorted(i["sources"]),
                            "activity_types": sorted(i["activity_types"])})
             for i in ordered[:limit]]
    nxt = (encode_cursor([items[-1].last_seen.isoformat(), items[-1].key])
           if len(ordered) > limit else None)
    return ContentPage(case_id=case_id, since=start, until=end, items=items, next_cursor=nxt)
