"""intake's indexes: the Idempotency-Key's unique index partial; two indexes another one covers

Every notice stored writes an entry in each of the notices' indexes. Three indexes were not
worth theirs:

- the landlord's unique Idempotency-Key held an entry for every notice, with or without a key
  (a unique constraint lets NULLs repeat). It is now a unique index of the notices sent with a key
  only: the same rule, one entry fewer per notice without a key (every batch item), and a look-up
  by `external_id` can no longer be served by it (with the tables' statistics missing, PostgreSQL
  took it as readily as the external_id's own index and scanned the landlord's every notice per
  external_id);
- `ix_notices_district_id`: `ix_notices_unrouted` and `ix_notices_district_received` begin with
  `district_id`;
- `ix_joint_assessment_parts_case_id`: the unique (`case_id`, `unit`) begins with `case_id`.

On SQLite the notices table is re-created (batch mode) to drop its unique constraint, as 0008 did.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYED = sa.text("idempotency_key IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_notices_landlord_id_test_idempotency_key'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_notices_district_id'))
    op.create_index('uq_notices_landlord_id_test_idempotency_key', 'notices', ['landlord_id', 'test', 'idempotency_key'],
                    unique=True, postgresql_where=_KEYED, sqlite_where=_KEYED)
    with op.batch_alter_table('joint_assessment_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_joint_assessment_parts_case_id'))


def downgrade() -> None:
    with op.batch_alter_table('joint_assessment_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_joint_assessment_parts_case_id'), ['case_id'], unique=False)
    op.drop_index('uq_notices_landlord_id_test_idempotency_key', table_name='notices',
                  postgresql_where=_KEYED, sqlite_where=_KEYED)
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_district_id'), ['district_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_notices_landlord_id_test_idempotency_key'),
                                          ['landlord_id', 'test', 'idempotency_key'])
