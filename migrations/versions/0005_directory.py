"""The monitored-person directory: per-person data keys (envelope encryption, erasure by
crypto-shredding), department / region / high impact in the clear, the people-change feed,
and identity-key re-encryption passes.

Rows written before this revision stay sealed with the identity key itself ("legacy"); they
are read as they are and moved to a data key of their own by the re-encryption pass
(`POST /people/rekey`), which also fills their clear columns.

Downgrade: people sealed with a data key cannot be turned back into the old form without the
identity key, which migrations never see, so the downgrade refuses while any exist (restore
the 0004 backup instead); erased people keep their row with placeholders for the hash and
ciphertext (nothing can be opened from them).

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.kit.feed import Xid8

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column('person', 'lookup_hash', existing_type=sa.String(length=64), nullable=True,
                    schema='identity')
    op.alter_column('person', 'identity_ct', existing_type=sa.LargeBinary(), nullable=True,
                    schema='identity')
    op.add_column('person', sa.Column('department', sa.String(length=200), nullable=True),
                  schema='identity')
    op.add_column('person', sa.Column('region', sa.String(length=100), nullable=True),
                  schema='identity')
    op.add_column('person', sa.Column('high_impact', sa.Boolean(), server_default='false',
                                      nullable=False), schema='identity')
    op.add_column('person', sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
                  schema='identity')
    op.create_index(op.f('ix_identity_person_department'), 'person', ['department'],
                    unique=False, schema='identity')
    op.create_index(op.f('ix_identity_person_region'), 'person', ['region'], unique=False,
                    schema='identity')
    op.create_index(op.f('ix_identity_person_high_impact'), 'person', ['high_impact'],
                    unique=False, schema='identity')
    op.create_table('person_key',
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['identity.person.subject_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subject_id'),
    schema='identity'
    )
    op.create_index(op.f('ix_identity_person_key_key_id'), 'person_key', ['key_id'],
                    unique=False, schema='identity')
    op.create_table('person_change',
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('xid', Xid8(), server_default=sa.text('pg_current_xact_id()'), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    schema='identity'
    )
    op.create_index('ix_person_change_xid_seq', 'person_change', ['xid', 'seq'], unique=False,
                    schema='identity')
    op.create_table('rekey_run',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('started_by', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rewritten', sa.Integer(), server_default='0', nullable=False),
    sa.Column('skipped', sa.Integer(), server_default='0', nullable=False),
    sa.Column('error', sa.String(length=2000), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    schema='identity'
    )


def downgrade() -> None:
    sealed = op.get_bind().execute(sa.text("SELECT count(*) FROM identity.person_key")).scalar()
    if sealed:
        raise RuntimeError(
            f"{sealed} people are sealed with per-person data keys, which the 0004 code cannot "
            "read; this downgrade would lose them. Restore a backup taken before 0005 instead.")
    op.execute("""
        UPDATE identity.person
        SET lookup_hash = 'erased-' || replace(subject_id::text, '-', ''), identity_ct = ''
        WHERE lookup_hash IS NULL OR identity_ct IS NULL
    """)
    op.drop_table('rekey_run', schema='identity')
    op.drop_index('ix_person_change_xid_seq', table_name='person_change', schema='identity')
    op.drop_table('person_change', schema='identity')
    op.drop_index(op.f('ix_identity_person_key_key_id'), table_name='person_key',
                  schema='identity')
    op.drop_table('person_key', schema='identity')
    op.drop_index(op.f('ix_identity_person_high_impact'), table_name='person', schema='identity')
    op.drop_index(op.f('ix_identity_person_region'), table_name='person', schema='identity')
    op.drop_index(op.f('ix_identity_person_department'), table_name='person',
                  schema='identity')
    op.drop_column('person', 'erased_at', schema='identity')
    op.drop_column('person', 'high_impact', schema='identity')
    op.drop_column('person', 'region', schema='identity')
    op.drop_column('person', 'department', schema='identity')
    op.alter_column('person', 'identity_ct', existing_type=sa.LargeBinary(), nullable=False,
                    schema='identity')
    op.alter_column('person', 'lookup_hash', existing_type=sa.String(length=64),
                    nullable=False, schema='identity')
