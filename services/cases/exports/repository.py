from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.models import (
    Alert,
    Evidence,
    EvidenceContent,
    Export,
    ExportBundle,
    Note,
    Notice,
)


async def get(session: AsyncSession, export_id: uuid.UUID, *, for_update: bool = False
              ) -> Export | None:
    stmt = select(Export).where(Export.id == export_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def of_case(session: AsyncSession, case_id: uuid.UUID) -> list[Export]:
    return list((await session.execute(select(Export).where(Export.case_id == case_id)
                                       .order_by(Export.created_at.desc(), Export.id))
                 ).scalars())


async def bundle(session: AsyncSession, export_id: uuid.UUID) -> bytes | None:
    return (await session.execute(select(ExportBundle.data)
                                  .where(ExportBundle.export_id == export_id))).scalar()


async def alerts(session: AsyncSession, case_id: uuid.UUID) -> list[Alert]:
    return list((await session.execute(select(Alert).where(Alert.case_id == case_id)
                                       .order_by(Alert.created_at, Alert.id))).scalars())


async def notes(session: AsyncSession, case_id: uuid.UUID) -> list[Note]:
    return list((await session.execute(select(Note).where(Note.case_id == case_id)
                                       .order_by(Note.created_at, Note.id))).scalars())


async def notices(session: AsyncSession, case_id: uuid.UUID) -> list[Notice]:
    return list((await session.execute(select(Notice).where(Notice.case_id == case_id)
                                       .order_by(Notice.created_at, Notice.id))).scalars())


async def evidence(session: AsyncSession, case_id: uuid.UUID) -> list[Evidence]:
    return list((await session.execute(select(Evidence).where(Evidence.case_id == case_id)
                                       .order_by(Evidence.created_at, Evidence.id))).scalars())


async def evidence_content(session: AsyncSession, evidence_id: uuid.UUID) -> bytes:
    return (await session.execute(select(EvidenceContent.content)
                                  .where(EvidenceContent.evidence_id == evidence_id))).scalar_one()
