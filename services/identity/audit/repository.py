from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import AuditLog


async def query(session: AsyncSession, *, before_seq: int | None, actor: str | None,
                action: str | None, target: str | None, since: datetime | None,
                until: datetime | None, limit: int) -> list[AuditLog]:
    stmt = select(AuditLog).order_by(AuditLog.seq.desc()).limit(limit)
    if before_seq is not None:
        stmt = stmt.where(AuditLog.seq < before_seq)
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action, autoescape=True))
    if target:
        stmt = stmt.where(AuditLog.target == target)
    if since:
        stmt = stmt.where(AuditLog.at >= since)
    if until:
        stmt = stmt.where(AuditLog.at < until)
    return list((await session.execute(stmt)).scalars())


_CHAIN = text("""
    SELECT seq, prev_hash, hash,
           audit.row_hash(prev_hash, seq, at, service, actor, action, target, outcome,
                          request_id, detail) AS expected
    FROM audit.audit_log WHERE seq > :after ORDER BY seq LIMIT :limit
""")


async def chain(session: AsyncSession, chunk: int = 5000) -> AsyncIterator[Any]:
    after = 0
    while True:
        rows = (await session.execute(_CHAIN, {"after": after, "limit": chunk})).all()
        for row in rows:
            yield row
        if len(rows) < chunk:
            return
        after = rows[-1].seq
