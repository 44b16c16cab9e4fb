from __future__ import annotations

from datetime import date, datetime

import asyncpg

PARTITION_LOCK = 0x0A11_0E01  # one transaction at a time creates or drops partitions


def partition_name(month: date) -> str:
    return f"activity_event_y{month.year:04d}m{month.month:02d}"


async def create_partition(conn: asyncpg.Connection, month: date, until: date) -> bool:
    """Create the month's partition unless it exists; True if it was created."""
    name = partition_name(month)
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"ingest.{name}")
    if exists:
        return False
    await conn.execute(
        f"CREATE TABLE ingest.{name} PARTITION OF ingest.activity_event "
        f"FOR VALUES FROM ('{month.isoformat()} 00:00:00+00') "
        f"TO ('{until.isoformat()} 00:00:00+00')")
    return True


async def drop_partition(conn: asyncpg.Connection, name: str) -> int:
    """Drop one partition (detached first so concurrent readers of other months are not
    blocked for long); returns how many events it held."""
    rows = await conn.fetchval(f"SELECT count(*) FROM ingest.{name}")
    await conn.execute(f"ALTER TABLE ingest.activity_event DETACH PARTITION ingest.{name}")
    await conn.execute(f"DROP TABLE ingest.{name}")
    return int(rows)


async def delete_keys_before(conn: asyncpg.Connection, cutoff: datetime) -> int:
    status = await conn.execute("DELETE FROM ingest.event_key WHERE occurred_at < $1", cutoff)
    return int(status.split()[-1])


async def existing_partitions(conn: asyncpg.Connection) -> list[tuple[str, datetime, datetime]]:
    """(name, from, to) of every partition of the event table."""
    rows = await conn.fetch("""
        SELECT c.relname,
               (regexp_match(pg_get_expr(c.relpartbound, c.oid),
                             'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)'))[1]::timestamptz,
               (regexp_match(pg_get_expr(c.relpartbound, c.oid),
                             'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)'))[2]::timestamptz
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = 'ingest' AND p.relname = 'activity_event'
        ORDER BY 2
    """)
    return [(r[0], r[1], r[2]) for r in rows]


async def partition_sizes(conn: asyncpg.Connection) -> list[dict[str, object]]:
    out = []
    for name, start, end in await existing_partitions(conn):
        estimate = await conn.fetchval(
            "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = $1::regclass",
            f"ingest.{name}")
        out.append({"name": name, "from": start, "to": end, "estimated_events": estimate})
    return out
