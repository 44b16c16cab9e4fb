"""Cases closed as confirmed violations remember when scoring was told (its previous-violation
booster); those closed before are reported by the next catch-up.

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('case', sa.Column('violation_reported_at', sa.DateTime(timezone=True),
                                    nullable=True), schema='cases')


def downgrade() -> None:
    op.drop_column('case', 'violation_reported_at', schema='cases')
