from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import Account, CasbinRule, RefreshToken


async def by_email(session: AsyncSession, email: str) -> Account | None:
    result = await session.execute(select(Account).where(Account.email == email))
    return result.scalar_one_or_none()


async def by_id(session: AsyncSession, account_id: uuid.UUID, *, for_update: bool = False
                ) -> Account | None:
    return await session.get(Account, account_id, with_for_update=for_update)


async def list_all(session: AsyncSession) -> list[Account]:
    return list((await session.execute(select(Account).order_by(Account.email))).scalars())


async def roles_by_subject(session: AsyncSession) -> dict[str, list[str]]:
    rows = (await session.execute(select(CasbinRule).where(CasbinRule.ptype == "g"))).scalars()
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row.v0, []).append(row.v1)
    return out


async def roles_of(session: AsyncSession, subject: str) -> list[str]:
    rows = await session.execute(select(CasbinRule.v1).where(CasbinRule.ptype == "g",
                                                             CasbinRule.v0 == subject))
    return sorted(rows.scalars())


async def replace_roles(session: AsyncSession, subject: str, roles: list[str]) -> None:
    await session.execute(delete(CasbinRule).where(CasbinRule.ptype == "g",
                                                   CasbinRule.v0 == subject))
    for role in sorted(set(roles)):
        session.add(CasbinRule(ptype="g", v0=subject, v1=role))
    await session.flush()


async def refresh_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    result = await session.execute(select(RefreshToken).where(
        RefreshToken.token_hash == token_hash).with_for_update())
    return result.scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(update(RefreshToken).where(
        RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now()))
