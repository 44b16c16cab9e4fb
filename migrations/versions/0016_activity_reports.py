"""User activity reports: the report (who asked, for whom, which window, the job's state and
progress, its summary), the investigators it is shared with, and the activities the job found
(pseudonymous, without content). New tables of the cases schema: the service role's grants are
applied after every upgrade.

Revision ID: 0016
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'activity_report',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=False),
        sa.Column('alias', sa.String(length=40), nullable=False),
        sa.Column('window_from', sa.DateTime(timezone=True), nullable=False),
        sa.Column('window_to', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(length=2000), nullable=True),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('summary', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        schema='cases',
    )
    op.create_index('ix_activity_report_creator', 'activity_report',
                    ['created_by', 'created_at'], unique=False, schema='cases')
    op.create_index(op.f('ix_cases_activity_report_subject_id'), 'activity_report',
                    ['subject_id'], unique=False, schema='cases')
    op.create_table(
        'activity_report_share',
        sa.Column('report_id', sa.Uuid(), nullable=False),
        sa.Column('account', sa.String(length=200), nullable=False),
        sa.Column('shared_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['cases.activity_report.id']),
        sa.PrimaryKeyConstraint('report_id', 'account'),
        schema='cases',
    )
    op.create_index('ix_activity_report_share_account', 'activity_report_share', ['account'],
                    unique=False, schema='cases')
    op.create_table(
        'activity_report_item',
        sa.Column('report_id', sa.Uuid(), nullable=False),
        sa.Column('event_id', sa.String(length=200), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('risk_level', sa.String(length=8), nullable=False),
        sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['cases.activity_report.id']),
        sa.PrimaryKeyConstraint('report_id', 'event_id'),
        schema='cases',
    )
    op.create_index('ix_activity_report_item_order', 'activity_report_item',
                    ['report_id', 'occurred_at', 'event_id'], unique=False, schema='cases')


def downgrade() -> None:
    op.drop_table('activity_report_item', schema='cases')
    op.drop_table('activity_report_share', schema='cases')
    op.drop_table('activity_report', schema='cases')
