"""The audit writer: every service INSERTs into `audit.audit_log` in the transaction of the action.
The database itself refuses UPDATE/DELETE/TRUNCATE and chains each row to the previous one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    String,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from services.kit.context import request_id_var

_PENDING = "openirm.audit.pending"


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (CheckConstraint("seq = 1 OR prev_hash IS NOT NULL",
                                      name="audit_log_linked"),
                      Index("ix_audit_log_actor_seq", "actor", "seq"),
                      Index("ix_audit_log_target_seq", "target", "seq"),
                      Index("ix_audit_log_at", "at"),
                      {"schema": "audit"})

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True,
                                                          nullable=False))
    at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True),
                                                              nullable=False))
    service: str = Field(sa_column=Column(String(32), nullable=False))
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    action: str = Field(sa_column=Column(String(100), nullable=False))
    target: str | None = Field(default=None, sa_column=Column(String(300)))
    outcome: str = Field(default="success", sa_column=Column(String(20), nullable=False))
    request_id: str | None = Field(default=None, sa_column=Column(String(64)))
    detail: dict[str, Any] = Field(default_factory=dict,
                                   sa_column=Column(JSONB, nullable=False,
                                                    server_default=text("'{}'::jsonb")))
    prev_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=False))


class AuditWriter:
    def __init__(self, service: str) -> None:
        self.service = service

    async def record(self, session: AsyncSession, *, actor: str, action: str,
                     target: str | None = None, outcome: str = "success",
                     detail: dict[str, Any] | None = None) -> None:
        """Add the audit row to the caller's transaction. It is inserted by the unit of work
        just before commit (`write_pending`), so the chain's lock is taken last and held
        briefly, after every row lock of the action: one lock order everywhere, no deadlock."""
        session.info.setdefault(_PENDING, []).append(
            {"service": self.service, "actor": actor, "action": action, "target": target,
             "outcome": outcome, "request_id": request_id_var.get(), "detail": detail or {}})


async def write_pending(session: AsyncSession) -> None:
    """A plain INSERT without RETURNING (`inline`: not even of the key, which SQLAlchemy
    fetches for a single row): a service's database role may INSERT into the audit log but
    not read it, and RETURNING would need SELECT."""
    rows = session.info.pop(_PENDING, None)
    if rows:
        await session.execute(insert(AuditLog.__table__).inline(), rows)  # type: ignore[arg-type]


def discard_pending(session: AsyncSession) -> None:
    session.info.pop(_PENDING, None)
