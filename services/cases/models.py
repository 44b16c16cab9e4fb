"""Tables of the cases schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
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


class Case(SQLModel, table=True):
    __tablename__ = "case"
    __table_args__ = {"schema": SCHEMA}

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
    detected_at: datetime | None = Field(default=None, sa_column=_ts())
    changed_at: datetime | None = Field(default=None, sa_column=_ts())
    xid: str | None = Field(default=None, sa_column=Column(
        Xid8, nullable=False, server_default=func.pg_current_xact_id()))


class WebhookSubscription(SQLModel, table=True):
    """Where to send which events, and the secret they are signed with (shown once)."""

    __tablename__ = "webhook_subscription"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    url: str = Field(sa_column=Column(String(2000), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(String(500)))
    event_types: list[str] = Field(sa_column=Column(ARRAY(String(40)), nullable=False))
    # None: events of every policy; else only events about these policies.
    policy_ids: list[uuid.UUID] | None = Field(default=None, sa_column=Column(ARRAY(Uuid)))
    secret: str = Field(sa_column=Column(String(200), nullable=False))
    previous_secret: str | None = Field(default=None, sa_column=Column(String(200)))
    previous_secret_expires_at: datetime | None = Field(default=None,
                                                        sa_column=_ts(nullable=True))
    enabled: bool = Field(default=True, sa_column=Column(Boolean, nullable=False,
                                                         server_default="true"))
    disabled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    disabled_reason: str | None = Field(default=None, sa_column=Column(String(200)))
    consecutive_failures: int = Field(default=0, sa_column=Column(Integer, nullable=False,
                                                                  server_default="0"))
    disable_after_failures: int | None = Field(default=None, sa_column=Column(Integer))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class WebhookEvent(SQLModel, table=True):
    """Append-only outbox: each event written in the transaction of the change it tells of."""

    __tablename__ = "webhook_event"
    __table_args__ = (Index("ix_webhook_event_created_at", "created_at"), {"schema": SCHEMA})

    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(),
                                                          primary_key=True))
    id: uuid.UUID = Field(default_factory=uuid.uuid4,
                          sa_column=Column(Uuid, nullable=False, unique=True))
    type: str = Field(sa_column=Column(String(40), nullable=False))
    policy_ids: list[uuid.UUID] = Field(default_factory=list, sa_column=Column(
        ARRAY(Uuid), nullable=False, server_default="{}"))
    subject_id: uuid.UUID | None = None
    payload: dict[str, Any] = Field(default_factory=dict,
                                    sa_column=Column(JSONB, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())


class WebhookDelivery(SQLModel, table=True):
    """One event to one subscription: pending until delivered or given up."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "next_attempt_at",
              postgresql_where=text("status = 'pending'")),
        Index("ix_webhook_delivery_subscription", "subscription_id", "created_at"),
        {"schema": SCHEMA},
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subscription_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("cases.webhook_subscription.id", ondelete="CASCADE"), nullable=False))
    event_seq: int = Field(sa_column=Column(
        BigInteger, ForeignKey("cases.webhook_event.seq"), nullable=False, index=True))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False,
                                                      server_default="0"))
    replay: bool = Field(default=False, sa_column=Column(Boolean, nullable=False,
                                                         server_default="false"))
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts())
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(String(500)))
    delivered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class WebhookAttempt(SQLModel, table=True):
    """The delivery log: one row per HTTP attempt."""

    __tablename__ = "webhook_attempt"
    __table_args__ = {"schema": SCHEMA}

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(),
                                                         primary_key=True))
    delivery_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("cases.webhook_delivery.id", ondelete="CASCADE"), nullable=False,
        index=True))
    attempted_at: datetime | None = Field(default=None, sa_column=_ts())
    succeeded: bool = Field(sa_column=Column(Boolean, nullable=False))
    status_code: int | None = None
    error: str | None = Field(default=None, sa_column=Column(String(500)))
    duration_ms: int = Field(sa_column=Column(Integer, nullable=False))


class RiskLevel(SQLModel, table=True):
    """A person's current risk level (the adaptive-protection level) and what set it."""

    __tablename__ = "risk_level"
    __table_args__ = (
        Index("ix_risk_level_level", "level", "updated_at"),
        Index("ix_risk_level_expiry", "expires_at", postgresql_where=text("level <> 'none'")),
        {"schema": SCHEMA},
    )

    subject_id: uuid.UUID = Field(primary_key=True)
    alias: str = Field(sa_column=Column(String(40), nullable=False))
    level: str = Field(sa_column=Column(String(16), nullable=False))
    rule: str | None = Field(default=None, sa_column=Column(String(40)))
    source_type: str | None = Field(default=None, sa_column=Column(String(16)))
    source_id: uuid.UUID | None = None
    policy_ids: list[uuid.UUID] = Field(default_factory=list, sa_column=Column(
        ARRAY(Uuid), nullable=False, server_default="{}"))
    set_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    expires_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class RiskLevelChange(SQLModel, table=True):
    """Append-only: every change of a person's level, read in commit order by (xid, seq)."""

    __tablename__ = "risk_level_change"
    __table_args__ = (Index("ix_risk_level_change_xid_seq", "xid", "seq"), {"schema": SCHEMA})

    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(),
                                                          primary_key=True))
    subject_id: uuid.UUID = Field(index=True)
    alias: str = Field(sa_column=Column(String(40), nullable=False))
    level: str = Field(sa_column=Column(String(16), nullable=False))
    previous_level: str = Field(sa_column=Column(String(16), nullable=False))
    rule: str | None = Field(default=None, sa_column=Column(String(40)))
    source_type: str | None = Field(default=None, sa_column=Column(String(16)))
    source_id: uuid.UUID | None = None
    expires_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    changed_at: datetime | None = Field(default=None, sa_column=_ts())
    xid: str | None = Field(default=None, sa_column=Column(
        Xid8, nullable=False, server_default=func.pg_current_xact_id()))


class RiskLevelSetting(SQLModel, table=True):
    """The rules that derive risk levels (one row; defaults apply until an Admin sets them)."""

    __tablename__ = "risk_level_setting"
    __table_args__ = {"schema": SCHEMA}

    id: int = Field(default=1, sa_column=Column(SmallInteger, primary_key=True))
    document: dict[str, Any] = Field(default_factory=dict,
                                     sa_column=Column(JSONB, nullable=False))
    updated_by: str = Field(sa_column=Column(String(200), nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=_ts())
