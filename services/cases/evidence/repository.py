from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import Evidence, EvidenceContent


async def of_case(session: AsyncSession, case_id: uuid.UUID) -> list[Evidence]:
    """Metadata only: the content table is not touched."""
    rows = await session.execute(select(Evidence).where(Evidence.case_id == case_id)
                                 .order_by(Evidence.created_at, Evidence.id))
    return list(rows.scalars())


async def get(session: AsyncSession, case_id: uuid.UUID, evidence_id: uuid.UUID
              ) -> Evidence | None:
    row = await session.execute(select(Evidence).where(Evidence.id == evidence_id,
                                                       Evidence.case_id == case_id))
    return row.scalar_one_or_none()


async def content(session: AsyncSession, evidence_id: uuid.UUID) -> bytes:
    row = await session.execute(select(EvidenceContent.content)
                                .where(EvidenceContent.evidence_id == evidence_id))
    return row.scalar_one()
