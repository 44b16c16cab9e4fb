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
    LargeBinary,
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
    __table_args__ = (Index("ix_case_status_created", "status", "created_at"),
                      Index("ix_case_updated", "updated_at"),
                      Index("ix_case_created_at", "created_at"),
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


class NoticeTemplate(SQLModel, table=True):
    """A reusable notice: addresses, subject and HTML body with placeholders (validated when
    saved, rendered in a sandbox when sent)."""

    __tablename__ = "notice_template"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    send_from: str = Field(sa_column=Column(String(320), nullable=False))
    cc: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    bcc: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    subject: str = Field(sa_column=Column(String(500), nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    training_url: str | None = Field(default=None, sa_column=Column(String(2000)))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    updated_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


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


class Notice(SQLModel, table=True):
    """A notice sent from a case, as rendered when it was sent. The recipient's address is
    never stored: the sender resolves it from identity at delivery time."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_state_created", "state", "created_at"),
                      {"schema": SCHEMA})

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.case.id", index=True)
    template_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid, ForeignKey("cases.notice_template.id",
                                                        ondelete="SET NULL")))
    template_name: str = Field(sa_column=Column(String(200), nullable=False))
    subject_id: uuid.UUID
    alias: str = Field(sa_column=Column(String(40), nullable=False))
    send_from: str = Field(sa_column=Column(String(320), nullable=False))
    cc: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    bcc: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    subject: str = Field(sa_column=Column(String(1000), nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    message: str | None = Field(default=None, sa_column=Column(Text))
    sender: str = Field(sa_column=Column(String(200), nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(String(1000)))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Export(SQLModel, table=True):
    """An escalation export of a case: built by a job, its bundle in `export_bundle`."""

    __tablename__ = "export"
    __table_args__ = {"schema": SCHEMA}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.case.id", index=True)
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    content_included: bool
    state: str = Field(sa_column=Column(String(16), nullable=False))
    progress: int = 0
    error: str | None = Field(default=None, sa_column=Column(String(1000)))
    size_bytes: int | None = Field(default=None, sa_column=Column(BigInteger))
    sha256: str | None = Field(default=None, sa_column=Column(String(64)))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class ActivityReport(SQLModel, table=True):
    """A user activity report: one person's activity in a window of up to 90 days, built by a
    job (state queued → running → ready or failed, with progress), seen only by its creator
    and the investigators it is shared with."""

    __tablename__ = "activity_report"
    __table_args__ = (Index("ix_activity_report_creator", "created_by", "created_at"),
                      {"schema": SCHEMA})

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    subject_id: uuid.UUID = Field(index=True)
    alias: str = Field(sa_column=Column(String(40), nullable=False))
    window_from: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    window_to: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    progress: int = 0
    error: str | None = Field(default=None, sa_column=Column(String(2000)))
    total: int = 0
    summary: dict[str, Any] = Field(default_factory=dict,
                                    sa_column=Column(JSONB, nullable=False))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class ExportBundle(SQLModel, table=True):
    """The ZIP of a ready export, apart from its row so listing exports never loads it."""

    __tablename__ = "export_bundle"
    __table_args__ = {"schema": SCHEMA}

    export_id: uuid.UUID = Field(sa_column=Column(
        Uuid, ForeignKey("cases.export.id", ondelete="CASCADE"), primary_key=True))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Evidence(SQLModel, table=True):
    """What was attached to a case (immutable: a trigger refuses UPDATE and DELETE); the bytes
    live in `evidence_content`, so listing never loads them."""

    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_case_created", "case_id", "created_at"),
                      {"schema": SCHEMA})

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.case.id")
    filename: str = Field(sa_column=Column(String(255), nullable=False))
    content_type: str = Field(sa_column=Column(String(120), nullable=False))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    description: str = Field(sa_column=Column(String(2000), nullable=False))
    added_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())


class EvidenceContent(SQLModel, table=True):
    __tablename__ = "evidence_content"
    __table_args__ = {"schema": SCHEMA}

    evidence_id: uuid.UUID = Field(foreign_key="cases.evidence.id", primary_key=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class CaseShare(SQLModel, table=True):
    """Read access to one case for a case viewer (an HR or Legal contact), until revoked."""

    __tablename__ = "case_share"
    __table_args__ = (Index("ix_case_share_account", "account_id", "case_id"),
                      {"schema": SCHEMA})

    case_id: uuid.UUID = Field(foreign_key="cases.case.id", primary_key=True)
    account_id: uuid.UUID = Field(primary_key=True)
    reason: str = Field(sa_column=Column(String(500), nullable=False))
    shared_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())


class ActivityReportShare(SQLModel, table=True):
    __tablename__ = "activity_report_share"
    __table_args__ = (Index("ix_activity_report_share_account", "account"),
                      {"schema": SCHEMA})

    report_id: uuid.UUID = Field(foreign_key="cases.activity_report.id", primary_key=True)
    account: str = Field(sa_column=Column(String(200), primary_key=True))
    shared_by: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_ts())


class ActivityReportItem(SQLModel, table=True):
    """One activity of a report as the job found it: pseudonymous, without content."""

    __tablename__ = "activity_report_item"
    __table_args__ = (Index("ix_activity_report_item_order", "report_id", "occurred_at",
                            "event_id"), {"schema": SCHEMA})

    report_id: uuid.UUID = Field(foreign_key="cases.activity_report.id", primary_key=True)
    event_id: str = Field(sa_column=Column(String(200), primary_key=True))
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    type: str = Field(sa_column=Column(String(64), nullable=False))
    category: str = Field(sa_column=Column(String(32), nullable=False))
    source: str = Field(sa_column=Column(String(64), nullable=False))
    risk_level: str = Field(sa_column=Column(String(8), nullable=False))
    attributes: dict[str, Any] = Field(default_factory=dict,
                                       sa_column=Column(JSONB, nullable=False))


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
