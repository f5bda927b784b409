"""queue: firm deadlines before estimates, overdue cases

The queue sorted by the nearest pending deadline, estimates included, so a case
whose estimated redemption end (service date unknown) seemed to pass a week ago
came before one whose firm redemption period ends today. ``cases`` gets the
nearest *firm* pending deadline (``next_firm_due_at``) and the time since which a
missed deadline is outstanding (``overdue_since``); ``ix_cases_queue`` sorts by
the firm date first, and two indexes serve the views "Förfaller i dag" and
"Försenade". Existing cases are filled in from their deadlines.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_DEADLINE = datetime(9999, 12, 31, tzinfo=timezone.utc)  # app/cases/models.py: NO_DEADLINE

cases = sa.table(
    'cases', sa.column('id', sa.Uuid()), sa.column('first_contact_at', app.db.UTCDateTime(timezone=True)),
    sa.column('next_firm_due_at', app.db.UTCDateTime(timezone=True)),
    sa.column('overdue_since', app.db.UTCDateTime(timezone=True)))
deadlines = sa.table(
    'deadlines', sa.column('case_id', sa.Uuid()), sa.column('kind', sa.String()), sa.column('status', sa.String()),
    sa.column('estimated', sa.Boolean()), sa.column('due_at', app.db.UTCDateTime(timezone=True)))


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_firm_due_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('overdue_since', app.db.UTCDateTime(timezone=True), nullable=True))

    # The same rule as app/cases/queue.py: sort_keys, in SQL.
    firm = (sa.select(sa.func.min(deadlines.c.due_at))
            .where(deadlines.c.case_id == cases.c.id, deadlines.c.status == 'pending',
                   deadlines.c.estimated.is_(sa.false()))
            .scalar_subquery())
    missed = (sa.select(sa.func.min(deadlines.c.due_at))
              .where(deadlines.c.case_id == cases.c.id, deadlines.c.status == 'missed',
                     sa.not_(sa.and_(deadlines.c.kind == 'first_contact', cases.c.first_contact_at.is_not(None))))
              .scalar_subquery())
    op.execute(cases.update().values(
        next_firm_due_at=sa.func.coalesce(firm, sa.literal(NO_DEADLINE, app.db.UTCDateTime(timezone=True))),
        overdue_since=missed))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('next_firm_due_at', existing_type=app.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.drop_index('ix_cases_queue')
        batch_op.create_index('ix_cases_queue', ['district_id', 'status', 'priority_rank', 'next_firm_due_at',
                                                 'next_due_at', 'opened_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_firm_due', ['district_id', 'status', 'next_firm_due_at'], unique=False)
        batch_op.create_index('ix_cases_overdue', ['district_id', 'status', 'overdue_since'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_overdue')
        batch_op.drop_index('ix_cases_firm_due')
        batch_op.drop_index('ix_cases_queue')
        batch_op.create_index('ix_cases_queue', ['district_id', 'status', 'priority_rank', 'next_due_at',
                                                 'opened_at', 'id'], unique=False)
        batch_op.drop_column('overdue_since')
        batch_op.drop_column('next_firm_due_at')
