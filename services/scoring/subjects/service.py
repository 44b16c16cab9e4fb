"""Facts about people that scoring uses: department and high impact (from the directory, read
from identity's people-change feed by a durable cursor, or set directly), and previous cases
closed as violations (from cases)."""

from __future__ import annotations

import logging
import time
import uuid

from sqlalchemy import select, text

from services.kit.db import UnitOfWork, try_advisory_xact_lock
from services.kit.errors import NotFound
from services.kit.feed import load_cursor, save_cursor
from services.kit.jobs import SCORING_QUEUE
from services.kit.runtime import Runtime
from services.scoring.models import FeedCursor, Policy, RiskScore, Subject
from services.scoring.subjects import repository as repo
from services.scoring.subjects.schemas import ScoreRead, SubjectAttributes, SubjectRead

log = logging.getLogger("openirm.scoring.directory")

DIRECTORY_CURSOR = "identity.people"
DIRECTORY_LOCK = 0x0FE1_0105
DIRECTORY_PAGE = 1000
RESCORE_BATCH = 1000
PASS_S = 60.0  # one job reads for at most this long; the catch-up goes on after it


class SubjectNotFound(NotFound):
    code = "subject_not_found"


def _read(s: Subject) -> SubjectRead:
    return SubjectRead(subject_id=s.subject_id, alias=s.alias, department=s.department,
                       high_impact=s.high_impact, violations=s.violations)


async def get(uow: UnitOfWork, subject_id: uuid.UUID) -> SubjectRead:
    subject = await uow.session.get(Subject, subject_id)
    if subject is None:
        raise SubjectNotFound("scoring has seen no activity of this person")
    return _read(subject)


async def set_attributes(rt: Runtime, uow: UnitOfWork, actor: str, subject_id: uuid.UUID,
                         data: SubjectAttributes) -> SubjectRead:
    """Upsert: the directory may describe a person before any of their activity arrives."""
    before = await uow.session.get(Subject, subject_id)
    old = _read(before).model_dump(mode="json") if before else None
    await uow.session.execute(text("""
        INSERT INTO scoring.subject (subject_id, alias, department, high_impact)
        VALUES (:s, '', :d, :h)
        ON CONFLICT (subject_id) DO UPDATE SET department = excluded.department,
                                                high_impact = excluded.high_impact
    """), {"s": subject_id, "d": data.department, "h": data.high_impact})
    uow.session.expire_all()
    subject = await uow.session.get(Subject, subject_id)
    assert subject is not None
    await rt.audit.record(uow.session, actor=actor, action="subject.attributes",
                          target=f"subject:{subject_id}",
                          detail={"before": old, "after": _read(subject).model_dump(mode="json")})
    uow.enqueue_after_commit(SCORING_QUEUE, "score.subjects", subjects=[str(subject_id)])
    return _read(subject)


async def add_violation(rt: Runtime, uow: UnitOfWork, actor: str, subject_id: uuid.UUID,
                        case_id: uuid.UUID) -> SubjectRead:
    """Idempotent per case."""
    new = await uow.session.execute(text(
        "INSERT INTO scoring.violation (case_id, subject_id) VALUES (:c, :s) "
        "ON CONFLICT DO NOTHING RETURNING case_id"), {"c": case_id, "s": subject_id})
    if new.first() is not None:
        await uow.session.execute(text("""
            INSERT INTO scoring.subject (subject_id, alias, violations) VALUES (:s, '', 1)
            ON CONFLICT (subject_id) DO UPDATE SET violations = scoring.subject.violations + 1
        """), {"s": subject_id})
        await rt.audit.record(uow.session, actor=actor, action="subject.violation",
                              target=f"subject:{subject_id}", detail={"case_id": str(case_id)})
        uow.enqueue_after_commit(SCORING_QUEUE, "score.subjects", subjects=[str(subject_id)])
    uow.session.expire_all()
    subject = await uow.session.get(Subject, subject_id)
    assert subject is not None
    return _read(subject)


async def scores(uow: UnitOfWork, subject_id: uuid.UUID) -> list[ScoreRead]:
    rows = await uow.session.execute(
        select(RiskScore, Policy.name).join(Policy, Policy.id == RiskScore.policy_id)
        .where(RiskScore.subject_id == subject_id).order_by(Policy.name))
    return [ScoreRead(policy_id=r.policy_id, policy_name=name, subject_id=r.subject_id,
                      score=r.score, severity=r.severity, version=r.version,
                      settings_version=r.settings_version, contributions=r.contributions,
                      computed_at=r.computed_at) for r, name in rows.all()]


async def sync_directory(rt: Runtime) -> int:
    """Apply the directory's changes since the durable cursor: department and high impact of
    each person changed, in one transaction with the cursor (a crash means the page is read
    again; applying it twice changes nothing). People scoring already knows are re-scored.
    One pass at a time; a wake-up finding one running leaves the work to it (it reads until
    the feed is empty, and the catch-up runs every few seconds). Returns people applied."""
    total, started = 0, time.monotonic()
    while True:
        async with rt.db.unit_of_work(rt.queue) as uow:
            if not await try_advisory_xact_lock(uow.session, DIRECTORY_LOCK):
                return total
            cursor = await load_cursor(uow.session, FeedCursor, DIRECTORY_CURSOR)
            params: dict = {"limit": DIRECTORY_PAGE}
            if cursor:
                params["cursor"] = cursor
            page = await rt.identity.request("GET", "/people/changes", params=params)
            items = page["items"]
            moved = page["next_cursor"] != cursor
            if moved:
                await save_cursor(uow.session, FeedCursor, DIRECTORY_CURSOR,
                                  page["next_cursor"])
            inserted, updated = await repo.apply_directory(uow.session, items)
            if inserted or updated:
                changed = sorted(inserted + updated)
                await rt.audit.record(uow.session, actor=f"service:{rt.name}",
                                      action="subject.directory_sync",
                                      detail={"read": len(items), "changed": len(changed),
                                              "subject_ids": [str(s) for s in changed[:100]]})
            for i in range(0, len(updated), RESCORE_BATCH):
                uow.enqueue_after_commit(SCORING_QUEUE, "score.subjects", subjects=[
                    str(s) for s in sorted(updated)[i:i + RESCORE_BATCH]])
        total += len(items)
        if items:
            log.info("directory: applied %d changes (%d new, %d updated)", len(items),
                     len(inserted), len(updated))
        if not moved or time.monotonic() - started > PASS_S:
            return total
