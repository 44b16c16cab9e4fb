"""Tables of the scoring schema."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Date, DateTime, Identity, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.kit.feed import Xid8

SCHEMA = "scoring"



def _ts(nullable: bool = False, default: bool = True) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable,
                  server_default=func.now() if default else None)


class IndicatorSetting(SQLModel, table=True):
    """Global enablement: an indicator is off until an Admin turns it on."""

    __tablename__ = "indicator_setting"
    __table_args__ = {"schema": SCHEMA}

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    enabled: bool = False
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class Policy(SQLModel, table=True):
    __tablename__ = "policy"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=Column(String(200), unique=True, nullable=False))
    template: str = Field(sa_column=Column(String(64), nullable=False))
    description: str = Field(default="", sa_column=Column(String(2000), nullable=False))
    indicators: list[dict[str, Any]] = Field(default_factory=list,
                                             sa_column=Column(JSONB, nullable=False))
    alert_threshold: int
    activation_days: int
    past_days: int
    active: bool = True
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class TriggeringEvent(SQLModel, table=True):
    __tablename__ = "triggering_event"
    __table_args__ = {"schema": SCHEMA}

    event_id: str = Field(sa_column=Column(String(128), primary_key=True))
    subject_id: uuid.UUID = Field(index=True)
    kind: str = Field(sa_column=Column(String(64), nullable=False))
    day: date = Field(sa_column=Column(Date, nullable=False))


class DailyActivity(SQLModel, table=True):
    """Per person, indicator and day: how many activities counted."""

    __tablename__ = "daily_activity"
    __table_args__ = {"schema": SCHEMA}

    subject_id: uuid.UUID = Field(primary_key=True)
    indicator: str = Field(sa_column=Column(String(64), primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    count: int = 0


class Subject(SQLModel, table=True):
    """The alias scoring last saw for a subject (to label alert candidates)."""

    __tablename__ = "subject"
    __table_args__ = {"schema": SCHEMA}

    subject_id: uuid.UUID = Field(primary_key=True)
    alias: str = Field(sa_column=Column(String(40), nullable=False))


class FeedCursor(SQLModel, table=True):
    __tablename__ = "feed_cursor"
    __table_args__ = {"schema": SCHEMA}

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    cursor: str | None = Field(default=None, sa_column=Column(String(200)))
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class RiskScore(SQLModel, table=True):
    """A person's current score under a policy, with its explanation."""

    __tablename__ = "risk_score"
    __table_args__ = {"schema": SCHEMA}

    policy_id: uuid.UUID = Field(primary_key=True)
    subject_id: uuid.UUID = Field(primary_key=True)
    score: int
    severity: str = Field(sa_column=Column(String(16), nullable=False))
    contributions: list[dict[str, Any]] = Field(default_factory=list,
                                                sa_column=Column(JSONB, nullable=False))
    version: int = 1
    alerted_version: int | None = Field(default=None, description="the version last sent to "
                                        "cases as an alert candidate")
    computed_at: datetime | None = Field(default=None, sa_column=_ts())


class AlertCandidate(SQLModel, table=True):
    """Append-only: each score that crosses a policy's alert threshold, read by cases."""

    __tablename__ = "alert_candidate"
    __table_args__ = (Index("ix_alert_candidate_xid_seq", "xid", "seq"), {"schema": SCHEMA})

    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(),
                                                          primary_key=True))
    policy_id: uuid.UUID
    policy_name: str = Field(sa_column=Column(String(200), nullable=False))
    subject_id: uuid.UUID
    alias: str = Field(sa_column=Column(String(40), nullable=False))
    score: int
    severity: str = Field(sa_column=Column(String(16), nullable=False))
    version: int
    explanation: dict[str, Any] = Field(default_factory=dict,
                                        sa_column=Column(JSONB, nullable=False))
    computed_at: datetime | None = Field(default=None, sa_column=_ts())
    xid: str | None = Field(default=None, sa_column=Column(
        Xid8, nullable=False, server_default=func.pg_current_xact_id()))
