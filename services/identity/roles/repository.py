from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.models import Account


async def active_accounts(session: AsyncSession) -> list[tuple[str, str]]:
    """(email, account id) of every active staff account."""
    rows = await session.execute(select(Account.email, Account.id)
                                 .where(Account.active.is_(True)).order_by(Account.email))
    return [(email, f"user:{account_id}") for email, account_id in rows.all()]
