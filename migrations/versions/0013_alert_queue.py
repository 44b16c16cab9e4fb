"""The alert queue: risk factors, triage SLA, reviewer assignment and the triage assistant's
stored parts on each alert; the SLA settings table; the indexes the queue's filters and sorts
use (bench/queue.py).

`sla_due_at` and `triaged_at` are kept by a trigger (cases.alert_triage_fields) so every writer
of alerts gets them right: detection time + the SLA of the current severity (recomputed when the
severity changes), and the first time the alert leaves needs_review. Existing alerts are filled
in: risk factors from their explanation, triaged_at from the alert change log, the SLA due
time from the defaults, the priority base and related counts by the rules of docs/triage.md.

Revision ID: 0013
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_SLA_HOURS = {"high": 24, "medium": 72, "low": 168}

_TRIGGER = """
CREATE FUNCTION cases.alert_triage_fields() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE hours integer;
BEGIN
  IF TG_OP = 'INSERT' OR NEW.severity IS DISTINCT FROM OLD.severity
     OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
    SELECT s.sla_hours INTO hours FROM cases.triage_sla AS s WHERE s.severity = NEW.severity;
    NEW.sla_due_at := NEW.created_at + make_interval(hours => COALESCE(hours, 168));
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.status = 'needs_review' AND NEW.status <> 'needs_review'
     AND NEW.triaged_at IS NULL THEN
    NEW.triaged_at := now();
  END IF;
  RETURN NEW;
END $$;
--
CREATE TRIGGER alert_triage_fields BEFORE INSERT OR UPDATE ON cases.alert
  FOR EACH ROW EXECUTE FUNCTION cases.alert_triage_fields();
"""

# The same rules as services/cases/alerts/assistant.py, for alerts raised before 0013.
_BACKFILL = """
UPDATE cases.alert AS a SET risk_factors = ARRAY(
  SELECT DISTINCT f FROM (
    SELECT jsonb_array_elements_text(COALESCE(a.explanation->'risk_factors', '[]')) AS f
    UNION ALL
    SELECT CASE c->>'booster'
             WHEN 'booster_above_baseline' THEN 'above_usual_activity'
             WHEN 'booster_priority_group' THEN 'priority_group'
             WHEN 'booster_high_impact' THEN 'high_impact_person'
             WHEN 'booster_previous_violation' THEN 'previous_violation' END
    FROM jsonb_array_elements(COALESCE(a.explanation->'contributions', '[]')) AS c
    WHERE c->>'kind' = 'booster'
  ) AS x
  WHERE f IN ('cumulative_exfiltration', 'sequence', 'priority_content', 'unallowed_domains',
              'above_usual_activity', 'priority_group', 'high_impact_person',
              'previous_violation')
  ORDER BY f);
--
UPDATE cases.alert AS a SET triaged_at = c.at
  FROM (SELECT alert_id, min(changed_at) AS at FROM cases.alert_change
        WHERE status <> 'needs_review' GROUP BY alert_id) AS c
  WHERE c.alert_id = a.id;
--
UPDATE cases.alert AS a SET
  sla_due_at = a.created_at + make_interval(hours => s.sla_hours),
  priority_base = (CASE a.severity WHEN 'high' THEN 30 WHEN 'medium' THEN 18 ELSE 6 END)
    + LEAST(100, GREATEST(0, a.score)) / 4
    + (CASE WHEN 'priority_content' = ANY(a.risk_factors) THEN 8 ELSE 0 END)
    + (CASE WHEN 'sequence' = ANY(a.risk_factors) THEN 8 ELSE 0 END)
    + (CASE WHEN a.risk_factors && ARRAY['cumulative_exfiltration', 'unallowed_domains']
            THEN 4 ELSE 0 END),
  related_count = (SELECT count(*) FROM cases.alert AS b
                   WHERE b.subject_id = a.subject_id AND b.id <> a.id)
  FROM cases.triage_sla AS s WHERE s.severity = a.severity;
