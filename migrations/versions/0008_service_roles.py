"""A database role per service, and audit-log indexes for the Auditor's filters.

Each service connects as its own role (openirm_identity, openirm_ingest, openirm_scoring,
openirm_cases). A role may use its own schema and INSERT into audit.audit_log, nothing else;
identity may also read the audit log, because it serves the audit API. Ingest owns the objects
of its schema, since creating and dropping monthly partitions needs ownership of the event
table; the other three get row privileges only (no DDL, so cases cannot switch off the
immutability trigger of its notes).

`audit.apply_service_roles()` (re)applies all of this; `openirm.migrate.upgrade` calls it after
every upgrade, so tables made by later migrations are covered too. Roles are cluster-wide:
creating them tolerates roles that exist and other databases creating them at the same moment.
The chain trigger runs as its owner (SECURITY DEFINER) so that a role that may only INSERT can
still read the previous row's hash.

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE_ROLES = ("openirm_identity", "openirm_ingest", "openirm_scoring", "openirm_cases")

APPLY_SQL = r'''
CREATE OR REPLACE FUNCTION audit.apply_service_roles(role_password text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  services constant text[] := ARRAY['identity', 'ingest', 'scoring', 'cases'];
  svc text;
  other text;
  role_name text;
  obj record;
  attempt int;
  is_super constant boolean := (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
BEGIN
  FOREACH svc IN ARRAY services LOOP
    role_name := 'openirm_' || svc;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE '
                       'NOREPLICATION NOBYPASSRLS', role_name);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;  -- made at the same moment by a migration of another database
      END;
    END IF;
    IF role_password IS NOT NULL THEN
      FOR attempt IN 1..5 LOOP
        BEGIN
          EXECUTE format('ALTER ROLE %I PASSWORD %L', role_name, role_password);
          EXIT;
        EXCEPTION WHEN internal_error THEN  -- "tuple concurrently updated": another database
          IF attempt = 5 THEN RAISE; END IF;
          PERFORM pg_sleep(0.05 * attempt);
        END;
      END LOOP;
    END IF;

    -- Its own schema, and nothing of the others'.
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', svc, role_name);
    FOREACH other IN ARRAY services LOOP
      IF other <> svc THEN
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', other, role_name);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', other, role_name);
      END IF;
    END LOOP;

    IF svc = 'ingest' THEN
      IF NOT is_super THEN  -- a migrator that is no superuser must be able to hand objects over
        EXECUTE format('GRANT %I TO CURRENT_USER', role_name);
      END IF;
      EXECUTE format('GRANT USAGE, CREATE ON SCHEMA ingest TO %I', role_name);
      FOR obj IN
        SELECT c.oid::regclass::text AS name,
               CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                              WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                              ELSE 'TABLE' END AS kind
        FROM pg_class c
        WHERE c.relnamespace = 'ingest'::regnamespace
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = role_name)
          -- a sequence that belongs to a column follows its table
          AND NOT (c.relkind = 'S' AND EXISTS (
                SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
      LOOP
        EXECUTE format('ALTER %s %s OWNER TO %I', obj.kind, obj.name, role_name);
      END LOOP;
    ELSE
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I',
                     svc, role_name);
      EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I',
                     svc, role_name);
    END IF;

    -- The audit log: INSERT only (identity also reads it, for the Auditor's API).
    EXECUTE format('GRANT USAGE ON SCHEMA audit TO %I', role_name);
    EXECUTE format('REVOKE ALL ON audit.audit_log FROM %I', role_name);
    EXECUTE format('GRANT INSERT ON audit.audit_log TO %I', role_name);
    IF svc = 'identity' THEN
      EXECUTE format('GRANT SELECT ON audit.audit_log TO %I', role_name);
    END IF;
  END LOOP;
END $$
'''

UNDO_SQL = r'''
DO $$
DECLARE role_name text;
BEGIN
  FOREACH role_name IN ARRAY ARRAY['openirm_identity', 'openirm_ingest', 'openirm_scoring',
                                   'openirm_cases'] LOOP
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
      -- This database only; the roles stay, other databases on the server may use them.
      EXECUTE format('REASSIGN OWNED BY %I TO %I', role_name, current_user);
      EXECUTE format('DROP OWNED BY %I', role_name);
    END IF;
  END LOOP;
END $$
'''


def upgrade() -> None:
    op.create_index('ix_audit_log_actor_seq', 'audit_log', ['actor', 'seq'], schema='audit')
    op.create_index('ix_audit_log_target_seq', 'audit_log', ['target', 'seq'], schema='audit')
    op.create_index('ix_audit_log_at', 'audit_log', ['at'], schema='audit')
    # Runs as its owner, so a role with INSERT alone can read the previous row's hash; a
    # fixed search_path so that no object of the caller's can stand in for a catalogue one.
    op.execute("ALTER FUNCTION audit.chain_row() SECURITY DEFINER "
               "SET search_path = pg_catalog, pg_temp")
    op.execute(APPLY_SQL)
    op.execute("REVOKE ALL ON FUNCTION audit.apply_service_roles(text) FROM PUBLIC")
    op.execute("SELECT audit.apply_service_roles()")


def downgrade() -> None:
    op.execute(UNDO_SQL)
    op.execute("DROP FUNCTION audit.apply_service_roles(text)")
    op.execute("ALTER FUNCTION audit.chain_row() SECURITY INVOKER RESET search_path")
    op.drop_index('ix_audit_log_at', table_name='audit_log', schema='audit')
    op.drop_index('ix_audit_log_target_seq', table_name='audit_log', schema='audit')
    op.drop_index('ix_audit_log_actor_seq', table_name='audit_log', schema='audit')
