"""The commit-ordered feed, on the real database: every row once, in transaction order."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.kit.db import async_url
from services.kit.feed import next_cursor, read_feed
from tests.conftest import Api


async def test_feed_orders_by_transaction_id_as_a_number(api: Api) -> None:
    engine = create_async_engine(async_url(api.stack.database_url))
    try:
        async with AsyncSession(engine) as session:
            await session.execute(text(
                "CREATE TEMP TABLE feed_probe (id text, xid xid8, seq bigint)"))
            # Finished transaction ids across digit boundaries: as text, "10" sorts before
            # "9" and "100" before "99". Sequence values need not follow transaction order.
            rows = [("a", 8, 1), ("b", 9, 5), ("c", 10, 3), ("d", 10, 2), ("e", 99, 4),
                    ("f", 100, 7), ("g", 100, 6)]
            for id_, xid, seq in rows:
                await session.execute(text(
                    "INSERT INTO feed_probe VALUES (:id, CAST(:xid AS text)::xid8, :seq)"),
                    {"id": id_, "xid": str(xid), "seq": seq})
            seen, pages, cursor = [], [], None
            while page := await read_feed(session, "feed_probe", "id", cursor, 2):
                seen += [r.id for r in page]
                pages.append([r.id for r in page])
                cursor = next_cursor(page, cursor)
            assert seen == ["a", "b", "d", "c", "e", "g", "f"]
            # A page never ends inside a transaction: xid 10's rows come together.
            assert pages == [["a", "b"], ["d", "c"], ["e", "g", "f"]]
    finally:
        await engine.dispose()
