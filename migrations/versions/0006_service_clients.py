"""Service clients: machine callers with client credentials (a secret kept as a hash), bound
to roles through ordinary role assignments (subject client:<id>).

Revision ID: 0006
Revises: 0005
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('service_client',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=1000), server_default='', nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('secret_rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    schema='identity'
    )
    op.create_index('uq_service_client_active_name', 'service_client', ['name'], unique=True,
                    schema='identity', postgresql_where=sa.text('revoked_at IS NULL'))


def downgrade() -> None:
    # The clients' role assignments would otherwise outlive them, naming nobody.
    op.execute("DELETE FROM identity.casbin_rule WHERE ptype = 'g' AND v0 LIKE 'client:%'")
    op.drop_index('uq_service_client_active_name', table_name='service_client',
                  schema='identity', postgresql_where=sa.text('revoked_at IS NULL'))
    op.drop_table('service_client', schema='identity')
