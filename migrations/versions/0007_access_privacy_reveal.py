"""Scoped access, the privacy setting and reveal requests (the two-person rule).

Revision ID: 0007
Revises: 0006
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EMPTY = sa.text("'[]'::jsonb")


def upgrade() -> None:
    op.create_table(
        'access_scope',
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('departments', postgresql.JSONB(), server_default=_EMPTY, nullable=False),
        sa.Column('regions', postgresql.JSONB(), server_default=_EMPTY, nullable=False),
        sa.Column('case_ids', postgresql.JSONB(), server_default=_EMPTY, nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('subject'),
        schema='identity')
    op.create_table(
        'privacy_setting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pseudonymise', sa.Boolean(), nullable=False),
        sa.Column('two_person_reveal', sa.Boolean(), nullable=False),
        sa.Column('reveal_ttl_s', sa.Integer(), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint('id = 1', name='privacy_setting_single_row'),
        sa.PrimaryKeyConstraint('id'),
        schema='identity')
    op.execute("INSERT INTO identity.privacy_setting (id, pseudonymise, two_person_reveal, "
               "reveal_ttl_s) VALUES (1, true, false, 28800)")
    op.create_table(
        'reveal_request',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('requested_by', sa.String(length=200), nullable=False),
        sa.Column('justification', sa.String(length=2000), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('decided_by', sa.String(length=200), nullable=True),
        sa.Column('decision_reason', sa.String(length=2000), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('grant_id', sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        schema='identity')
    op.create_index('ix_identity_reveal_request_subject_id', 'reveal_request', ['subject_id'],
                    schema='identity')
    op.create_index('ix_identity_reveal_request_requested_by', 'reveal_request',
                    ['requested_by'], schema='identity')
    op.create_index('ix_identity_reveal_request_status', 'reveal_request', ['status'],
                    schema='identity')


def downgrade() -> None:
    op.drop_index('ix_identity_reveal_request_status', 'reveal_request', schema='identity')
    op.drop_index('ix_identity_reveal_request_requested_by', 'reveal_request',
                  schema='identity')
    op.drop_index('ix_identity_reveal_request_subject_id', 'reveal_request', schema='identity')
    op.drop_table('reveal_request', schema='identity')
    op.drop_table('privacy_setting', schema='identity')
    op.drop_table('access_scope', schema='identity')
