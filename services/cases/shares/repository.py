from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import CaseShare


async def cases_shared_with(session: AsyncSession, account_id: uuid.UUID) -> list[uuid.UUID]:
    """One indexed lookup (account_id, case_id), made per request: a revoke takes effect at
    once, with no cache to invalidate."""
    rows = await session.execute(select(CaseShare.case_id)
                                 .where(CaseShare.account_id == account_id))
    return list(rows.scalars())


async def of_case(session: AsyncSession, case_id: uuid.UUID) -> list[CaseShare]:
    rows = await session.execute(select(CaseShare).where(CaseShare.case_id == case_id)
                                 .order_by(CaseShare.created_at, CaseShare.account_id))
    return list(rows.scalars())


async def get(session: AsyncSession, case_id: uuid.UUID, account_id: uuid.UUID
              ) -> CaseShare | None:
    return await session.get(CaseShare, (case_id, account_id))


async def remove(session: AsyncSession, case_id: uuid.UUID, account_id: uuid.UUID) -> bool:
    result = await session.execute(delete(CaseShare).where(
        CaseShare.case_id == case_id, CaseShare.account_id == account_id))
    return bool(result.rowcount)
