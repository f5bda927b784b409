"""audit log: hash chain columns; on PostgreSQL append-only by trigger and the chain-head function

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00.000000

Rows written before this revision keep no hash; `varsel audit verify` counts them
as older than the chain. The chain starts with the first row written after it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept equal to app/security/audit.py (CHAIN_LOCK_KEY, HEAD_FUNCTION); a migration does not import app code
# that may change after it.
CHAIN_LOCK_KEY = 0x4155_4454

CREATE_HEAD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION varsel_audit_chain_head() RETURNS varchar
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head varchar;
BEGIN
    -- One appender at a time, until its transaction ends. A VOLATILE function's query takes a new
    -- snapshot, so the head read after the wait includes the row the appender before committed.
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK_KEY});
    SELECT row_hash INTO head FROM audit_events ORDER BY id DESC LIMIT 1;
    RETURN head;
END
$$
"""

CREATE_REFUSAL_FUNCTION = """
CREATE OR REPLACE FUNCTION varsel_audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Retention of audit rows is an operator''s task; see the README, section Security.';
END
$$
"""

CREATE_TRIGGER = """
CREATE TRIGGER audit_events_append_only
BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION varsel_audit_events_append_only()
"""


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(CREATE_HEAD_FUNCTION)
        op.execute(CREATE_REFUSAL_FUNCTION)
        op.execute(CREATE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS varsel_audit_events_append_only()")
        op.execute("DROP FUNCTION IF EXISTS varsel_audit_chain_head()")

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
