"""Alembic environment: one history for every service's schema, run on asyncpg."""

from __future__ import annotations

import asyncio
import re

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import services.cases.models
import services.identity.models
import services.ingest.models
import services.kit.audit
import services.scoring.models  # noqa: F401  (register every table on the metadata)
from services.kit.db import async_url
from services.kit.settings import KitSettings

SCHEMAS = ("audit", "identity", "ingest", "scoring", "cases")
target_metadata = SQLModel.metadata


def _url() -> str:
    return async_url(context.config.get_main_option("sqlalchemy.url") or KitSettings().database_url)


# Monthly partitions of ingest.activity_event are made at run time by the ingest service.
_PARTITION = re.compile(r"^activity_event_y\d{4}m\d{2}(_.*)?$")


def _include_name(name, type_, parent_names) -> bool:
    if type_ == "schema":
        return name in SCHEMAS
    if type_ == "table" and _PARTITION.match(name or ""):
        return False
    return True


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      include_schemas=True, include_name=_include_name,
                      version_table_schema="public", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      include_schemas=True, version_table_schema="public")
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
