"""Cases: evidence attachments (metadata and content in separate tables, both immutable by
trigger like the notes), case shares owned by cases (a case viewer's shared cases move here from
identity's access scopes, which lose `case_ids`), and indexes for the case list's date filters
and sorts.

Upgrade copies every (account, case) pair of identity's `access_scope.case_ids` into
`cases.case_share` before dropping the column, so nobody loses a share; downgrade copies them
back.

Revision ID: 0015
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0015'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IMMUTABLE_SQL = (
    r'''
CREATE FUNCTION cases.refuse_evidence_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'case evidence is immutable: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$
''',
    r'''
CREATE TRIGGER evidence_immutable BEFORE UPDATE OR DELETE ON cases.evidence
  FOR EACH ROW EXECUTE FUNCTION cases.refuse_evidence_change()
''',
    r'''
CREATE TRIGGER evidence_content_immutable BEFORE UPDATE OR DELETE ON cases.evidence_content
  FOR EACH ROW EXECUTE FUNCTION cases.refuse_evidence_change()
''',
    # TRUNCATE skips row triggers: refuse it by statement trigger too (the service roles have
    # no TRUNCATE privilege anyway).
    r'''
CREATE TRIGGER note_no_truncate BEFORE TRUNCATE ON cases.note
  FOR EACH STATEMENT EXECUTE FUNCTION cases.refuse_note_change()
''',
    r'''
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON cases.evidence
  FOR EACH STATEMENT EXECUTE FUNCTION cases.refuse_evidence_change()
''',
    r'''
CREATE TRIGGER evidence_content_no_truncate BEFORE TRUNCATE ON cases.evidence_content
  FOR EACH STATEMENT EXECUTE FUNCTION cases.refuse_evidence_change()
''',
)


def upgrade() -> None:
    op.create_table(
        'evidence',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=120), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('description', sa.String(length=2000), nullable=False),
        sa.Column('added_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.case.id']),
        sa.PrimaryKeyConstraint('id'),
        schema='cases',
    )
    op.create_index('ix_evidence_case_created', 'evidence', ['case_id', 'created_at'],
                    schema='cases')
    op.create_table(
        'evidence_content',
        sa.Column('evidence_id', sa.Uuid(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['evidence_id'], ['cases.evidence.id']),
        sa.PrimaryKeyConstraint('evidence_id'),
        schema='cases',
    )
    op.create_table(
        'case_share',
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('account_id', sa.Uuid(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('shared_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.case.id']),
        sa.PrimaryKeyConstraint('case_id', 'account_id'),
        schema='cases',
    )
    op.create_index('ix_case_share_account', 'case_share', ['account_id', 'case_id'],
                    schema='cases')
    op.create_index('ix_case_status_created', 'case', ['status', 'created_at'], schema='cases')
    op.create_index('ix_case_updated', 'case', ['updated_at'], schema='cases')
    for sql in IMMUTABLE_SQL:
        op.execute(sql)
    # One source of truth: the shares identity kept move to cases.
    op.execute("""
        INSERT INTO cases.case_share (case_id, account_id, reason, shared_by)
        SELECT c.id, split_part(s.subject, ':', 2)::uuid, 'moved from the access scope',
               'migration:0015'
        FROM identity.access_scope s
        CROSS JOIN LATERAL jsonb_array_elements_text(s.case_ids) AS shared(case_id)
        JOIN cases."case" c ON c.id::text = shared.case_id
        WHERE s.subject LIKE 'user:%'
        ON CONFLICT DO NOTHING
    """)
    op.drop_column('access_scope', 'case_ids', schema='identity')


def downgrade() -> None:
    op.add_column('access_scope', sa.Column(
        'case_ids', postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text("'[]'::jsonb"), nullable=False), schema='identity')
    op.execute("""
        INSERT INTO identity.access_scope (subject, departments, regions, case_ids)
        SELECT 'user:' || account_id, '[]'::jsonb, '[]'::jsonb,
               jsonb_agg(case_id::text ORDER BY case_id)
        FROM cases.case_share GROUP BY account_id
        ON CONFLICT (subject) DO UPDATE SET case_ids = EXCLUDED.case_ids
    """)
    op.execute("DROP TRIGGER note_no_truncate ON cases.note")
    op.drop_index('ix_case_updated', table_name='case', schema='cases')
    op.drop_index('ix_case_status_created', table_name='case', schema='cases')
    op.drop_index('ix_case_share_account', table_name='case_share', schema='cases')
    op.drop_table('case_share', schema='cases')
    op.drop_table('evidence_content', schema='cases')
    op.drop_index('ix_evidence_case_created', table_name='evidence', schema='cases')
    op.drop_table('evidence', schema='cases')
    op.execute("DROP FUNCTION cases.refuse_evidence_change()")

