"""What-if replays: a draft or existing policy, with draft or current settings, over stored
history. The same engine as live scoring, fed from scoring's signals instead of the feed; it
creates no score and no alert. Runs as a job with progress, and can be cancelled."""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select, text

from services.kit.db import UnitOfWork
from services.kit.errors import Conflict, NotFound
from services.kit.jobs import SCORING_QUEUE
from services.kit.live import ReplayProgress as ReplayProgressNotice
from services.kit.live import publish_after_commit
from services.kit.runtime import Runtime
from services.scoring.engine.catalogue import CUMULATIVE
from services.scoring.engine.rules import (
    BASELINE_DAYS,
    DailyCount,
    Facts,
    FileEvent,
    Person,
    Trigger,
    evaluate,
    shift,
)
from services.scoring.global_settings import service as settings
from services.scoring.global_settings.schemas import GlobalSettings
from services.scoring.models import PolicyMember, PriorityGroup, Replay, Subject
from services.scoring.pipeline import repository as repo
from services.scoring.pipeline.service import (
    CUMULATIVE_DAYS,
    Norms,
    explanation,
    file_event,
    fold,
    in_scope,
)
from services.scoring.policies.service import get_policy, resolve, to_rule
from services.scoring.replay.schemas import (
    ReplayCreate,
    ReplayRead,
    ReplayResult,
    ReplaySummary,
)

log = logging.getLogger("openirm.scoring.replay")

POLICY_FIELDS = ("description", "scope", "priority_content", "indicators", "boosters",
                 "sequences", "cumulative", "alert_threshold", "activation_days", "past_days")
MAX_ALERTS = 1000
PROGRESS_EVERY_S = 0.5
READ_SHARE = 0.9  # of the progress bar: reading; the rest is evaluating


class ReplayNotFound(NotFound):
    code = "replay_not_found"


class ReplayFinished(Conflict):
    code = "replay_finished"


class Cancelled(Exception):
    pass


def to_read(r: Replay) -> ReplayRead:
    return ReplayRead(id=r.id, status=r.status, requested_by=r.requested_by,  # type: ignore
                      policy=r.policy, start=r.start_day, end=r.end_day,
                      progress=round(r.progress, 4), people_total=r.people_total,
                      people_done=r.people_done, events_read=r.events_read, error=r.error,
                      result=ReplayResult(**r.result) if r.result else None,
                      created_at=r.created_at, started_at=r.started_at,
                      finished_at=r.finished_at)


async def create(rt: Runtime, uow: UnitOfWork, actor: str, data: ReplayCreate) -> ReplayRead:
    in_force = await settings.current(uow.session)
    draft = data.settings or in_force.settings
    eff = settings.effective(0, draft)
    if data.policy_id is not None:
        p = await get_policy(uow, data.policy_id)
        fields = {c: getattr(p, c) for c in POLICY_FIELDS}
        definition = {"id": str(p.id), "name": p.name, "template": p.template, **fields}
    else:
        assert data.policy is not None
        fields = await resolve(uow, eff, data.policy.template, data.policy)
        fields.pop("active", None)
        definition = {"id": None, "name": data.policy.name, "template": data.policy.template,
                      **fields}
    replay = Replay(status="queued", requested_by=actor, policy=definition,
                    settings=draft.model_dump(mode="json"), start_day=data.start,
                    end_day=data.end)
    uow.session.add(replay)
    await uow.session.flush()
    await uow.session.refresh(replay)
    await rt.audit.record(uow.session, actor=actor, action="replay.create",
                          target=f"replay:{replay.id}",
                          detail={"policy": definition, "start": data.start.isoformat(),
                                  "end": data.end.isoformat(),
                                  "draft_settings": data.settings is not None})
    uow.enqueue_after_commit(SCORING_QUEUE, "score.replay", replay_id=str(replay.id))
    return to_read(replay)


async def get(uow: UnitOfWork, replay_id: uuid.UUID, *, lock: bool = False) -> Replay:
    replay = await uow.session.get(Replay, replay_id, with_for_update=lock)
    if replay is None:
        raise ReplayNotFound("no such replay")
    return replay


async def list_replays(uow: UnitOfWork) -> list[ReplaySummary]:
    rows = await uow.session.execute(select(Replay).order_by(Replay.created_at.desc(),
                                                             Replay.id).limit(200))
    return [ReplaySummary(id=r.id, status=r.status, requested_by=r.requested_by,  # type: ignore
                          policy_name=r.policy.get("name", ""), start=r.start_day,
                          end=r.end_day, progress=round(r.progress, 4),
                          created_at=r.created_at, finished_at=r.finished_at)
            for r in rows.scalars()]


