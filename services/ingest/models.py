"""Tables of the ingest schema. `activity_event` carries the id of the transaction that wrote
it (xid8) so readers can follow commits in order without missing late committers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.kit.feed import Xid8

SCHEMA = "ingest"



class ActivityEventRow(SQLModel, table=True):
    __tablename__ = "activity_event"
    __table_args__ = (
        Index("ix_activity_event_xid_seq", "xid", "seq"),
        Index("ix_activity_event_subject_time", "subject_id", "occurred_at"),
        {"schema": SCHEMA},
    )

    id: str = Field(sa_column=Column(String(128), primary_key=True))
    subject_id: uuid.UUID = Field(nullable=False)
    alias: str = Field(sa_column=Column(String(40), nullable=False))
    type: str = Field(sa_column=Column(String(64), nullable=False))
    category: str = Field(sa_column=Column(String(32), nullable=False))
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    received_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), nullable=False, server_default=func.now()))
    source: str = Field(sa_column=Column(String(64), nullable=False))
    attributes: dict[str, Any] = Field(default_factory=dict,
                                       sa_column=Column(JSONB, nullable=False))
    xid: str | None = Field(default=None, sa_column=Column(
        Xid8, nullable=False, server_default=func.pg_current_xact_id()))
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(),
                                                          nullable=False))


class Receipt(SQLModel, table=True):
    """One accepted batch: who sent it, how many events were new and how many duplicates."""

    __tablename__ = "receipt"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    principal: str = Field(sa_column=Column(String(200), nullable=False))
    accepted: int
    duplicates: int
    received_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), nullable=False, server_default=func.now()))
