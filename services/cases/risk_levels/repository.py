"""All SQL of risk levels: the rules' inputs, the current level, the change log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, select, text, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import RiskLevel, RiskLevelSetting
from services.kit import feed

LOCK_NAMESPACE = 0x0FE1_0312  # with hashtext(subject): one recompute of a person at a time



async def lock_subject(session: AsyncSession, subject_id: uuid.UUID) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:s))"),
                          {"ns": LOCK_NAMESPACE, "s": str(subject_id)})


async def settings(session: AsyncSession) -> RiskLevelSetting | None:
    return await session.get(RiskLevelSetting, 1)


async def current(session: AsyncSession, subject_id: uuid.UUID) -> RiskLevel | None:
    return (await session.execute(select(RiskLevel).where(RiskLevel.subject_id == subject_id)
                                  .execution_options(populate_existing=True))
            ).scalar_one_or_none()


async def counting_alerts(session: AsyncSession, subject_id: uuid.UUID, statuses: list[str],
                          expiry_s: float) -> list[Any]:
    """The person's alerts in a counted status that changed within the expiry window, with
    when each stops counting."""
    return list((await session.execute(text("""
        SELECT id, severity, policy_id, alias, updated_at,
               updated_at + make_interval(secs => :expiry) AS expires_at
        FROM cases.alert
        WHERE subject_id = :s AND status = ANY(:statuses)
          AND updated_at + make_interval(secs => :expiry) > now()
    """).bindparams(bindparam("statuses", type_=ARRAY(String))),
        {"s": subject_id, "statuses": statuses, "expiry": expiry_s})).all())


async def counting_violations(session: AsyncSession, subject_id: uuid.UUID, expiry_s: float
                              ) -> list[Any]:
    """Cases about the person closed as a confirmed violation within the expiry window, with
    the policies of their alerts."""
    return list((await session.execute(text("""
        SELECT c.id, c.alias, c.closed_at AS updated_at,
               c.closed_at + make_interval(secs => :expiry) AS expires_at,
               coalesce((SELECT array_agg(DISTINCT a.policy_id) FROM cases.alert AS a
                         WHERE a.case_id = c.id), '{}') AS policy_ids
        FROM cases."case" AS c
        WHERE c.subject_id = :s AND c.classification = 'confirmed_violation'
          AND c.closed_at + make_interval(secs => :expiry) > now()
    """), {"s": subject_id, "expiry": expiry_s})).all())


async def latest_alias(session: AsyncSession, subject_id: uuid.UUID) -> str | None:
    return (await session.execute(text("""
        SELECT alias FROM cases.alert WHERE subject_id = :s ORDER BY updated_at DESC LIMIT 1
    """), {"s": subject_id})).scalar()


async def record_change(session: AsyncSession, level: RiskLevel, previous: str) -> Any:
    return (await session.execute(text("""
        INSERT INTO cases.risk_level_change (subject_id, alias, level, previous_level, rule,
                                             source_type, source_id, expires_at)
        VALUES (:subject_id, :alias, :level, :previous, :rule, :source_type, :source_id,
                :expires_at)
        RETURNING seq, changed_at
    """), {"subject_id": level.subject_id, "alias": level.alias, "level": level.level,
           "previous": previous, "rule": level.rule, "source_type": level.source_type,
           "source_id": level.source_id, "expires_at": level.expires_at})).one()


async def page(session: AsyncSession, *, level: str | None, subject_id: uuid.UUID | None,
               after: tuple[datetime, uuid.UUID] | None, limit: int,
               subjects: list[uuid.UUID] | None) -> list[RiskLevel]:
    stmt = select(RiskLevel).order_by(RiskLevel.updated_at.desc(),
                                      RiskLevel.subject_id.desc()).limit(limit)
    if subjects is not None:
        stmt = stmt.where(RiskLevel.subject_id.in_(subjects))
    stmt = stmt.where(RiskLevel.level == level) if level else \
        stmt.where(RiskLevel.level != "none")
    if subject_id:
        stmt = stmt.where(RiskLevel.subject_id == subject_id)
    if after:
        stmt = stmt.where(tuple_(RiskLevel.updated_at, RiskLevel.subject_id) < after)
    return list((await session.execute(stmt)).scalars())


async def expired(session: AsyncSession, limit: int) -> list[uuid.UUID]:
    return list((await session.execute(text("""
        SELECT subject_id FROM cases.risk_level
        WHERE level <> 'none' AND expires_at <= now() ORDER BY expires_at LIMIT :limit
    """), {"limit": limit})).scalars())


async def everyone_after(session: AsyncSession, after: uuid.UUID | None, limit: int
                         ) -> list[uuid.UUID]:
    """Everyone who has a level or an alert or violation that could give one, by id."""
    return list((await session.execute(text("""
        SELECT subject_id FROM (
            SELECT subject_id FROM cases.risk_level
            UNION SELECT subject_id FROM cases.alert
                  WHERE status IN ('needs_review', 'confirmed', 'resolved')
            UNION SELECT subject_id FROM cases."case"
                  WHERE classification = 'confirmed_violation') AS s
        WHERE CAST(:after AS uuid) IS NULL OR subject_id > CAST(:after AS uuid)
        ORDER BY subject_id LIMIT :limit
    """), {"after": after, "limit": limit})).scalars())


_COLUMNS = ("t.seq, t.subject_id, t.alias, t.level, t.previous_level, t.rule, t.source_type, "
            "t.source_id, t.expires_at, t.changed_at, t.xid::text AS xid")


async def changes(session: AsyncSession, *, after: tuple[int, int], limit: int,
                  subjects: list[uuid.UUID] | None,
                  up_to: tuple[int, int] | None = None) -> list[Any]:
    """Changes after `after` in commit order (services/kit/feed.py), optionally only about
    `subjects` and only up to `up_to`."""
    return await feed.subject_page(session, "cases.risk_level_change", _COLUMNS, after=after,
                                   limit=limit, subjects=subjects, up_to=up_to)


async def head(session: AsyncSession) -> tuple[int, int] | None:
    return await feed.head(session, "cases.risk_level_change")
