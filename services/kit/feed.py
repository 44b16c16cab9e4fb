"""Commit-ordered change feeds over a table with `xid xid8` and `seq bigint` columns.

A reader keeps a cursor (xid, seq). Rows are served only from transactions older than the
current snapshot's xmin, i.e. already finished, so a transaction that took its sequence value
early but committed late can never land behind a cursor that has moved on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import StreamingResponse
from sqlalchemy import bindparam, func, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import UserDefinedType

from services.kit.errors import InvalidInput
from services.kit.pagination import decode_cursor, encode_cursor

START = (0, 0)


def parse_cursor(cursor: str | None) -> tuple[int, int]:
    decoded = decode_cursor(cursor, 2)
    if not decoded:
        return START
    try:
        xid, seq = int(decoded[0]), int(decoded[1])
    except (TypeError, ValueError):
        raise InvalidInput("cursor is not valid", code="invalid_cursor") from None
    if not (0 <= xid < 2**63 and 0 <= seq < 2**63):
        raise InvalidInput("cursor is not valid", code="invalid_cursor")
    return xid, seq


def next_cursor(rows: list[Any], cursor: str | None) -> str | None:
    return encode_cursor([int(rows[-1].xid), rows[-1].seq]) if rows else cursor


WHOLE_TRANSACTION_CAP = 50_000


async def read_feed(session: AsyncSession, table: str, columns: str, cursor: str | None,
                    limit: int) -> list[Any]:
    """Up to `limit` rows after the cursor, completed to the end of the last transaction they
    touch (up to WHOLE_TRANSACTION_CAP more rows): a reader then sees a batch that committed
    at once as one step, never half of it."""
    xid, seq = parse_cursor(cursor)
    # Order by the table's xid8 column (t.xid), not the text alias in the select list:
    # ordering "1000" before "999" as text would skip rows.
    sql = text(f"""
        SELECT {columns}, t.xid::text AS xid, t.seq FROM {table} AS t
        WHERE (t.xid, t.seq) > (CAST(:xid AS xid8), :seq)
          AND t.xid < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY t.xid, t.seq LIMIT :limit
    """)
    rows = list((await session.execute(sql, {"xid": xid, "seq": seq, "limit": limit})).all())
    if len(rows) == limit:
        rest = text(f"""
            SELECT {columns}, t.xid::text AS xid, t.seq FROM {table} AS t
            WHERE t.xid = CAST(:xid AS xid8) AND t.seq > :seq
            ORDER BY t.seq LIMIT :cap
        """)
        rows += (await session.execute(rest, {"xid": int(rows[-1].xid), "seq": rows[-1].seq,
                                              "cap": WHOLE_TRANSACTION_CAP})).all()
    return rows


async def subject_page(session: AsyncSession, table: str, columns: str, *,
                       after: tuple[int, int], limit: int, subjects: list[Any] | None,
                       up_to: tuple[int, int] | None = None) -> list[Any]:
    """Rows of a feed table with a `subject_id` column after `after`, in commit order and only
    from finished transactions, optionally only about `subjects` (a scoped reader) and only up
    to `up_to` (a stream's end). `columns` name the table as `t` and select `t.xid::text AS
    xid` and `t.seq`."""
    where = ["(t.xid, t.seq) > (CAST(:xid AS xid8), :seq)",
             "t.xid < pg_snapshot_xmin(pg_current_snapshot())"]
    params: dict[str, Any] = {"xid": after[0], "seq": after[1], "limit": limit}
    if up_to is not None:
        where.append("(t.xid, t.seq) <= (CAST(:up_xid AS xid8), :up_seq)")
        params |= {"up_xid": up_to[0], "up_seq": up_to[1]}
    if subjects is not None:
        where.append("t.subject_id = ANY(:subjects)")
        params["subjects"] = subjects
    stmt = text(f"SELECT {columns} FROM {table} AS t WHERE {' AND '.join(where)} "
                "ORDER BY t.xid, t.seq LIMIT :limit")
    if subjects is not None:
        stmt = stmt.bindparams(bindparam("subjects", type_=ARRAY(UUID(as_uuid=True))))
    return list((await session.execute(stmt, params)).all())


async def head(session: AsyncSession, table: str) -> tuple[int, int] | None:
    """The last row of a finished transaction: a stream stops there, so it has an end and a
    cursor to resume from."""
    row = (await session.execute(text(f"""
        SELECT t.xid::text AS xid, t.seq FROM {table} AS t
        WHERE t.xid < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY t.xid DESC, t.seq DESC LIMIT 1
    """))).first()
    return (int(row.xid), row.seq) if row else None


NDJSON = "application/x-ndjson"


def ndjson_feed_doc(schema: str) -> dict[str, Any]:
    """The OpenAPI answer of a feed that also streams: a page, or NDJSON records of `schema`
    with the cursor to resume from in `X-Next-Cursor`."""
    return {
        "description": "A page of changes; with `Accept: application/x-ndjson`, every change "
                       "after the cursor up to the newest at the start of the request, one "
                       "record a line, and the cursor to resume from in `X-Next-Cursor`.",
        "content": {NDJSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        "headers": {"X-Next-Cursor": {"description": "NDJSON only: give it back as `cursor`.",
                                      "schema": {"type": "string"}}},
    }


@dataclass
class Stream:
    next_cursor: str | None
    body: AsyncIterator[bytes]

    def response(self) -> StreamingResponse:
        headers = {"Cache-Control": "no-store"}
        if self.next_cursor:
            headers["X-Next-Cursor"] = self.next_cursor
        return StreamingResponse(self.body, media_type=NDJSON, headers=headers)


ReadHead = Callable[[AsyncSession], Awaitable[tuple[int, int] | None]]
ReadPage = Callable[..., Awaitable[list[Any]]]  # (session, *, after, limit, up_to)


async def stream(db: Any, cursor: str | None, *, read_head: ReadHead, read_page: ReadPage,
                 encode: Callable[[Any], bytes], chunk_rows: int) -> Stream:
    """Every row after the cursor up to the newest finished one at this moment, as NDJSON
    (`encode` makes one line's JSON), one short read per chunk: flat memory, no transaction
    held while a client reads. The cursor to resume from is known before the first byte, so
    it goes in a header."""
    after = parse_cursor(cursor)
    async with db.sessionmaker() as session:
        last = await read_head(session)
    if last is None or last <= after:
        return Stream(cursor, _empty())
    return Stream(encode_cursor(list(last)), _chunks(db, after, last, read_page, encode,
                                                     chunk_rows))


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""


async def _chunks(db: Any, after: tuple[int, int], up_to: tuple[int, int], read_page: ReadPage,
                  encode: Callable[[Any], bytes], chunk_rows: int) -> AsyncIterator[bytes]:
    while True:
        async with db.sessionmaker() as session:
            rows = await read_page(session, after=after, limit=chunk_rows, up_to=up_to)
        if rows:
            yield b"".join(encode(r) + b"\n" for r in rows)
        if len(rows) < chunk_rows:
            return
        after = (int(rows[-1].xid), rows[-1].seq)


class Xid8(UserDefinedType):
    """PostgreSQL's 64-bit transaction id, the commit-order key of a feed table."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


async def load_cursor(session: AsyncSession, model: type, name: str) -> str | None:
    """A reader's durable position in a feed, kept in the reader's own `feed_cursor` table."""
    row = await session.get(model, name)
    return row.cursor if row else None


async def save_cursor(session: AsyncSession, model: type, name: str, cursor: str | None) -> None:
    """Store the position in the same transaction as the work done on what was read."""
    stmt = insert(model).values(name=name, cursor=cursor)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[model.name], set_={"cursor": cursor, "updated_at": func.now()}))
