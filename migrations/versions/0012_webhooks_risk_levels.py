"""Signed webhooks (subscriptions, the append-only event outbox, deliveries and their attempt
log) and risk levels (each person's current level, the append-only change log read in commit
order by (xid, seq), and the rules' setting).

Upgrade creates empty tables: levels are derived from alert and case changes from then on
(and by the settings-change recompute). Downgrade drops them.

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.kit.feed import Xid8

revision: str = '0012'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("webhook_event", "risk_level_change")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=None if nullable else sa.text('now()'))


def upgrade() -> None:
    op.create_table(
        'webhook_subscription',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('description', sa.String(length=500), nullable=True),
        sa.Column('event_types', postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column('policy_ids', postgresql.ARRAY(sa.Uuid()), nullable=True),
        sa.Column('secret', sa.String(length=200), nullable=False),
        sa.Column('previous_secret', sa.String(length=200), nullable=True),
        _ts('previous_secret_expires_at', True),
        sa.Column('enabled', sa.Boolean(), server_default='true', nullable=False),
        _ts('disabled_at', True),
        sa.Column('disabled_reason', sa.String(length=200), nullable=True),
        sa.Column('consecutive_failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('disable_after_failures', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        _ts('created_at'), _ts('updated_at'),
        sa.PrimaryKeyConstraint('id'),
        schema='cases',
    )
    op.create_table(
        'webhook_event',
        sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('policy_ids', postgresql.ARRAY(sa.Uuid()), server_default='{}',
                  nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=True),
        sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        _ts('created_at'),
        sa.PrimaryKeyConstraint('seq'),
        sa.UniqueConstraint('id'),
        schema='cases',
    )
    op.create_index('ix_webhook_event_created_at', 'webhook_event', ['created_at'],
                    schema='cases')
    op.create_table(
        'webhook_delivery',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('subscription_id', sa.Uuid(), nullable=False),
        sa.Column('event_seq', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('replay', sa.Boolean(), server_default='false', nullable=False),
        _ts('next_attempt_at'),
        sa.Column('last_status_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        _ts('delivered_at', True), _ts('created_at'), _ts('updated_at'),
        sa.ForeignKeyConstraint(['subscription_id'], ['cases.webhook_subscription.id'],
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_seq'], ['cases.webhook_event.seq']),
        sa.PrimaryKeyConstraint('id'),
        schema='cases',
    )
    op.create_index('ix_webhook_delivery_due', 'webhook_delivery', ['next_attempt_at'],
                    postgresql_where=sa.text("status = 'pending'"), schema='cases')
    op.create_index('ix_webhook_delivery_subscription', 'webhook_delivery',
                    ['subscription_id', 'created_at'], schema='cases')
    op.create_index(op.f('ix_cases_webhook_delivery_event_seq'), 'webhook_delivery',
                    ['event_seq'], schema='cases')
    op.create_table(
        'webhook_attempt',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('delivery_id', sa.Uuid(), nullable=False),
        _ts('attempted_at'),
        sa.Column('succeeded', sa.Boolean(), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['delivery_id'], ['cases.webhook_delivery.id'],
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        schema='cases',
    )
    op.create_index(op.f('ix_cases_webhook_attempt_delivery_id'), 'webhook_attempt',
                    ['delivery_id'], schema='cases')
    op.create_table(
        'risk_level',
        sa.Column('subject_id', sa.Uuid(), nullable=False),
        sa.Column('alias', sa.String(length=40), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('rule', sa.String(length=40), nullable=True),
        sa.Column('source_type', sa.String(length=16), nullable=True),
        sa.Column('source_id', sa.Uuid(), nullable=True),
        sa.Column('policy_ids', postgresql.ARRAY(sa.Uuid()), server_default='{}',
                  nullable=False),
        _ts('set_at', True), _ts('expires_at', True), _ts('updated_at'),
        sa.PrimaryKeyConstraint('subject_id'),
        schema='cases',
    )
    op.create_index('ix_risk_level_level', 'risk_level', ['level', 'updated_at'],
                    schema='cases')
    op.create_index('ix_risk_level_expiry', 'risk_level', ['expires_at'],
                    postgresql_where=sa.text("level <> 'none'"), schema='cases')
    op.create_table(
        'risk_level_change',
        sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=False),
        sa.Column('alias', sa.String(length=40), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('previous_level', sa.String(length=16), nullable=False),
        sa.Column('rule', sa.String(length=40), nullable=True),
        sa.Column('source_type', sa.String(length=16), nullable=True),
        sa.Column('source_id', sa.Uuid(), nullable=True),
        _ts('expires_at', True), _ts('changed_at'),
        sa.Column('xid', Xid8(), server_default=sa.text('pg_current_xact_id()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('seq'),
        schema='cases',
    )
    op.create_index('ix_risk_level_change_xid_seq', 'risk_level_change', ['xid', 'seq'],
                    schema='cases')
    op.create_index(op.f('ix_cases_risk_level_change_subject_id'), 'risk_level_change',
                    ['subject_id'], schema='cases')
    op.create_table(
        'risk_level_setting',
        sa.Column('id', sa.SmallInteger(), nullable=False),
        sa.Column('document', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=False),
        _ts('updated_at'),
        sa.PrimaryKeyConstraint('id'),
        schema='cases',
    )
    op.execute(r'''
CREATE FUNCTION cases.refuse_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%.% is append-only: % is not allowed', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$
''')
    for table in APPEND_ONLY:
        op.execute(f'CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON cases.{table} '
                   'FOR EACH ROW EXECUTE FUNCTION cases.refuse_append_only_change()')
        op.execute(f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON cases.{table} '
                   'FOR EACH STATEMENT EXECUTE FUNCTION cases.refuse_append_only_change()')


def downgrade() -> None:
    for table in ('risk_level_setting', 'risk_level_change', 'risk_level', 'webhook_attempt',
                  'webhook_delivery', 'webhook_event', 'webhook_subscription'):
        op.drop_table(table, schema='cases')
    op.execute('DROP FUNCTION cases.refuse_append_only_change()')
