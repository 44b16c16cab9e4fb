"""Apply the alembic history (every service's schema and the audit log) to a database, then
(re)apply each service's database role, so that tables made by any migration are covered."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent

SERVICE_ROLES = {"identity": "openirm_identity", "ingest": "openirm_ingest",
                 "scoring": "openirm_scoring", "cases": "openirm_cases"}


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head", *,
            role_password: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), revision)
    asyncio.run(apply_service_roles(database_url, role_password))


def _plain(url: str) -> str:
    from services.kit.db import async_url

    return async_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


async def apply_service_roles(database_url: str, role_password: str | None = None) -> bool:
    """Create the service roles if missing and grant each exactly its own schema plus INSERT
    into the audit log (and the password, when one is configured). False when the database
    is at a revision from before the roles existed."""
    import asyncpg

    conn = await asyncpg.connect(_plain(database_url))
    try:
        exists = await conn.fetchval(
            "SELECT to_regprocedure('audit.apply_service_roles(text)') IS NOT NULL")
        if not exists:
            return False
        await conn.execute("SELECT audit.apply_service_roles($1)", role_password)
        return True
    finally:
        await conn.close()


def service_url(database_url: str, service: str, role_password: str | None = None) -> str:
    """The same server and database, as the service's own role."""
    # URL.set() keeps the old password when given None; _replace clears it.
    url = make_url(database_url)._replace(username=SERVICE_ROLES[service],
                                          password=role_password)
    return url.render_as_string(hide_password=False)
