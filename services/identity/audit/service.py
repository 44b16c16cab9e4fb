"""Querying and verifying the audit log (Auditors only)."""

from __future__ import annotations

from datetime import datetime

from services.identity.audit import repository as repo
from services.identity.audit.schemas import AuditEntry, AuditPage, ChainVerification
from services.kit.db import UnitOfWork
from services.kit.pagination import decode_cursor, encode_cursor


async def query(uow: UnitOfWork, *, cursor: str | None, actor: str | None, action: str | None,
                target: str | None, since: datetime | None, until: datetime | None,
                limit: int) -> AuditPage:
    decoded = decode_cursor(cursor, 1)
    before = int(decoded[0]) if decoded else None
    rows = await repo.query(uow.session, before_seq=before, actor=actor, action=action,
                            target=target, since=since, until=until, limit=limit + 1)
    items = [AuditEntry.model_validate(r, from_attributes=True) for r in rows[:limit]]
    next_cursor = encode_cursor([items[-1].seq]) if len(rows) > limit else None
    return AuditPage(items=items, next_cursor=next_cursor)


async def verify(uow: UnitOfWork) -> ChainVerification:
    """Walk the whole chain: each row's hash must be recomputable and link to its predecessor."""
    checked, prev_hash, expected_seq = 0, None, 1
    async for row in repo.chain(uow.session):
        reason = None
        if row.seq != expected_seq:
            reason = f"row {expected_seq} is missing"
        elif row.prev_hash != prev_hash:
            reason = "link to the previous row is broken"
        elif row.hash != row.expected:
            reason = "row content does not match its hash"
        if reason:
            return ChainVerification(valid=False, rows_checked=checked,
                                     first_broken_seq=expected_seq if row.seq != expected_seq
                                     else row.seq, reason=reason)
        checked, prev_hash, expected_seq = checked + 1, row.hash, row.seq + 1
    return ChainVerification(valid=True, rows_checked=checked)
