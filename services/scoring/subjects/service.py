"""Facts about people that scoring uses: department and high impact (from the directory), and
previous cases closed as violations (from cases)."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text

from services.kit.db import UnitOfWork
from services.kit.errors import NotFound
from services.kit.jobs import SCORING_QUEUE
from services.kit.runtime import Runtime
from services.scoring.models import Policy, RiskScore, Subject
from services.scoring.subjects.schemas import ScoreRead, SubjectAttributes, SubjectRead


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
