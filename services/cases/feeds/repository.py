"""All SQL of the SIEM export feed: the alert change log, written and read by (xid, seq)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

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
    """Changes after `after` in commit order, only from transactions that have finished (see
    services/kit/feed.py), optionally only about `subjects` and only up to `up_to`."""
    where = ["(t.xid, t.seq) > (CAST(:xid AS xid8), :seq)",
             "t.xid < pg_snapshot_xmin(pg_current_snapshot())"]
    params: dict[str, Any] = {"xid": after[0], "seq": after[1], "limit": limit}
    if up_to is not None:
        where.append("(t.xid, t.seq) <= (CAST(:up_xid AS xid8), :up_seq)")
        params |= {"up_xid": up_to[0], "up_seq": up_to[1]}
    if subjects is not None:
        where.append("t.subject_id = ANY(:subjects)")
        params["subjects"] = subjects
    stmt = text(f"SELECT {_COLUMNS} FROM cases.alert_change AS t WHERE {' AND '.join(where)} "
                "ORDER BY t.xid, t.seq LIMIT :limit")
    if subjects is not None:
        stmt = stmt.bindparams(bindparam("subjects", type_=ARRAY(UUID(as_uuid=True))))
    return list((await session.execute(stmt, params)).all())


async def head(session: AsyncSession) -> tuple[int, int] | None:
    """The last change of a finished transaction: a stream stops there, so it has an end
    and a cursor to resume from."""
    row = (await session.execute(text("""
        SELECT t.xid::text AS xid, t.seq FROM cases.alert_change AS t
        WHERE t.xid < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY t.xid DESC, t.seq DESC LIMIT 1
    """))).first()
    return (int(row.xid), row.seq) if row else None
