"""deadlines are declared missed without a timer row of their own

A notice wrote six timers (`deadline_alerts`), three of them "missed" timers a minute after their
deadline's own due time. The sweep now finds passed deadlines by that due time
(`app/jobs/sweep.py`, `app/deadlines/alerts.py: declared_missed`), and `deadlines.passed_checked_at`
records that it looked: three rows fewer per notice, each with three index entries and its
foreign key's check.

Existing rows: a deadline whose "missed" timer was still pending is to be looked at
(`passed_checked_at` NULL); every other one was looked at already (when its timer fired) or
never was to be. The "missed" timers are then deleted. The downgrade plans them again for the
deadlines not yet looked at.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 21:10:00
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AFTER_DUE = timedelta(minutes=1)  # app/deadlines/alerts.py, as of this revision
MISSED_ALWAYS = ('first_contact', 'kronofogden_acknowledgement')
MISSED_WITH_A_DAY = ('redemption_period_end', 'budget_advice_offer')

_TIME = app.db.UTCDateTime(timezone=True)
deadlines = sa.table(
    'deadlines', sa.column('id', sa.Uuid()), sa.column('kind', sa.String()), sa.column('status', sa.String()),
    sa.column('due_on', sa.Date()), sa.column('due_at', _TIME), sa.column('passed_checked_at', _TIME))
alerts = sa.table(
    'deadline_alerts', sa.column('id', sa.Uuid()), sa.column('deadline_id', sa.Uuid()), sa.column('kind', sa.String()),
    sa.column('fire_at', _TIME), sa.column('status', sa.String()), sa.column('done_at', _TIME))


def upgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('passed_checked_at', _TIME, nullable=True))
    missed = sa.and_(alerts.c.deadline_id == deadlines.c.id, alerts.c.kind == 'missed')
    still_to_look = sa.exists().where(missed, alerts.c.status == 'pending')
    fired = sa.select(sa.func.max(alerts.c.done_at)).where(missed).scalar_subquery()
    now = sa.literal(datetime.now(timezone.utc), _TIME)
    op.execute(deadlines.update().where(sa.not_(still_to_look)).values(passed_checked_at=sa.func.coalesce(fired, now)))
    op.execute(alerts.delete().where(alerts.c.kind == 'missed'))


def downgrade() -> None:
    connection = op.get_bind()
    to_look = connection.execute(sa.select(deadlines.c.id, deadlines.c.due_at).where(
        deadlines.c.status == 'pending', deadlines.c.passed_checked_at.is_(None),
        sa.or_(deadlines.c.kind.in_(MISSED_ALWAYS),
               sa.and_(deadlines.c.kind.in_(MISSED_WITH_A_DAY), deadlines.c.due_on.is_not(None))))).all()
    if to_look:
        connection.execute(alerts.insert(), [
            {"id": uuid.uuid4(), "deadline_id": row.id, "kind": "missed", "fire_at": row.due_at + AFTER_DUE,
             "status": "pending"} for row in to_look])
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_column('passed_checked_at')
