"""Tables of the scoring schema."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.kit.feed import Xid8

SCHEMA = "scoring"



def _ts(nullable: bool = False, default: bool = True) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable,
                  server_default=func.now() if default else None)


class SettingsVersion(SQLModel, table=True):
    """The global settings, one row per version; the highest version is in force. Every
    score records the version it was computed with."""

    __tablename__ = "settings_version"
    __table_args__ = {"schema": SCHEMA}

    version: int = Field(primary_key=True)
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())


class PriorityGroup(SQLModel, table=True):
    """People (by subject) whose activity matters more, and the reviewers who may see them."""

    __tablename__ = "priority_group"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=Column(String(200), unique=True, nullable=False))
    description: str = Field(default="", sa_column=Column(String(2000), nullable=False))
    members: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    reviewers: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class Policy(SQLModel, table=True):
    __tablename__ = "policy"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=Column(String(200), unique=True, nullable=False))
    template: str = Field(sa_column=Column(String(64), nullable=False))
    description: str = Field(default="", sa_column=Column(String(2000), nullable=False))
    scope: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    priority_content: list[str] = Field(default_factory=list,
                                        sa_column=Column(JSONB, nullable=False))
    indicators: list[dict[str, Any]] = Field(default_factory=list,
                                             sa_column=Column(JSONB, nullable=False))
    boosters: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    sequences: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    cumulative: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    alert_threshold: int
    activation_days: int
    past_days: int
    active: bool = True
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class PolicyMember(SQLModel, table=True):
    """A person added to a policy by hand (manual triggering) for a limited time."""

    __tablename__ = "policy_member"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    policy_id: uuid.UUID = Field(foreign_key="scoring.policy.id", index=True,
                                 ondelete="CASCADE")
    subject_id: uuid.UUID = Field(index=True)
    reason: str = Field(sa_column=Column(String(2000), nullable=False))
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    until: date = Field(sa_column=Column(Date, nullable=False))
    added_by: str = Field(sa_column=Column(String(200), nullable=False))
    removed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True, default=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())


class TriggeringEvent(SQLModel, table=True):
    __tablename__ = "triggering_event"
    __table_args__ = {"schema": SCHEMA}

    event_id: str = Field(sa_column=Column(String(128), primary_key=True))
    subject_id: uuid.UUID = Field(index=True)
    kind: str = Field(sa_column=Column(String(64), nullable=False))
    day: date = Field(sa_column=Column(Date, nullable=False))


class DailyActivity(SQLModel, table=True):
    """Per person, indicator, day and flags (priority content, domain): how many activities
    counted and their bytes, under the settings version in force (rebuilt when it changes)."""

    __tablename__ = "daily_activity"
    __table_args__ = {"schema": SCHEMA}

    subject_id: uuid.UUID = Field(primary_key=True)
    indicator: str = Field(sa_column=Column(String(64), primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    flags: int = Field(default=0, sa_column=Column(SmallInteger, primary_key=True,
                                                   server_default="0"))
    count: int = 0
    bytes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False,
                                                   server_default="0"))


class Signal(SQLModel, table=True):
    """Every event scoring has read, reduced to what scoring uses: the source from which
    aggregates are rebuilt and policies replayed without going back to ingest."""

    __tablename__ = "signal"
    __table_args__ = {"schema": SCHEMA}

    subject_id: uuid.UUID = Field(primary_key=True)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    event_id: str = Field(sa_column=Column(String(128), primary_key=True))
    type: str = Field(sa_column=Column(String(64), nullable=False))
    attrs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))


class SourceSeen(SQLModel, table=True):
    """When each activity type last arrived (policy health: has a source sent anything?)."""

    __tablename__ = "source_seen"
    __table_args__ = {"schema": SCHEMA}

    type: str = Field(sa_column=Column(String(64), primary_key=True))
    last_seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    events: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class AlertDay(SQLModel, table=True):
    """New alerts a policy raised per day (the alert-volume cap)."""

    __tablename__ = "alert_day"
    __table_args__ = {"schema": SCHEMA}

    policy_id: uuid.UUID = Field(primary_key=True)
    day: date = Field(sa_column=Column(Date, primary_key=True))
    alerts: int = 0


class Replay(SQLModel, table=True):
    """A what-if run of a draft or existing policy over stored history."""

    __tablename__ = "replay"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    status: str = Field(sa_column=Column(String(16), nullable=False))
    requested_by: str = Field(sa_column=Column(String(200), nullable=False))
    policy: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    start_day: date = Field(sa_column=Column(Date, nullable=False))
    end_day: date = Field(sa_column=Column(Date, nullable=False))
    progress: float = 0.0
    people_total: int = 0
    people_done: int = 0
    events_read: int = Field(default=0, sa_column=Column(BigInteger, nullable=False,
                                                         server_default="0"))
    cancel_requested: bool = False
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    error: str | None = Field(default=None, sa_column=Column(String(2000)))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    started_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True, default=False))
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True, default=False))


class Subject(SQLModel, table=True):
    """The alias scoring last saw for a subject (to label alert candidates)."""

    __tablename__ = "subject"
    __table_args__ = {"schema": SCHEMA}

    subject_id: uuid.UUID = Field(primary_key=True)
    alias: str = Field(sa_column=Column(String(40), nullable=False))
    department: str | None = Field(default=None, sa_column=Column(String(200), index=True))
    high_impact: bool = Field(default=False, sa_column=Column(Boolean, nullable=False,
                                                              server_default="false"))
    violations: int = Field(default=0, sa_column=Column(Integer, nullable=False,
                                                        server_default="0"))


class Violation(SQLModel, table=True):
    """A case about the person closed as a confirmed violation (the booster's evidence)."""

    __tablename__ = "violation"
    __table_args__ = {"schema": SCHEMA}

    case_id: uuid.UUID = Field(primary_key=True)
    subject_id: uuid.UUID = Field(index=True)
    created_at: datetime | None = Field(default=None, sa_column=_ts())


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
    settings_version: int = Field(default=0, sa_column=Column(Integer, nullable=False,
                                                              server_default="0"))
    held: bool = Field(default=False, description="over the threshold but held back by the "
                       "alert-volume cap; raised on a later day")
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


class Suppression(SQLModel, table=True):
    """A time-boxed rule: activity of these types by this person, at a time inside one of its
    periods, does not count. When `until` passes the rule stops suppressing and waits in
    `review_required` until a reviewer renews it (a new period) or ends it."""

    __tablename__ = "suppression"
    __table_args__ = (Index("ix_suppression_state_until", "state", "until"),
                      {"schema": SCHEMA})

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject_id: uuid.UUID = Field(index=True)
    activity_types: list[str] = Field(default_factory=list,
                                      sa_column=Column(JSONB, nullable=False))
    periods: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(
        JSONB, nullable=False), description="[{start, end}] in ISO 8601; suppressing within "
                                            "any of them (start inclusive, end exclusive)")
    until: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    state: str = Field(sa_column=Column(String(20), nullable=False))
    reason: str = Field(sa_column=Column(String(2000), nullable=False))
    alert_id: uuid.UUID | None = None
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())
    ended_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True, default=False))
    ended_by: str | None = Field(default=None, sa_column=Column(String(200)))
    reviewed_at: datetime | None = Field(default=None,
                                         sa_column=_ts(nullable=True, default=False))
    reviewed_by: str | None = Field(default=None, sa_column=Column(String(200)))
    review_decision: str | None = Field(default=None, sa_column=Column(String(16)))
    review_comment: str | None = Field(default=None, sa_column=Column(String(2000)))