async def cancel(rt: Runtime, uow: UnitOfWork, actor: str, replay_id: uuid.UUID) -> ReplayRead:
    # Locked: a run finishing at this moment either commits first (and this is a 409) or
    # sees the cancel; never a 200 for a replay that then succeeds.
    replay = await get(uow, replay_id, lock=True)
    if replay.status not in ("queued", "running"):
        raise ReplayFinished(f"the replay has already {replay.status}",
                             extra={"current_status": replay.status})
    if replay.status == "queued":
        replay.status, replay.finished_at = "cancelled", func.now()
    replay.cancel_requested = True
    await uow.session.flush()
    await uow.session.refresh(replay)
    await rt.audit.record(uow.session, actor=actor, action="replay.cancel",
                          target=f"replay:{replay_id}")
    progressed(uow, replay)
    return to_read(replay)


# --- Running ---------------------------------------------------------------------------------

def progressed(uow: UnitOfWork, replay: Replay) -> None:
    """Tell live subscribers where the replay stands, once this transaction commits (the
    job writes progress at most every PROGRESS_EVERY_S, so notices are as throttled)."""
    publish_after_commit(uow, ReplayProgressNotice(
        replay_id=replay.id, state=replay.status, progress=min(1.0, max(0.0, replay.progress))))


class _Progress:
    """Writes progress now and then, in its own short transaction, and notices a cancel."""

    def __init__(self, rt: Runtime, replay_id: uuid.UUID) -> None:
        self.rt, self.id, self.last = rt, replay_id, 0.0

    async def __call__(self, force: bool = False, **values: Any) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_EVERY_S:
            return
        self.last = now
        async with self.rt.db.unit_of_work() as uow:
            replay = await uow.session.get(Replay, self.id)
            if replay is None or replay.cancel_requested:
                raise Cancelled
            for k, v in values.items():
                setattr(replay, k, v)
            progressed(uow, replay)


async def run(rt: Runtime, replay_id: uuid.UUID) -> str:
    async with rt.db.unit_of_work() as uow:
        replay = await uow.session.get(Replay, replay_id)
        if replay is None or replay.status != "queued":
            return replay.status if replay else "missing"
        replay.status, replay.started_at = "running", func.now()
        progressed(uow, replay)
    outcome: dict[str, Any]
    try:
        result = await execute(rt, replay_id, _Progress(rt, replay_id))
        outcome = {"status": "succeeded", "result": result.model_dump(mode="json"),
                   "progress": 1.0}
    except Cancelled:
        outcome = {"status": "cancelled"}
    except Exception as exc:  # recorded on the replay for the person who asked
        log.exception("replay %s failed", replay_id)
        outcome = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:2000]}
    async with rt.db.unit_of_work() as uow:
        replay = await uow.session.get(Replay, replay_id, with_for_update=True)
        assert replay is not None
        if replay.cancel_requested:  # a cancel answered 200 wins over a late success
            outcome = {"status": "cancelled"}
        for k, v in outcome.items():
            setattr(replay, k, v)
        replay.finished_at = func.now()
        progressed(uow, replay)
    return outcome["status"]


class _Builder:
    """One person's aggregates, built from their signals as they stream past."""

    def __init__(self) -> None:
        self.counts: dict[repo.CountKey, list[int]] = {}
        self.triggers: list[tuple] = []
        self.files: list[FileEvent] = []


async def execute(rt: Runtime, replay_id: uuid.UUID, progress: Any) -> ReplayResult:
    started = time.monotonic()
    async with rt.db.unit_of_work() as uow:
        replay = await uow.session.get(Replay, replay_id)
        assert replay is not None
        eff = settings.effective(0, GlobalSettings.model_validate(replay.settings))
        policy = SimpleNamespace(**replay.policy)
        rule = to_rule(policy, eff)
        start, end = replay.start_day, replay.end_day
        lo = datetime.combine(shift(start, -(rule.past_days + BASELINE_DAYS)),
                              datetime.min.time(), UTC)
        hi = datetime.combine(shift(end, 1), datetime.min.time(), UTC)
        total = (await uow.session.execute(text(
            "SELECT count(*) FROM scoring.signal WHERE occurred_at >= :lo AND occurred_at < :hi"),
            {"lo": lo, "hi": hi})).scalar() or 0
        await progress(force=True, people_total=0, events_read=0, progress=0.0)
        sequence_types = {t for seq in rule.sequences for step in seq.steps for t in step}
        people: dict[uuid.UUID, _Builder] = defaultdict(_Builder)
        read = 0
        async for rows in repo.stream_signals(
                uow.session, "WHERE occurred_at >= $1 AND occurred_at < $2", (lo, hi)):
            for r in rows:
                b = people[r["subject_id"]]
                fold(eff, ((r["subject_id"], r["event_id"], r["type"], r["occurred_at"],
                            r["attrs"]),), b.counts, b.triggers)
                if r["type"] in sequence_types and (step := file_event(
                        eff.detections, r["subject_id"], r["event_id"], r["type"],
                        r["occurred_at"], r["attrs"])):
                    b.files.append(step)
            read += len(rows)
            await progress(events_read=read, people_total=len(people),
                           progress=READ_SHARE * read / max(total, 1))
        subjects = {s.subject_id: s for s in (await uow.session.execute(
            select(Subject).where(Subject.subject_id.in_(list(people))))).scalars()}
        groups = {str(g.id): set(g.members) for g in
                  (await uow.session.execute(select(PriorityGroup))).scalars()}
        manual: dict[uuid.UUID, list[Trigger]] = defaultdict(list)
        if policy.id:
            for m in (await uow.session.execute(select(PolicyMember).where(
                    PolicyMember.policy_id == uuid.UUID(policy.id)))).scalars():
                if start <= m.starts_on <= end:
                    manual[m.subject_id].append(Trigger("manual", m.starts_on,
                                                        f"manual:{m.id}", until=m.until))
    return await _evaluate(eff, policy, rule, people, subjects, groups, manual, start, end,
                           read, started, progress)


