"""Scoring as events arrive: read ingest's committed-event feed by a durable cursor, update
per-person daily aggregates and triggers, re-score the people touched, and append an alert
candidate when a score crosses a policy's threshold. Aggregates, cursor and candidates commit
in one transaction, so a crash anywhere means the batch is simply read again."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import func

from services.kit.db import UnitOfWork, advisory_xact_lock
from services.kit.feed import load_cursor, save_cursor
from services.kit.jobs import CASES_QUEUE
from services.kit.runtime import Runtime
from services.scoring.engine.catalogue import INDICATOR_BY_ACTIVITY, TRIGGER_ACTIVITIES
from services.scoring.engine.rules import Evaluation, evaluate, trigger_day
from services.scoring.models import AlertCandidate, FeedCursor, Policy, RiskScore
from services.scoring.pipeline import repository as repo
from services.scoring.policies.service import to_rule

log = logging.getLogger("openirm.scoring")

SCORING_LOCK = 0x0FE1_0001
EVENTS_CURSOR = "ingest.events"
BATCH = 2000


async def process_feed(rt: Runtime) -> int:
    """Score everything ingest has committed since the cursor; returns events processed."""
    total = 0
    while True:
        async with rt.db.unit_of_work(rt.queue) as uow:
            await advisory_xact_lock(uow.session, SCORING_LOCK)
            cursor = await load_cursor(uow.session, FeedCursor, EVENTS_CURSOR)
            page = await rt.ingest.request("GET", "/events/feed",
                                           params={"cursor": cursor, "limit": BATCH}
                                           if cursor else {"limit": BATCH})
            items = page["items"]
            if not items:
                return total
            touched = await _aggregate(uow, items)
            await save_cursor(uow.session, FeedCursor, EVENTS_CURSOR, page["next_cursor"])
            await rescore(uow, touched, await repo.active_policies(uow.session))
        total += len(items)
        if len(items) < BATCH:
            return total


async def _aggregate(uow: UnitOfWork, items: list[dict]) -> set[uuid.UUID]:
    counts: dict[tuple[uuid.UUID, str, object], int] = {}
    triggers: list[dict] = []
    aliases: dict[uuid.UUID, str] = {}
    for ev in items:
        subject = uuid.UUID(ev["subject_id"])
        aliases[subject] = ev["alias"]
        occurred = datetime.fromisoformat(ev["occurred_at"])
        if ev["type"] in TRIGGER_ACTIVITIES:
            triggers.append({"event_id": ev["id"], "subject_id": subject, "kind": ev["type"],
                             "day": trigger_day(ev["type"], occurred, ev["attributes"])})
        indicator = INDICATOR_BY_ACTIVITY.get(ev["type"])
        if indicator:
            key = (subject, indicator, occurred.date())
            counts[key] = counts.get(key, 0) + 1
    await repo.upsert_subjects(uow.session, aliases)
    await repo.add_counts(uow.session, counts)  # type: ignore[arg-type]
    await repo.add_triggers(uow.session, triggers)
    return set(aliases)


def explanation(policy: Policy, ev: Evaluation) -> dict:
    return {
        "policy_id": str(policy.id), "template": policy.template,
        "trigger": {"kind": ev.trigger.kind, "day": ev.trigger.day.isoformat(),
                    "event_id": ev.trigger.event_id},
        "window": {"start": ev.window_start.isoformat(), "end": ev.window_end.isoformat()},
        "alert_threshold": policy.alert_threshold,
        "contributions": [c.as_dict() for c in ev.contributions],
        "formula": "sum of contribution points, capped at 100",
    }


async def rescore(uow: UnitOfWork, subjects: set[uuid.UUID], policies: list[Policy]) -> int:
    """Re-evaluate these people under these policies; returns alert candidates appended."""
    if not subjects or not policies:
        return 0
    triggers = await repo.triggers_of(uow.session, subjects)
    in_scope = sorted(s for s in subjects if s in triggers)
    if not in_scope:
        return 0
    counts = await repo.counts_of(uow.session, in_scope)
    aliases = await repo.aliases_of(uow.session, in_scope)
    appended = 0
    for policy in policies:
        rule = to_rule(policy)
        current = await repo.scores_of(uow.session, policy.id, in_scope)
        for subject in in_scope:
            ev = evaluate(rule, triggers[subject], counts.get(subject, []))
            if ev is None:
                continue
            contributions = [c.as_dict() for c in ev.contributions]
            score = current.get(subject)
            if score is None:
                score = RiskScore(policy_id=policy.id, subject_id=subject, score=ev.score,
                                  severity=ev.severity, contributions=contributions, version=1)
                uow.session.add(score)
            elif score.score != ev.score or score.contributions != contributions:
                score.score, score.severity = ev.score, ev.severity
                score.contributions, score.version = contributions, score.version + 1
                score.computed_at = func.now()
            # A changed score, or an unchanged one that now crosses a lowered threshold.
            if ev.raises_alert and score.alerted_version != score.version:
                score.alerted_version = version = score.version
                uow.session.add(AlertCandidate(
                    policy_id=policy.id, policy_name=policy.name, subject_id=subject,
                    alias=aliases.get(subject, ""), score=ev.score, severity=ev.severity,
                    version=version, explanation=explanation(policy, ev)))
                appended += 1
    await uow.session.flush()
    if appended:
        uow.enqueue_after_commit(CASES_QUEUE, "alert.sync")
    return appended


async def rescore_policy(rt: Runtime, policy_id: uuid.UUID) -> int:
    """After a policy is created or changed: score everyone with a triggering event."""
    async with rt.db.unit_of_work(rt.queue) as uow:
        await advisory_xact_lock(uow.session, SCORING_LOCK)
        policy = await uow.session.get(Policy, policy_id)
        if policy is None or not policy.active:
            return 0
        subjects = set(await repo.triggered_subjects(uow.session))
        return await rescore(uow, subjects, [policy])
