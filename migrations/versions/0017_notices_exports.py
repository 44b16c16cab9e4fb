"""Notice templates, notices sent from cases, escalation exports and their bundles (the
ZIP in a table of its own, so listing exports never reads it). New tables of the cases
schema: the cases role is granted them by `audit.apply_service_roles` after the upgrade.

Revision ID: 0017
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0017'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text('now()')


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=None if nullable else _NOW)


def upgrade() -> None:
    op.create_table(
        'notice_template',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('send_from', sa.String(320), nullable=False),
        sa.Column('cc', postgresql.JSONB(), nullable=False),
        sa.Column('bcc', postgresql.JSONB(), nullable=False),
        sa.Column('subject', sa.String(500), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('training_url', sa.String(2000), nullable=True),
        sa.Column('created_by', sa.String(200), nullable=False),
        sa.Column('updated_by', sa.String(200), nullable=False),
        _ts('created_at'), _ts('updated_at'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
        schema='cases',
    )
    op.create_table(
        'notice',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), sa.ForeignKey('cases.case.id'), nullable=False),
        sa.Column('template_id', sa.Uuid(),
                  sa.ForeignKey('cases.notice_template.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('template_name', sa.String(200), nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=False),
        sa.Column('alias', sa.String(40), nullable=False),
        sa.Column('send_from', sa.String(320), nullable=False),
        sa.Column('cc', postgresql.JSONB(), nullable=False),
        sa.Column('bcc', postgresql.JSONB(), nullable=False),
        sa.Column('subject', sa.String(1000), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('sender', sa.String(200), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(1000), nullable=True),
        _ts('created_at'), _ts('updated_at'), _ts('sent_at', nullable=True),
        sa.PrimaryKeyConstraint('id'),
        schema='cases',
    )
    op.create_index('ix_cases_notice_case_id', 'notice', ['case_id'], schema='cases')
    op.create_index('ix_notice_state_created', 'notice', ['state', 'created_at'],
                    schema='cases')
    op.create_table(
        'export',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), sa.ForeignKey('cases.case.id'), nullable=False),
        sa.Column('created_by', sa.String(200), nullable=False),
        sa.Column('content_included', sa.Boolean(), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(1000), nullable=True),
        sa.Column('size_bytes', sa.BigInteger(), nullable=True),
        sa.Column('sha256', sa.String(64), nullable=True),
        _ts('created_at'), _ts('updated_at'), _ts('finished_at', nullable=True),
        sa.PrimaryKeyConstraint('id'),
        schema='cases',
    )
    op.create_index('ix_cases_export_case_id', 'export', ['case_id'], schema='cases')
    op.create_table(
        'export_bundle',
        sa.Column('export_id', sa.Uuid(),
                  sa.ForeignKey('cases.export.id', ondelete='CASCADE'), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('export_id'),
        schema='cases',
    )


def downgrade() -> None:
    op.drop_table('export_bundle', schema='cases')
    op.drop_index('ix_cases_export_case_id', table_name='export', schema='cases')
    op.drop_table('export', schema='cases')
    op.drop_index('ix_notice_state_created', table_name='notice', schema='cases')
    op.drop_index('ix_cases_notice_case_id', table_name='notice', schema='cases')
    op.drop_table('notice', schema='cases')
    op.drop_table('notice_template', schema='cases')
