"""Querying, exporting and verifying the audit log (Auditors only)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.identity.audit import repository as repo
from services.identity.audit.exceptions import InvalidAuditFilter
from services.identity.audit.schemas import (
    EXPORT_COLUMNS,
    AuditEntry,
    AuditFilters,
    AuditPage,
    ChainVerification,
    ExportFormat,
)
from services.kit.audit import AuditWriter
from services.kit.db import Database, UnitOfWork
from services.kit.pagination import decode_cursor, encode_cursor

EXPORT_CHUNK_ROWS = 1000
MEDIA_TYPES = {ExportFormat.ndjson: "application/x-ndjson", ExportFormat.csv: "text/csv"}


def _entries(rows: Sequence[Any]) -> list[AuditEntry]:
    return [AuditEntry.model_validate(dict(r._mapping)) for r in rows]


async def query(uow: UnitOfWork, filters: AuditFilters, *, cursor: str | None,
                limit: int) -> AuditPage:
    decoded = decode_cursor(cursor, 1)
    before = None
    if decoded:
        if not isinstance(decoded[0], int) or isinstance(decoded[0], bool) \
                or not 0 < decoded[0] < 2**63:
            raise InvalidAuditFilter("cursor", "is not a cursor of this list")
        before = decoded[0]
    rows = await repo.query(uow.session, filters, before_seq=before, limit=limit + 1)
    items = _entries(rows[:limit])
    next_cursor = encode_cursor([items[-1].seq]) if len(rows) > limit else None
    return AuditPage(items=items, next_cursor=next_cursor)


# -- export -------------------------------------------------------------------------------

@dataclass
class Export:
    up_to_seq: int
    media_type: str
    filename: str
    body: AsyncIterator[bytes]


async def start_export(db: Database, audit: AuditWriter, *, actor: str, filters: AuditFilters,
                       fmt: ExportFormat, chunk_rows: int = EXPORT_CHUNK_ROWS) -> Export:
    """Record the export in its own transaction, committed before a byte is sent, then hand
    back the stream. The export holds the rows up to the newest one at this moment, so what
    was exported is exactly what its audit row says."""
    async with db.unit_of_work() as uow:
        head = await repo.head(uow.session)
        up_to = head[0] if head else 0
        await audit.record(uow.session, actor=actor, action="audit.export",
                           target="audit.audit_log",
                           detail={"format": fmt.value, "filters": filters.given(),
                                   "up_to_seq": up_to})
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    encode = _ndjson if fmt is ExportFormat.ndjson else _csv
    return Export(up_to_seq=up_to, media_type=MEDIA_TYPES[fmt],
                  filename=f"openirm-audit-{stamp}-to-{up_to}.{fmt.value}",
                  body=_stream(db, filters, up_to, chunk_rows, encode, fmt))


async def _stream(db: Database, filters: AuditFilters, up_to: int, chunk_rows: int,
                  encode, fmt: ExportFormat) -> AsyncIterator[bytes]:
    """One short read per chunk, by seq: memory stays flat however long the log, and no
    transaction stays open while a slow client reads."""
    if fmt is ExportFormat.csv:
        yield _csv_header()
    after = 0
    while after < up_to:
        async with db.sessionmaker() as session:
            rows = await repo.export_chunk(session, filters, after_seq=after, up_to_seq=up_to,
                                           limit=chunk_rows)
        if rows:
            yield encode(_entries(rows))
        if len(rows) < chunk_rows:
            return
        after = rows[-1].seq


def _ndjson(entries: list[AuditEntry]) -> bytes:
    return b"".join(e.model_dump_json().encode() + b"\n" for e in entries)


def _csv_header() -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(EXPORT_COLUMNS)
    return buf.getvalue().encode()


def _csv(entries: list[AuditEntry]) -> bytes:
    """RFC 4180; `detail` as JSON; an empty cell is a null. Values are written as stored
    (never altered to defuse spreadsheet formulas: the export must match the hash chain)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for entry in entries:
        data = entry.model_dump(mode="json")
        data["detail"] = json.dumps(data["detail"], ensure_ascii=False, separators=(",", ":"))
        writer.writerow(["" if data[c] is None else data[c] for c in EXPORT_COLUMNS])
    return buf.getvalue().encode()


# -- verify -------------------------------------------------------------------------------

async def verify(uow: UnitOfWork, *, since_seq: int | None = None,
                 expected_hash: str | None = None) -> ChainVerification:
    """Walk the chain (from an anchor when given): each row must be present, recomputable
    from its content and linked to its predecessor; report the first broken link."""
    if (since_seq is None) != (expected_hash is None):
        missing = "expected_hash" if expected_hash is None else "since_seq"
        raise InvalidAuditFilter(missing, "since_seq and expected_hash go together")
    session = uow.session
    checked, prev_hash, expected_seq = 0, None, 1
    last: tuple[int, str] | None = None

    async def broken(seq: int, reason: str) -> ChainVerification:
        head = await repo.head(session)
        return ChainVerification(valid=False, rows_checked=checked, first_broken_seq=seq,
                                 reason=reason, since_seq=since_seq,
                                 head_seq=head[0] if head else None,
                                 head_hash=head[1] if head else None)

    if since_seq is not None:
        anchor = await repo.link_at(session, since_seq)
        if anchor is None:
            return await broken(since_seq, f"row {since_seq} is missing")
        if anchor.hash != expected_hash:
            return await broken(since_seq, "row does not match the anchored hash")
        if anchor.hash != anchor.expected:
            return await broken(since_seq, "row content does not match its hash")
        checked, prev_hash, expected_seq = 1, anchor.hash, since_seq + 1
        last = (anchor.seq, anchor.hash)
    async for row in repo.chain(session, after_seq=expected_seq - 1):
        if row.seq != expected_seq:
            return await broken(expected_seq, f"row {expected_seq} is missing")
        if row.prev_hash != prev_hash:
            return await broken(row.seq, "link to the previous row is broken")
        if row.hash != row.expected:
            return await broken(row.seq, "row content does not match its hash")
        checked, prev_hash, expected_seq = checked + 1, row.hash, row.seq + 1
        last = (row.seq, row.hash)
    return ChainVerification(valid=True, rows_checked=checked, since_seq=since_seq,
                             head_seq=last[0] if last else None,
                             head_hash=last[1] if last else None)
