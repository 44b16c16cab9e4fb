"""Events partitioned by month of occurrence, an idempotency-key table beside them, the
original source record kept with each event, and connector runs.

PostgreSQL has no unique index across partitions, so `event_key` (one row per event id) is what
makes an id stored once whatever time it carries. The sequence is explicit, not an identity
column, because partitioned tables only take identity columns from PostgreSQL 17.

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "id, subject_id, alias, type, category, occurred_at, received_at, source, attributes"


def upgrade() -> None:
    op.execute("ALTER TABLE ingest.activity_event RENAME TO activity_event_old")
    op.execute("ALTER INDEX ingest.ix_activity_event_subject_time RENAME TO ix_old_subject_time")
    op.execute("ALTER INDEX ingest.ix_activity_event_xid_seq RENAME TO ix_old_xid_seq")
    op.execute("ALTER TABLE ingest.activity_event_old RENAME CONSTRAINT activity_event_pkey "
               "TO activity_event_old_pkey")
    op.execute("CREATE SEQUENCE ingest.activity_event_seq AS bigint")
    op.execute("""
        CREATE TABLE ingest.activity_event (
            id varchar(128) NOT NULL,
            subject_id uuid NOT NULL,
            alias varchar(40) NOT NULL,
            type varchar(64) NOT NULL,
            category varchar(32) NOT NULL,
            occurred_at timestamptz NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            source varchar(64) NOT NULL,
            attributes jsonb NOT NULL,
            original jsonb,
            run_id uuid,
            xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
            seq bigint NOT NULL DEFAULT nextval('ingest.activity_event_seq'),
            CONSTRAINT activity_event_pkey PRIMARY KEY (xid, seq, occurred_at)
        ) PARTITION BY RANGE (occurred_at)
    """)
    op.execute("ALTER SEQUENCE ingest.activity_event_seq OWNED BY ingest.activity_event.seq")
    op.create_index('ix_activity_event_subject_time', 'activity_event',
                    ['subject_id', 'occurred_at'], unique=False, schema='ingest')
    # A partition for every month that already holds events, then the rows, keeping their
    # xid and seq so that feed cursors stay valid.
    op.execute("""
        DO $$
        DECLARE m date;
        BEGIN
          FOR m IN SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date
                   FROM ingest.activity_event_old LOOP
            EXECUTE format(
              'CREATE TABLE ingest.%I PARTITION OF ingest.activity_event '
              'FOR VALUES FROM (%L) TO (%L)',
              'activity_event_' || to_char(m, '"y"YYYY"m"MM'),
              (m::timestamp AT TIME ZONE 'UTC'),
              ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
          END LOOP;
        END $$
    """)
    op.execute(f"INSERT INTO ingest.activity_event ({COLUMNS}, xid, seq) "
               f"SELECT {COLUMNS}, xid, seq FROM ingest.activity_event_old")
    op.execute("SELECT setval('ingest.activity_event_seq', "
               "coalesce((SELECT max(seq) FROM ingest.activity_event_old), 0) + 1, false)")
    op.create_table('event_key',
                    sa.Column('id', sa.String(length=128), nullable=False),
                    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id'),
                    schema='ingest')
    op.execute("INSERT INTO ingest.event_key (id, occurred_at) "
               "SELECT id, occurred_at FROM ingest.activity_event_old")
    op.execute("DROP TABLE ingest.activity_event_old")

    op.create_table('connector_run',
                    sa.Column('id', sa.Uuid(), nullable=False),
                    sa.Column('connector', sa.String(length=32), nullable=False),
                    sa.Column('principal', sa.String(length=200), nullable=False),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('options', postgresql.JSONB(astext_type=sa.Text()),
                              nullable=False),
                    sa.Column('started_at', sa.DateTime(timezone=True),
                              server_default=sa.text('now()'), nullable=False),
                    sa.Column('updated_at', sa.DateTime(timezone=True),
                              server_default=sa.text('now()'), nullable=False),
                    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('bytes_total', sa.BigInteger(), nullable=True),
                    sa.Column('bytes_received', sa.BigInteger(), nullable=False),
                    sa.Column('records', sa.Integer(), nullable=False),
                    sa.Column('accepted', sa.Integer(), nullable=False),
                    sa.Column('duplicates', sa.Integer(), nullable=False),
                    sa.Column('rejected', sa.Integer(), nullable=False),
                    sa.Column('unmapped', sa.Integer(), nullable=False),
                    sa.Column('unmapped_operations', postgresql.JSONB(astext_type=sa.Text()),
                              nullable=False),
                    sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()),
                              nullable=False),
                    sa.PrimaryKeyConstraint('id'),
                    schema='ingest')
    op.create_index('ix_connector_run_started', 'connector_run', ['started_at'],
                    unique=False, schema='ingest')


def downgrade() -> None:
    op.drop_index('ix_connector_run_started', table_name='connector_run', schema='ingest')
    op.drop_table('connector_run', schema='ingest')
    op.execute("""
        CREATE TABLE ingest.activity_event_flat AS
        SELECT id, subject_id, alias, type, category, occurred_at, received_at, source,
               attributes, xid, seq FROM ingest.activity_event
    """)
    op.execute("DROP TABLE ingest.activity_event")
    op.drop_table('event_key', schema='ingest')
    op.execute("ALTER TABLE ingest.activity_event_flat RENAME TO activity_event")
    op.execute("ALTER TABLE ingest.activity_event ADD PRIMARY KEY (id)")
    op.execute("ALTER TABLE ingest.activity_event ALTER COLUMN received_at SET DEFAULT now(), "
               "ALTER COLUMN xid SET DEFAULT pg_current_xact_id(), "
               "ALTER COLUMN xid SET NOT NULL, ALTER COLUMN seq SET NOT NULL")
    op.execute("ALTER TABLE ingest.activity_event ALTER COLUMN seq ADD GENERATED BY DEFAULT "
               "AS IDENTITY")
    op.execute("SELECT setval(pg_get_serial_sequence('ingest.activity_event', 'seq'), "
               "coalesce((SELECT max(seq) FROM ingest.activity_event), 0) + 1, false)")
    op.create_index('ix_activity_event_subject_time', 'activity_event',
                    ['subject_id', 'occurred_at'], unique=False, schema='ingest')
    op.create_index('ix_activity_event_xid_seq', 'activity_event', ['xid', 'seq'],
                    unique=False, schema='ingest')
