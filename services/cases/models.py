"""Tables of the cases schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from services.kit.feed import Xid8

SCHEMA = "cases"


def _ts(nullable: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable,
                  server_default=None if nullable else func.now())


class Alert(SQLModel, table=True):
    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_queue", "status", "severity", "created_at"),
        Index("ux_alert_open_per_policy_subject", "policy_id", "subject_id", unique=True,
              postgresql_where=text("status = 'needs_review'")),
        # The queue's sorts and filters (docs/triage.md, bench/queue.py).
        Index("ix_alert_detected", "created_at", "id"),
        Index("ix_alert_status_detected", "status", "created_at", "id"),
        Index("ix_alert_status_sla", "status", "sla_due_at", "id"),
        Index("ix_alert_policy_detected", "policy_id", "created_at"),
        Index("ix_alert_severity_detected", "severity", "created_at", "id"),
        Index("ix_alert_score", "score", "created_at", "id"),
        Index("ix_alert_status_score", "status", "score", "created_at", "id"),
        # Covers the priority sort's narrow pass (docs/triage.md).
        Index("ix_alert_status_priority", "status", "priority_base", "related_count",
              "created_at", "sla_due_at", "id"),
        Index("ix_alert_risk_factors", "risk_factors", postgresql_using="gin"),
        Index("ix_alert_reviewer", "reviewer_id", postgresql_where=text("reviewer_id IS NOT NULL")),
        Index("ix_alert_triaged_at", "triaged_at", "created_at", "sla_due_at",
              postgresql_where=text("triaged_at IS NOT NULL")),
        Index("ix_alert_case", "case_id", "status", "created_at",
              postgresql_where=text("case_id IS NOT NULL")),
        {"schema": SCHEMA},
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    policy_id: uuid.UUID
    policy_name: str = Field(sa_column=Column(String(200), nullable=False))
    subject_id: uuid.UUID = Field(index=True)
    alias: str = Field(sa_column=Column(String(40), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    severity: str = Field(sa_column=Column(String(16), nullable=False))
    score: int
    score_version: int
    explanation: dict[str, Any] = Field(default_factory=dict,
                                        sa_column=Column(JSONB, nullable=False))
    case_id: uuid.UUID | None = Field(default=None, foreign_key="cases.case.id")
    dismiss_reason: str | None = Field(default=None, sa_column=Column(String(40)))
    dismiss_comment: str | None = Field(default=None, sa_column=Column(String(2000)))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())
    # Derived from the explanation at upsert (services/cases/alerts/assistant.py).
    risk_factors: list[str] = Field(default_factory=list, sa_column=Column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")))
    priority_base: int = Field(default=0, sa_column=Column(Integer, nullable=False,
                                                           server_default=text("0")))
    # The person's other alerts (any policy), kept up to date when one is raised.
    related_count: int = Field(default=0, sa_column=Column(Integer, nullable=False,
                                                           server_default=text("0")))
    # Set by the trigger cases.alert_triage_fields (migration 0013): detection + the triage SLA
    # of the current severity; the first time the alert leaves needs_review.
    sla_due_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), nullable=False))
    triaged_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    reviewer_id: uuid.UUID | None = None
    review_requested_by: str | None = Field(default=None, sa_column=Column(String(200)))
    review_requested_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    review_comment: str | None = Field(default=None, sa_column=Column(String(2000)))


class TriageSla(SQLModel, table=True):
    """The triage SLA of each severity, in hours (GET/PUT /triage-settings)."""

    __tablename__ = "triage_sla"
    __table_args__ = {"schema": SCHEMA}

    severity: str = Field(sa_column=Column(String(16), primary_key=True))
    sla_hours: int
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class Case(SQLModel, table=True):
    __tablename__ = "case"
    __table_args__ = (Index("ix_case_created_at", "created_at"),
                      Index("ix_case_closed_at", "closed_at",
                            postgresql_where=text("closed_at IS NOT NULL")),
                      {"schema": SCHEMA})

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str = Field(sa_column=Column(String(300), nullable=False))
    subject_id: uuid.UUID = Field(index=True)
    alias: str = Field(sa_column=Column(String(40), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    classification: str | None = Field(default=None, sa_column=Column(String(40)))
    resolution: str | None = Field(default=None, sa_column=Column(String(2000)))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # A case closed as a confirmed violation is reported to scoring (the previous-violation
    # booster); set once scoring has it, so a lost wake-up is caught up.
    violation_reported_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Note(SQLModel, table=True):
    __tablename__ = "note"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.case.id", index=True)
    author: str = Field(sa_column=Column(String(200), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())


class FeedCursor(SQLModel, table=True):
    __tablename__ = "feed_cursor"
    __table_args__ = {"schema": SCHEMA}

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    cursor: str | None = Field(default=None, sa_column=Column(String(200)))
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class AlertChange(SQLModel, table=True):
    """Append-only: the alert as it stood after each change, written in the transaction of
    the change; the SIEM export feed reads it in commit order."""

    __tablename__ = "alert_change"
    __table_args__ = (Index("ix_alert_change_xid_seq", "xid", "seq"), {"schema": SCHEMA})

    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(),
                                                          primary_key=True))
    alert_id: uuid.UUID = Field(index=True)
    operation: str = Field(sa_column=Column(String(16), nullable=False))
    policy_id: uuid.UUID
    policy_name: str = Field(sa_column=Column(String(200), nullable=False))
    subject_id: uuid.UUID
    alias: str = Field(sa_column=Column(String(40), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    severity: str = Field(sa_column=Column(String(16), nullable=False))
    score: int
    explanation: dict[str, Any] = Field(default_factory=dict,
                                        sa_column=Column(JSONB, nullable=False))
    case_id: uuid.UUID | None = None
    reviewer_id: uuid.UUID | None = None
    detected_at: datetime | None = Field(default=None, sa_column=_ts())
    changed_at: datetime | None = Field(default=None, sa_column=_ts())
    xid: str | None = Field(default=None, sa_column=Column(
        Xid8, nullable=False, server_default=func.pg_current_xact_id()))