class BenignMark(SQLModel, table=True):
    """An event an investigator marked benign: it does not count (until unmarked)."""

    __tablename__ = "benign_mark"
    __table_args__ = (Index("ux_benign_mark_subject_event", "subject_id", "event_id",
                            unique=True), {"schema": SCHEMA})

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject_id: uuid.UUID
    event_id: str = Field(sa_column=Column(String(128), nullable=False))
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    reason: str = Field(sa_column=Column(String(2000), nullable=False))
    report_id: uuid.UUID | None = None
    marked_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())


class ExcludedEvent(SQLModel, table=True):
    """An event scoring read but does not count, and why (a suppression rule or a benign
    mark; one row per rule or mark that covers it). The one list every reader of signals
    (live scoring, rebuilds, sequences, replays) leaves out; cases marks the timeline from
    it."""

    __tablename__ = "excluded_event"
    __table_args__ = (Index("ix_excluded_event_subject_time", "subject_id", "occurred_at",
                            "event_id"),
                      Index("ix_excluded_event_source", "source_id"), {"schema": SCHEMA})

    subject_id: uuid.UUID = Field(primary_key=True)
    event_id: str = Field(sa_column=Column(String(128), primary_key=True))
    source_id: uuid.UUID = Field(primary_key=True, description="the suppression or mark")
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    type: str = Field(sa_column=Column(String(64), nullable=False))
