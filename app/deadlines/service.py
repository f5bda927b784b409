"""Deadline rows: created from the pure rules, recomputed when their inputs change.

Status changes (met, missed, cancelled) go through `app/cases/transitions.py`
so that each one is on the case's timeline.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Delete, Select, delete, inspect, select
from sqlalchemy.orm import Session

from app.cases.models import Case
from app.db import utcnow
from app.deadlines import alerts, rules
from app.deadlines.models import Deadline, DeadlineAlert
from app.deadlines.policy import policy_for
from app.ids import new_id
from app.notices.models import Notice
from app.vocabulary import DeadlineKind


def _row(case: Case, notice: Notice | None, computed: rules.ComputedDeadline) -> Deadline:
    return Deadline(
        case_id=case.id,
        notice_id=notice.id if notice else None,
        kind=computed.kind,
        due_on=computed.due_on,
        due_at=computed.due_at,
        legal_basis=computed.legal_basis,
        estimated=computed.estimated,
        status="info" if computed.informational else "pending",
        computed_from=dict(computed.computed_from),
    )


def add(session: Session, case: Case, notice: Notice | None, computed: rules.ComputedDeadline) -> Deadline:
    if notice is not None and inspect(notice).pending:
        # The row names its notice by foreign key only (no relationship), so the ORM would not
        # order the two INSERTs: the notice is stored first.
        session.flush()
    deadline = _row(case, notice, computed)
    deadline.id = new_id()  # its timers name it before it is stored
    # Appended to the collection only (no session.add): the row joins the session by
    # cascade, and the collection never holds it twice after a lazy load.
    with session.no_autoflush:
        case.deadlines.append(deadline)
        # A new deadline has no timers yet: nothing to delete, only timers to add.
        _add_alerts(session, case, deadline)
    return deadline


def plan_alerts(session: Session, case: Case, deadline: Deadline) -> None:
    """Re-plan a deadline's timers after its due time moved: its pending timers are replaced
    (`delete_replaceable_timers`) and its columns reset (`REPLANNED`)."""
    if deadline.id is None:
        deadline.id = new_id()
    for column, value in REPLANNED.items():
        setattr(deadline, column, value)
    if inspect(deadline).persistent:
        session.execute(delete_replaceable_timers([deadline.id]).execution_options(synchronize_session="fetch"))
    else:  # planned in this flush and not written yet: drop the earlier plan
        for pending in [o for o in session.new if isinstance(o, DeadlineAlert) and o.deadline is deadline]:
            session.expunge(pending)
    _add_alerts(session, case, deadline)


# What a new plan resets on a moved deadline besides its timers: the sweep looks at it again once
# its (new) time has passed (`Deadline.passed_checked_at`), since an estimated date it left pending
# may now be a firm one. With `delete_replaceable_timers`, the one rule for every path that replans.
REPLANNED: Mapping[str, Any] = MappingProxyType({"passed_checked_at": None})


def delete_replaceable_timers(deadline_ids: Collection[uuid.UUID] | Select[Any]) -> Delete:
    """The DELETE of the timers a moved deadline's new plan replaces: its timers still pending,
    except one the deadline sweep has claimed (FOR UPDATE SKIP LOCKED on PostgreSQL, `claimed` on
    SQLite), which is left to it: it fires and becomes `done`, as it would once the sweep committed.
    Waiting for it deadlocked whenever this transaction held the case (a staff action, a batch) and
    the sweep, holding the timer, then updated the case.

    The one rule for every path that replans timers (with `REPLANNED`): `plan_alerts` (one notice,
    staff actions) and the batch writer's joins (`app/notices/bulk_join.py`). `deadline_ids`: ids,
    or a SELECT of them."""
    replaceable = (select(DeadlineAlert.id).where(DeadlineAlert.deadline_id.in_(deadline_ids),
                                                  DeadlineAlert.status == "pending").with_for_update(skip_locked=True))
    return delete(DeadlineAlert).where(DeadlineAlert.id.in_(replaceable))


def _add_alerts(session: Session, case: Case, deadline: Deadline) -> None:
    if deadline.status != "pending":
        return
    policy = policy_for(case.district.policy if case.district else None)
    planned = alerts.plan(deadline.kind, deadline.due_on, deadline.due_at, utcnow(), policy)
    # Through the relationship: the unit of work writes the deadline first and the timers after
    # it, all of them in one batched INSERT.
    session.add_all(DeadlineAlert(deadline=deadline, kind=p.kind, fire_at=p.fire_at) for p in planned)


def create_statutory(session: Session, case: Case, notice: Notice) -> list[Deadline]:
    computed = rules.statutory_deadlines(notice.kind, notice.sent_on, notice.tenant_served_on)
    return [add(session, case, notice, c) for c in computed]


def recompute_statutory(session: Session, case: Case, notice: Notice) -> list[tuple[Deadline, datetime]]:
    """After `tenant_served`: new dates for the notice's statutory deadlines.

    The dates are facts of the law, so they are corrected whatever the status
    (a met deadline keeps its status, with the right date). Returns
    (deadline, previous due_at) for each row that changed.
    """
    computed = {c.kind: c for c in rules.statutory_deadlines(notice.kind, notice.sent_on, notice.tenant_served_on)}
    changed = []
    for deadline in case.deadlines:
        if deadline.notice_id != notice.id or deadline.kind not in computed:
            continue
        new = computed[deadline.kind]
        previous = deadline.due_at
        deadline.due_on = new.due_on
        deadline.due_at = new.due_at
        deadline.estimated = new.estimated
        deadline.computed_from = dict(new.computed_from)
        changed.append((deadline, previous))
        plan_alerts(session, case, deadline)
    return changed


def statutory_for_notice(notice: Notice, deadlines: list[Deadline]) -> list[Deadline]:
    return [
        d for d in deadlines
        if d.notice_id == notice.id and d.kind in (DeadlineKind.REDEMPTION_PERIOD_END, DeadlineKind.EVICTION_DECISION_EARLIEST)
    ]
