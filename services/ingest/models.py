"""Tables of the ingest schema. `activity_event` carries the id of the transaction that wrote
it (xid8) so readers can follow commits in order without missing late committers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, PrimaryKeyConstraint, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.kit.feed import Xid8

SCHEMA = "ingest"



class ActivityEventRow(SQLModel, table=True):
    """Partitioned by month of `occurred_at` (partitions are made by `events.partitions`, not
    by SQLAlchemy); the key is (xid, seq, occurred_at), which also serves the feed's order.
    Uniqueness of `id` lives in `event_key`: PostgreSQL has no index across partitions."""

    __tablename__ = "activity_event"
    __table_args__ = (
        PrimaryKeyConstraint("xid", "seq", "occurred_at", name="activity_event_pkey"),
        Index("ix_activity_event_subject_time", "subject_id", "occurred_at"),
        {"schema": SCHEMA, "postgresql_partition_by": "RANGE (occurred_at)"},
    )

    id: str = Field(sa_column=Column(String(128), nullable=False))
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
    original: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    run_id: uuid.UUID | None = Field(default=None)
    xid: str | None = Field(default=None, sa_column=Column(
        Xid8, nullable=False, server_default=func.pg_current_xact_id()))
    seq: int | None = Field(default=None, sa_column=Column(
        BigInteger, nullable=False,
        server_default=text("nextval('ingest.activity_event_seq')")))


class EventKey(SQLModel, table=True):
    """One row per stored event id: the idempotency key across partitions."""

    __tablename__ = "event_key"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(sa_column=Column(String(128), primary_key=True))
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ConnectorRun(SQLModel, table=True):
    """One connector upload: who sent it, its progress while it runs, and what came of it."""

    __tablename__ = "connector_run"
    __table_args__ = (Index("ix_connector_run_started", "started_at"), {"schema": SCHEMA})

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    connector: str = Field(sa_column=Column(String(32), nullable=False))
    principal: str = Field(sa_column=Column(String(200), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), nullable=False, server_default=func.now()))
    updated_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), nullable=False, server_default=func.now()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    bytes_total: int | None = Field(default=None, sa_column=Column(BigInteger))
    bytes_received: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    records: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    unmapped: int = 0
    unmapped_operations: dict[str, int] = Field(default_factory=dict,
                                                sa_column=Column(JSONB, nullable=False))
    errors: list[dict[str, Any]] = Field(default_factory=list,
                                         sa_column=Column(JSONB, nullable=False))


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