def _norms(eff: settings.Effective, people: dict[uuid.UUID, _Builder],
           subjects: dict[uuid.UUID, Subject], end: date) -> dict[uuid.UUID, tuple]:
    """Everyone's exfiltration over the replay's last 30 days, and each person's standing in
    it (the same ranking as live scoring, as of `end`)."""
    exfil = {k for k, i in eff.indicators.items() if i.category == "exfiltration"
             and i.kind != CUMULATIVE}
    since = end - timedelta(days=CUMULATIVE_DAYS - 1)
    totals = []
    for s, b in people.items():
        days = [(ind, day, v[0]) for (_, ind, day, _), v in b.counts.items()
                if since <= day <= end]
        if days:
            dept = subjects[s].department if s in subjects else None
            totals.append((s, dept, sum(n for ind, _, n in days if ind in exfil)))
    norms = Norms(totals, exfil, since)
    return {s: norms.standings(s, dept, n) for s, dept, n in totals}


async def _evaluate(eff: settings.Effective, policy: Any, rule: Any,
                    people: dict[uuid.UUID, _Builder], subjects: dict[uuid.UUID, Subject],
                    groups: dict[str, set[str]], manual: dict[uuid.UUID, list[Trigger]],
                    start: date, end: date, read: int, started: float, progress: Any
                    ) -> ReplayResult:

    norms = _norms(eff, people, subjects, end) if rule.cumulative else {}
    in_group = set().union(*groups.values()) if groups else set()
    alerts, scoped, scored = [], 0, 0
    ordered = sorted(people)
    await progress(force=True, people_total=len(ordered))
    for n, subject in enumerate(ordered, start=1):
        b, row = people[subject], subjects.get(subject)
        if not in_scope(policy, subject, row.department if row else None, groups):
            continue
        scoped += 1
        triggers = [Trigger(kind, day, event_id) for event_id, _, kind, day in b.triggers
                    if start <= day <= end] + manual.get(subject, [])
        if str(subject) in in_group:
            triggers.append(Trigger("priority_group", date.min, "priority_group"))
        counts = [DailyCount(ind, day, v[0], flags, v[1])
                  for (_, ind, day, flags), v in b.counts.items()]
        facts = Facts(priority_group=str(subject) in in_group,
                      previous_violation=bool(row and row.violations),
                      high_impact=bool(row and row.high_impact),
                      standings=norms.get(subject, ()),
                      min_group_size=eff.settings.analytics_min_group_size)
        ev = evaluate(rule, Person(triggers, counts, b.files, facts))
        if ev is not None:
            scored += 1
            if ev.raises_alert:
                alerts.append({"subject_id": subject, "alias": row.alias if row else "",
                               "score": ev.score, "severity": ev.severity,
                               "explanation": explanation(policy, ev, eff.version)})
        if n % 200 == 0:
            await progress(people_done=n, progress=READ_SHARE + (1 - READ_SHARE) * n /
                           len(ordered))
    await progress(force=True, people_done=len(ordered))
    alerts.sort(key=lambda a: (-a["score"], str(a["subject_id"])))
    by_severity = {s: sum(1 for a in alerts if a["severity"] == s)
                   for s in ("high", "medium", "low")}
    elapsed = time.monotonic() - started
    return ReplayResult(alert_count=len(alerts), by_severity=by_severity,
                        people_in_scope=scoped, people_scored=scored, events_read=read,
                        elapsed_s=round(elapsed, 3),
                        events_per_s=round(read / elapsed, 1) if elapsed else 0.0,
                        alerts=alerts[:MAX_ALERTS])  # type: ignore[arg-type]
