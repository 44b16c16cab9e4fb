from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import ServiceClient


async def by_id(session: AsyncSession, client_id: uuid.UUID, *, for_update: bool = False
                ) -> ServiceClient | None:
    return await session.get(ServiceClient, client_id, with_for_update=for_update)


async def active_by_name(session: AsyncSession, name: str, *, for_update: bool = False
                         ) -> ServiceClient | None:
    query = select(ServiceClient).where(ServiceClient.name == name,
                                        ServiceClient.revoked_at.is_(None))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_all(session: AsyncSession) -> list[ServiceClient]:
    query = select(ServiceClient).order_by(ServiceClient.name, ServiceClient.created_at)
    return list((await session.execute(query)).scalars())
