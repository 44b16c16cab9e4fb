from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.audit.schemas import AuditFilters
from services.kit.audit import AuditLog

_LOG = AuditLog.__table__
_ENTRY_COLUMNS = [_LOG.c[name] for name in ("seq", "at", "service", "actor", "action",
                                             "target", "outcome", "request_id", "detail",
                                             "prev_hash", "hash")]


def _filtered(stmt: Select, f: AuditFilters) -> Select:
    if f.actor:
        stmt = stmt.where(_LOG.c.actor == f.actor)
    if f.action:
        stmt = stmt.where(_LOG.c.action.startswith(f.action, autoescape=True))
    if f.target:
        stmt = stmt.where(_LOG.c.target == f.target)
    if f.outcome:
        stmt = stmt.where(_LOG.c.outcome == f.outcome)
    if f.since:
        stmt = stmt.where(_LOG.c.at >= f.since)
    if f.until:
        stmt = stmt.where(_LOG.c.at < f.until)
    return stmt


async def query(session: AsyncSession, f: AuditFilters, *, before_seq: int | None,
                limit: int) -> Sequence[Any]:
    """Newest first, before `before_seq` (the cursor)."""
    stmt = _filtered(select(*_ENTRY_COLUMNS), f).order_by(_LOG.c.seq.desc()).limit(limit)
    if before_seq is not None:
        stmt = stmt.where(_LOG.c.seq < before_seq)
    return (await session.execute(stmt)).all()


async def export_chunk(session: AsyncSession, f: AuditFilters, *, after_seq: int,
                       up_to_seq: int, limit: int) -> Sequence[Any]:
    """Oldest first: the next `limit` rows after `after_seq`, none past `up_to_seq`."""
    stmt = _filtered(select(*_ENTRY_COLUMNS), f).where(
        _LOG.c.seq > after_seq, _LOG.c.seq <= up_to_seq).order_by(_LOG.c.seq).limit(limit)
    return (await session.execute(stmt)).all()


async def head(session: AsyncSession) -> tuple[int, str] | None:
    """The newest row's seq and hash."""
    row = (await session.execute(select(_LOG.c.seq, _LOG.c.hash)
                                 .order_by(_LOG.c.seq.desc()).limit(1))).first()
    return (row.seq, row.hash) if row else None


_LINK = """
    SELECT seq, prev_hash, hash,
           audit.row_hash(prev_hash, seq, at, service, actor, action, target, outcome,
                          request_id, detail) AS expected
    FROM audit.audit_log"""
_CHAIN = text(_LINK + " WHERE seq > :after ORDER BY seq LIMIT :limit")
_LINK_AT = text(_LINK + " WHERE seq = :seq")


async def chain(session: AsyncSession, *, after_seq: int = 0,
                chunk: int = 5000) -> AsyncIterator[Any]:
    """Every row after `after_seq` in order, with the hash recomputed from its content."""
    after = after_seq
    while True:
        rows = (await session.execute(_CHAIN, {"after": after, "limit": chunk})).all()
        for row in rows:
            yield row
        if len(rows) < chunk:
            return
        after = rows[-1].seq


async def link_at(session: AsyncSession, seq: int) -> Any | None:
    """One row of the chain (as `chain` yields them), or None if there is no such row."""
    return (await session.execute(_LINK_AT, {"seq": seq})).first()
