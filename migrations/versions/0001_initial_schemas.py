"""Initial schemas: one per service, and the append-only, hash-chained audit log.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 12:20:31.566124
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.kit.feed import Xid8

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SCHEMAS = ("audit", "identity", "ingest", "scoring", "cases")

AUDIT_SQL = (
    r'''
CREATE FUNCTION audit.row_hash(prev text, seq bigint, at timestamptz, service text, actor text,
                               action text, target text, outcome text, request_id text,
                               detail jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  -- A JSON array encodes every field unambiguously (no separator can be forged).
  SELECT encode(sha256(convert_to(jsonb_build_array(prev, seq,
         (extract(epoch FROM at) * 1000000)::bigint, service, actor, action, target, outcome,
         request_id, detail)::text, 'UTF8')), 'hex')
$$
''',
    r'''
-- Chain each new row to the previous one. The advisory lock (held to commit) serialises
-- writers so the chain order is the commit order; seq, time and hashes are set here, never
-- by the application.
CREATE FUNCTION audit.chain_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock(4242424242);
  SELECT seq, hash INTO last_seq, last_hash FROM audit.audit_log ORDER BY seq DESC LIMIT 1;
  NEW.seq := coalesce(last_seq, 0) + 1;
  NEW.at := clock_timestamp();
  NEW.prev_hash := last_hash;
  NEW.hash := audit.row_hash(NEW.prev_hash, NEW.seq, NEW.at, NEW.service, NEW.actor,
                             NEW.action, NEW.target, NEW.outcome, NEW.request_id, NEW.detail);
  RETURN NEW;
END $$
''',
    r'''
CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit.audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$
''',
    r'''
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit.audit_log
  FOR EACH ROW EXECUTE FUNCTION audit.chain_row()
''',
    r'''
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit.audit_log
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()
''',
    r'''
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()
''',
    r'''
CREATE FUNCTION cases.refuse_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'case notes are immutable: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$
''',
    r'''
CREATE TRIGGER note_immutable BEFORE UPDATE OR DELETE ON cases.note
  FOR EACH ROW EXECUTE FUNCTION cases.refuse_note_change()
''',
)


def upgrade() -> None:
    for schema in SCHEMAS:
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('service', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('seq = 1 OR prev_hash IS NOT NULL', name='audit_log_linked'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('seq'),
    schema='audit'
    )
    op.create_table('case',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('alias', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('classification', sa.String(length=40), nullable=True),
    sa.Column('resolution', sa.String(length=2000), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    schema='cases'
    )
    op.create_index(op.f('ix_cases_case_subject_id'), 'case', ['subject_id'], unique=False, schema='cases')
    op.create_table('feed_cursor',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('cursor', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('name'),
    schema='cases'
    )
    op.create_table('account',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email'),
    schema='identity'
    )
    op.create_table('casbin_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ptype', sa.String(length=8), nullable=False),
    sa.Column('v0', sa.String(length=200), nullable=False),
    sa.Column('v1', sa.String(length=200), nullable=False),
    sa.Column('v2', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ptype', 'v0', 'v1', name='uq_casbin_rule_assignment'),
    schema='identity'
    )
    op.create_index(op.f('ix_identity_casbin_rule_v0'), 'casbin_rule', ['v0'], unique=False, schema='identity')
    op.create_table('person',
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('lookup_hash', sa.String(length=64), nullable=False),
    sa.Column('alias', sa.String(length=40), nullable=False),
    sa.Column('identity_ct', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('subject_id'),
    sa.UniqueConstraint('alias'),
    sa.UniqueConstraint('lookup_hash'),
    schema='identity'
    )
    op.create_table('activity_event',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('alias', sa.String(length=40), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('xid', Xid8(), server_default=sa.text('pg_current_xact_id()'), nullable=False),
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema='ingest'
    )
    op.create_index('ix_activity_event_subject_time', 'activity_event', ['subject_id', 'occurred_at'], unique=False, schema='ingest')
    op.create_index('ix_activity_event_xid_seq', 'activity_event', ['xid', 'seq'], unique=False, schema='ingest')
    op.create_table('receipt',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('principal', sa.String(length=200), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema='ingest'
    )
    op.create_table('alert_candidate',
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('policy_name', sa.String(length=200), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('alias', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('explanation', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('xid', Xid8(), server_default=sa.text('pg_current_xact_id()'), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    schema='scoring'
    )
    op.create_index('ix_alert_candidate_xid_seq', 'alert_candidate', ['xid', 'seq'], unique=False, schema='scoring')
    op.create_table('daily_activity',
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('indicator', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('subject_id', 'indicator', 'day'),
    schema='scoring'
    )
    op.create_table('feed_cursor',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('cursor', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('name'),
    schema='scoring'
    )
    op.create_table('indicator_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('key'),
    schema='scoring'
    )
    op.create_table('policy',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=False),
    sa.Column('indicators', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('alert_threshold', sa.Integer(), nullable=False),
    sa.Column('activation_days', sa.Integer(), nullable=False),
    sa.Column('past_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    schema='scoring'
    )
    op.create_table('risk_score',
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('contributions', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('alerted_version', sa.Integer(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('policy_id', 'subject_id'),
    schema='scoring'
    )
    op.create_table('subject',
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('alias', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('subject_id'),
    schema='scoring'
    )
    op.create_table('triggering_event',
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('event_id'),
    schema='scoring'
    )
    op.create_index(op.f('ix_scoring_triggering_event_subject_id'), 'triggering_event', ['subject_id'], unique=False, schema='scoring')
    op.create_table('alert',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('policy_name', sa.String(length=200), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('alias', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('score_version', sa.Integer(), nullable=False),
    sa.Column('explanation', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('dismiss_reason', sa.String(length=40), nullable=True),
    sa.Column('dismiss_comment', sa.String(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case.id'], ),
    sa.PrimaryKeyConstraint('id'),
    schema='cases'
    )
    op.create_index('ix_alert_queue', 'alert', ['status', 'severity', 'created_at'], unique=False, schema='cases')
    op.create_index(op.f('ix_cases_alert_subject_id'), 'alert', ['subject_id'], unique=False, schema='cases')
    op.create_index('ux_alert_open_per_policy_subject', 'alert', ['policy_id', 'subject_id'], unique=True, schema='cases', postgresql_where=sa.text("status = 'needs_review'"))
    op.create_table('note',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case.id'], ),
    sa.PrimaryKeyConstraint('id'),
    schema='cases'
    )
    op.create_index(op.f('ix_cases_note_case_id'), 'note', ['case_id'], unique=False, schema='cases')
    op.create_table('reveal_grant',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('justification', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['identity.account.id'], ),
    sa.ForeignKeyConstraint(['subject_id'], ['identity.person.subject_id'], ),
    sa.PrimaryKeyConstraint('id'),
    schema='identity'
    )
    op.create_index(op.f('ix_identity_reveal_grant_account_id'), 'reveal_grant', ['account_id'], unique=False, schema='identity')
    op.create_index(op.f('ix_identity_reveal_grant_subject_id'), 'reveal_grant', ['subject_id'], unique=False, schema='identity')
    for statement in AUDIT_SQL:
        op.execute(statement)


def downgrade() -> None:
    for schema in reversed(SCHEMAS):
        op.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
