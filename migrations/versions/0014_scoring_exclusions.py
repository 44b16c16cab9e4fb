"""Activity scoring stops counting: suppression rules (time-boxed, per person and activity
type, reviewed when they expire), benign marks on single events, and the list of excluded
events every reader of scoring's signals leaves out.

Revision ID: 0014
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0014'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False, default: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=sa.text('now()') if default else None)


def upgrade() -> None:
    op.create_table(
        'suppression',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=False),
        sa.Column('activity_types', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('periods', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=2000), nullable=False),
        sa.Column('alert_id', sa.Uuid(), nullable=True),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        _ts('created_at'), _ts('updated_at'),
        _ts('ended_at', nullable=True, default=False),
        sa.Column('ended_by', sa.String(length=200), nullable=True),
        _ts('reviewed_at', nullable=True, default=False),
        sa.Column('reviewed_by', sa.String(length=200), nullable=True),
        sa.Column('review_decision', sa.String(length=16), nullable=True),
        sa.Column('review_comment', sa.String(length=2000), nullable=True),
        sa.CheckConstraint("state IN ('active', 'review_required', 'ended')",
                           name='ck_suppression_state'),
        sa.PrimaryKeyConstraint('id'),
        schema='scoring')
    op.create_index('ix_scoring_suppression_subject_id', 'suppression', ['subject_id'],
                    schema='scoring')
    op.create_index('ix_suppression_state_until', 'suppression', ['state', 'until'],
                    schema='scoring')
    op.create_table(
        'benign_mark',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=False),
        sa.Column('event_id', sa.String(length=128), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.String(length=2000), nullable=False),
        sa.Column('report_id', sa.Uuid(), nullable=True),
        sa.Column('marked_by', sa.String(length=200), nullable=False),
        _ts('created_at'),
        sa.PrimaryKeyConstraint('id'),
        schema='scoring')
    op.create_index('ux_benign_mark_subject_event', 'benign_mark', ['subject_id', 'event_id'],
                    unique=True, schema='scoring')
    op.create_table(
        'excluded_event',
        sa.Column('subject_id', sa.Uuid(), nullable=False),
        sa.Column('event_id', sa.String(length=128), nullable=False),
        sa.Column('source_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.CheckConstraint("kind IN ('suppression', 'benign')", name='ck_excluded_event_kind'),
        sa.PrimaryKeyConstraint('subject_id', 'event_id', 'source_id'),
        schema='scoring')
    op.create_index('ix_excluded_event_subject_time', 'excluded_event',
                    ['subject_id', 'occurred_at', 'event_id'], schema='scoring')
    op.create_index('ix_excluded_event_source', 'excluded_event', ['source_id'],
                    schema='scoring')


def downgrade() -> None:
    op.drop_table('excluded_event', schema='scoring')
    op.drop_table('benign_mark', schema='scoring')
    op.drop_table('suppression', schema='scoring')
