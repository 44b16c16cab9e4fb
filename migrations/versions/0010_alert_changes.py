"""The alert change log behind the SIEM export feed: one row per change of an alert (raised,
updated, triaged, resolved), written in the transaction of the change, read in commit order
by (xid, seq) like the other feeds.

Upgrade records one `created` change per alert that exists already, as it stands now, in one
transaction (the feed starts with every alert once). Downgrade drops the log.

Revision ID: 0010
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.kit.feed import Xid8

revision: str = '0010'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'alert_change',
        sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('alert_id', sa.Uuid(), nullable=False),
        sa.Column('operation', sa.String(length=16), nullable=False),
        sa.Column('policy_id', sa.Uuid(), nullable=False),
        sa.Column('policy_name', sa.String(length=200), nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=False),
        sa.Column('alias', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('explanation', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=True),
        sa.Column('detected_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('xid', Xid8(), server_default=sa.text('pg_current_xact_id()'), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
        schema='cases',
    )
    op.create_index('ix_alert_change_xid_seq', 'alert_change', ['xid', 'seq'], unique=False,
                    schema='cases')
    op.create_index(op.f('ix_cases_alert_change_alert_id'), 'alert_change', ['alert_id'],
                    unique=False, schema='cases')
    op.execute("""
        INSERT INTO cases.alert_change (alert_id, operation, policy_id, policy_name, subject_id,
                                        alias, status, severity, score, explanation, case_id,
                                        detected_at, changed_at)
        SELECT id, 'created', policy_id, policy_name, subject_id, alias, status, severity,
               score, explanation, case_id, created_at, updated_at
        FROM cases.alert ORDER BY created_at, id
    """)


def downgrade() -> None:
    op.drop_index(op.f('ix_cases_alert_change_alert_id'), table_name='alert_change',
                  schema='cases')
    op.drop_index('ix_alert_change_xid_seq', table_name='alert_change', schema='cases')
    op.drop_table('alert_change', schema='cases')