"""


def upgrade() -> None:
    op.create_table(
        'triage_sla',
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('sla_hours', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('severity'),
        schema='cases',
    )
    op.execute("INSERT INTO cases.triage_sla (severity, sla_hours) VALUES "
               + ", ".join(f"('{k}', {v})" for k, v in DEFAULT_SLA_HOURS.items()))
    op.add_column('alert', sa.Column('risk_factors', postgresql.ARRAY(sa.Text()),
                                     server_default=sa.text("'{}'::text[]"), nullable=False),
                  schema='cases')
    op.add_column('alert', sa.Column('priority_base', sa.Integer(),
                                     server_default=sa.text('0'), nullable=False),
                  schema='cases')
    op.add_column('alert', sa.Column('related_count', sa.Integer(),
                                     server_default=sa.text('0'), nullable=False),
                  schema='cases')
    op.add_column('alert', sa.Column('sla_due_at', sa.DateTime(timezone=True), nullable=True),
                  schema='cases')
    op.add_column('alert', sa.Column('triaged_at', sa.DateTime(timezone=True), nullable=True),
                  schema='cases')
    op.add_column('alert', sa.Column('reviewer_id', sa.Uuid(), nullable=True), schema='cases')
    op.add_column('alert', sa.Column('review_requested_by', sa.String(length=200),
                                     nullable=True), schema='cases')
    op.add_column('alert', sa.Column('review_requested_at', sa.DateTime(timezone=True),
                                     nullable=True), schema='cases')
    op.add_column('alert', sa.Column('review_comment', sa.String(length=2000), nullable=True),
                  schema='cases')
    op.add_column('alert_change', sa.Column('reviewer_id', sa.Uuid(), nullable=True),
                  schema='cases')
    for statement in _BACKFILL.split("\n--\n"):
        op.execute(statement)
    op.alter_column('alert', 'sla_due_at', nullable=False, schema='cases')
    for statement in _TRIGGER.split("\n--\n"):
        op.execute(statement)
    idx = [('ix_alert_detected', ['created_at', 'id'], {}),
           ('ix_alert_status_detected', ['status', 'created_at', 'id'], {}),
           ('ix_alert_status_sla', ['status', 'sla_due_at', 'id'], {}),
           ('ix_alert_policy_detected', ['policy_id', 'created_at'], {}),
           ('ix_alert_severity_detected', ['severity', 'created_at', 'id'], {}),
           ('ix_alert_score', ['score', 'created_at', 'id'], {}),
           ('ix_alert_status_score', ['status', 'score', 'created_at', 'id'], {}),
           ('ix_alert_status_priority', ['status', 'priority_base', 'related_count',
                                         'created_at', 'sla_due_at', 'id'], {}),
           ('ix_alert_risk_factors', ['risk_factors'], {'postgresql_using': 'gin'}),
           ('ix_alert_reviewer', ['reviewer_id'],
            {'postgresql_where': sa.text('reviewer_id IS NOT NULL')}),
           ('ix_alert_triaged_at', ['triaged_at', 'created_at', 'sla_due_at'],
            {'postgresql_where': sa.text('triaged_at IS NOT NULL')}),
           ('ix_alert_case', ['case_id', 'status', 'created_at'],
            {'postgresql_where': sa.text('case_id IS NOT NULL')})]
    for name, cols, kw in idx:
        op.create_index(name, 'alert', cols, unique=False, schema='cases', **kw)
    op.create_index('ix_case_created_at', 'case', ['created_at'], unique=False, schema='cases')
    op.create_index('ix_case_closed_at', 'case', ['closed_at'], unique=False, schema='cases',
                    postgresql_where=sa.text('closed_at IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_case_closed_at', table_name='case', schema='cases')
    op.drop_index('ix_case_created_at', table_name='case', schema='cases')
    for name in ('ix_alert_case', 'ix_alert_triaged_at', 'ix_alert_reviewer',
                 'ix_alert_risk_factors',
                 'ix_alert_status_priority', 'ix_alert_status_score', 'ix_alert_score',
                 'ix_alert_severity_detected', 'ix_alert_policy_detected',
                 'ix_alert_status_sla', 'ix_alert_status_detected',
                 'ix_alert_detected'):
        op.drop_index(name, table_name='alert', schema='cases')
    op.execute("DROP TRIGGER alert_triage_fields ON cases.alert")
    op.execute("DROP FUNCTION cases.alert_triage_fields()")
    op.drop_column('alert_change', 'reviewer_id', schema='cases')
    for column in ('review_comment', 'review_requested_at', 'review_requested_by',
                   'reviewer_id', 'triaged_at', 'sla_due_at', 'related_count', 'priority_base',
                   'risk_factors'):
        op.drop_column('alert', column, schema='cases')
    op.drop_table('triage_sla', schema='cases')
