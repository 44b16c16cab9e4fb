"""All SQL of the SIEM export feed: the alert change log, written and read by (xid, seq)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import feed

_RECORD = text("""
    INSERT INTO cases.alert_change (alert_id, operation, policy_id, policy_name, subject_id,
                                    alias, status, severity, score, explanation, case_id,
                                    reviewer_id, detected_at, changed_at)
    SELECT id, :operation, policy_id, policy_name, subject_id, alias, status, severity, score,
           explanation, case_id, reviewer_id, created_at, updated_at
    FROM cases.alert WHERE id = :alert_id
    RETURNING alert_id, operation, policy_id, policy_name, subject_id, alias, status, severity,
              score, explanation, case_id, reviewer_id, detected_at, changed_at
""")

_LAST = text("""
    SELECT status, severity, score FROM cases.alert_change WHERE alert_id = :alert_id
    ORDER BY seq DESC LIMIT 1
""")

_COLUMNS = ("t.seq, t.alert_id, t.operation, t.policy_id, t.policy_name, t.subject_id, "
            "t.alias, t.status, t.severity, t.score, t.explanation, t.case_id, t.detected_at, "
            "t.changed_at, t.xid::text AS xid")


async def record(session: AsyncSession, alert_id: uuid.UUID, operation: str
                 ) -> tuple[Any | None, Any]:
    """Copy the alert as the database holds it now (the caller has flushed); returns the
    change recorded before this one (None for the first) and this one."""
    previous = (await session.execute(_LAST, {"alert_id": alert_id})).first()
    row = (await session.execute(_RECORD, {"alert_id": alert_id,
                                           "operation": operation})).one()
    return previous, row


async def page(session: AsyncSession, *, after: tuple[int, int], limit: int,
               subjects: list[uuid.UUID] | None,
               up_to: tuple[int, int] | None = None) -> list[Any]:
    """Changes after `after` in commit order (services/kit/feed.py), optionally only about
    `subjects` and only up to `up_to`."""
    return await feed.subject_page(session, "cases.alert_change", _COLUMNS, after=after,
                                   limit=limit, subjects=subjects, up_to=up_to)


async def head(session: AsyncSession) -> tuple[int, int] | None:
    return await feed.head(session, "cases.alert_change")
