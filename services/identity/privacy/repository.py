from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import PrivacySetting


async def current(session: AsyncSession, *, for_update: bool = False) -> PrivacySetting:
    """The single row; created by the migration, recreated with defaults if missing."""
    row = await session.get(PrivacySetting, 1, with_for_update=for_update)
    if row is None:
        row = PrivacySetting(id=1)
        session.add(row)
        await session.flush()
    return row
