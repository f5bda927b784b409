"""test keys: api_keys.test, notices.test, cases.test

A landlord's test key sends notices that are validated and answered like real
ones but kept apart (spec "Test keys"). A test notice and a real one may share
an external_id or Idempotency-Key — the landlord's integration tests use its
real references — so the two unique keys of a landlord's notices now include
`test`: a real notice is never taken for a retry of a test one.

On SQLite the notices table is re-created (batch mode) to change its unique
constraints; `migrations/env.py` runs migrations with foreign keys off so that
dropping the old table does not cascade to tenants, events and deadlines.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 06:56:00.574576
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_notices_landlord_id_external_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_notices_landlord_id_idempotency_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_notices_landlord_id_test_external_id'), ['landlord_id', 'test', 'external_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_notices_landlord_id_test_idempotency_key'), ['landlord_id', 'test', 'idempotency_key'])


# Without the `test` columns, test data would pass for real: a downgrade deletes it first, children
# before parents (on SQLite migrations run with foreign keys off, so no cascade does it for us).
_TEST_CASES = "SELECT id FROM cases WHERE test"
_TEST_NOTICES = "SELECT id FROM notices WHERE test"
_DELETE_TEST_DATA = [
    f"DELETE FROM deadline_alerts WHERE deadline_id IN (SELECT id FROM deadlines WHERE case_id IN ({_TEST_CASES}))",
    f"DELETE FROM deadlines WHERE case_id IN ({_TEST_CASES}) OR notice_id IN ({_TEST_NOTICES})",
    *(f"DELETE FROM {table} WHERE case_id IN ({_TEST_CASES})"
      for table in ("timeline_events", "contact_attempts", "payment_commitments", "joint_assessment_parts")),
    f"UPDATE outbox SET case_id = NULL WHERE case_id IN ({_TEST_CASES})",
    f"UPDATE eviction_notices SET case_id = NULL WHERE case_id IN ({_TEST_CASES})",
    *(f"DELETE FROM {table} WHERE notice_id IN ({_TEST_NOTICES})" for table in ("tenants", "notice_events")),
    "DELETE FROM notices WHERE test",
    "DELETE FROM cases WHERE test",
    "DELETE FROM api_keys WHERE test",
]


def downgrade() -> None:
    for statement in _DELETE_TEST_DATA:
        op.execute(statement)
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_notices_landlord_id_test_idempotency_key'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_notices_landlord_id_test_external_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_notices_landlord_id_idempotency_key'), ['landlord_id', 'idempotency_key'])
        batch_op.create_unique_constraint(batch_op.f('uq_notices_landlord_id_external_id'), ['landlord_id', 'external_id'])
        batch_op.drop_column('test')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('test')

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('test')
