"""A batch's notices that join a case stored before it (`app/notices/bulk.py`): that case read,
decided and written set-wise, like the cases the batch opens.

The batch's look-ups name the open cases of its people (`app/cases/matching.py`). Those a new item
may join (`wanted`: its people's, in the district it routes to) are read here in one round trip
(`load`): the cases themselves —
locked on PostgreSQL, in id order, as a staff action locks its case (`app/cases/service.py`) —
their notices with their tenants, and their deadlines. Each becomes a `plan.CaseDraft` that keeps
its stored values (`written`); `app/cases/plan.py` decides it by the same rules as any other. Once
the part that joins it is planned, what changed is written (`statements` on PostgreSQL, in the
part's one statement; `write` on SQLite, before the part's INSERTs): an UPDATE of the changed cases,
of the deadlines that moved (a first contact tightened by a higher priority), and the pending timers
of those deadlines deleted and planned again, the deadlines to be looked at again once passed — as
`transitions.reassess` and `deadlines.plan_alerts` do on the one-notice path, by the same rule
(`deadlines.service.REPLANNED`, `delete_replaceable_timers`).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Collection
from datetime import datetime, timezone
from functools import cache
from typing import Any

from sqlalchemy import Uuid, bindparam, cast, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.orm import Session

from app.cases import plan
from app.cases.models import Case
from app.deadlines import service as deadlines_service
from app.deadlines.models import Deadline, DeadlineAlert
from app.notices.bulk_sql import Prepared, encode_rows
from app.notices.models import Notice, Tenant
from app.sql import fetch_together, in_list, planned_each_time
from app.vocabulary import CaseStatus

# What a notice joining a case can change of it (`plan.IntakePlan.receive_notice`, `reassess`).
CASE_COLUMNS = ("priority", "priority_rank", "flags", "explanation", "household", "joint_assessment_units",
                "household_lookup", "last_activity_at", "next_due_at", "next_firm_due_at", "overdue_since")
# … and of a deadline of it (a first contact tightened).
DEADLINE_COLUMNS = ("due_on", "due_at", "computed_from")

_NOTICE_FACTS = ("id", "case_id", "kind", "external_id", "sent_on", "tenant_served_on", "received_at",
                 "household_children", "household_65_plus", "household_consent", "district_id",
                 "apartment_number", "tenancy_key", "test", "eviction_at")


def wanted(open_cases: list[tuple[str, uuid.UUID, Any, uuid.UUID]],
           items: list[tuple[set[str], uuid.UUID]]) -> set[uuid.UUID]:
    """The stored cases the batch's new items may join: of the look-ups' open cases (pin, case id,
    opened, district id), those of an item's people in the district the item routes to. Only these
    are read and locked: a replay, or a person's case in another district, locks nothing."""
    by_pin: dict[str, list[tuple[uuid.UUID, uuid.UUID]]] = {}
    for pin, case_id, _opened, district_id in open_cases:
        by_pin.setdefault(pin, []).append((case_id, district_id))
    return {case_id for pins, district_id in items for pin in pins
            for case_id, case_district in by_pin.get(pin, ()) if case_district == district_id}


def load(session: Session, case_ids: Collection[uuid.UUID], districts: dict[Any, Any]) -> dict[uuid.UUID, plan.CaseDraft]:
    """The open cases among `case_ids`, each as a draft with its notices and deadlines, by id.

    `districts`: the District rows by id (the batch's look-ups have them). A case closed since the
    look-ups is not among them."""
    if not case_ids:
        return {}
    dialect = session.get_bind().dialect.name
    cases, notices, deadlines = fetch_together(session, [(query, {"case_ids": sorted(case_ids)})
                                                         for query in _queries(dialect)])
    # (A case moved to another district since the look-ups is no longer the one to join.)
    drafts = {row.id: _draft(row, districts[row.district_id]) for row in cases if row.district_id in districts}
    facts: dict[uuid.UUID, plan.NoticeFacts] = {}
    for row in notices:  # a notice's rows, one per tenant, in order of its case's notices
        case = drafts.get(row.case_id)
        if case is None:
            continue
        notice = facts.get(row.id)
        if notice is None:
            notice = facts[row.id] = plan.NoticeFacts(
                id=row.id, kind=row.kind, external_id=row.external_id, sent_on=row.sent_on,
                tenant_served_on=row.tenant_served_on, received_at=_utc(row.received_at),
                household_children=row.household_children, household_65_plus=row.household_65_plus,
                household_consent=row.household_consent, tenants=[], district_id=row.district_id,
                apartment_number=row.apartment_number, tenancy_key=row.tenancy_key, test=bool(row.test),
                eviction_at=_utc(row.eviction_at))
            case.notices.append(notice)
        if row.tenant_id is not None:
            notice.tenants.append(plan.TenantFacts(row.birth_date))
            if row.pin_hash:
                notice.pin_hashes += (row.pin_hash,)
    for row in deadlines:
        case = drafts.get(row.case_id)
        if case is not None:
            deadline = plan.DeadlineRow(id=row.id, case_id=row.case_id, notice_id=row.notice_id, kind=row.kind,
                                        due_on=row.due_on, due_at=_utc(row.due_at), legal_basis=row.legal_basis,
                                        estimated=row.estimated, status=row.status,
                                        computed_from=dict(row.computed_from or {}))
            case.deadlines.append(deadline)
    mark_written(drafts.values())
    return drafts


def _draft(row: Any, district: Any) -> plan.CaseDraft:
    return plan.CaseDraft(
        id=row.id, number=row.number, district=district, opened_at=_utc(row.opened_at), test=bool(row.test),
        status=row.status, priority=row.priority, priority_rank=row.priority_rank, flags=list(row.flags),
        explanation=dict(row.explanation), household=dict(row.household),
        joint_assessment_units=list(row.joint_assessment_units), household_lookup=row.household_lookup,
        first_contact_at=_utc(row.first_contact_at), assigned_to_id=row.assigned_to_id,
        last_activity_at=_utc(row.last_activity_at), next_due_at=_utc(row.next_due_at),
        next_firm_due_at=_utc(row.next_firm_due_at), overdue_since=_utc(row.overdue_since))


def _utc(value: datetime | None) -> datetime | None:
    """As the ORM reads a timestamp (`app/db.py: UTCDateTime`): PostgreSQL's rows come straight from
    the driver, in the connection's time zone."""
    return value.astimezone(timezone.utc) if value is not None else None


@cache
def _queries(dialect: str) -> tuple[Any, ...]:
    """The cases (locked first on PostgreSQL: the rows after are read once the lock is held), their
    notices with their tenants, their deadlines. Built once; planned each time (`fetch_together` then
    sends the three as one message)."""
    cases, notices, tenants, deadlines = (Case.__table__, Notice.__table__, Tenant.__table__, Deadline.__table__)
    by_case = in_list(cases.c.id, "case_ids", dialect, Uuid)
    case_query = select(cases).where(by_case, cases.c.status == CaseStatus.OPEN).order_by(cases.c.id)
    if dialect == "postgresql":
        case_query = case_query.with_for_update()
    notice_query = (select(*(notices.c[name] for name in _NOTICE_FACTS), tenants.c.id.label("tenant_id"),
                           tenants.c.birth_date, tenants.c.pin_hash)
                    .select_from(notices.outerjoin(tenants, tenants.c.notice_id == notices.c.id))
                    .where(in_list(notices.c.case_id, "case_ids", dialect, Uuid))
                    .order_by(notices.c.received_at, notices.c.id, tenants.c.position))
    deadline_query = (select(deadlines).where(in_list(deadlines.c.case_id, "case_ids", dialect, Uuid))
                      .order_by(deadlines.c.due_at, deadlines.c.id))
    return tuple(planned_each_time(query) for query in (case_query, notice_query, deadline_query))


# --------------------------------------------------------------------------- what changed, written

def _deadline_values(deadline: plan.DeadlineRow) -> tuple[Any, ...]:
    return tuple(getattr(deadline, column) for column in DEADLINE_COLUMNS)


def mark_written(cases: Collection[plan.CaseDraft]) -> None:
    """The cases' values as they now stand in the database (read, or written by the part)."""
    for case in cases:
        case.written = {column: copy.deepcopy(getattr(case, column)) for column in CASE_COLUMNS}
        for deadline in case.deadlines:
            deadline.written = copy.deepcopy(_deadline_values(deadline))


def changed(cases: Collection[plan.CaseDraft]) -> list[dict[str, Any]]:
    """The changeable columns of each case that changed since `written`, with its id."""
    return [{"id": case.id, **{column: getattr(case, column) for column in CASE_COLUMNS}} for case in cases
            if case.written is not None and any(getattr(case, c) != case.written[c] for c in CASE_COLUMNS)]


def moved(cases: Collection[plan.CaseDraft]) -> list[plan.DeadlineRow]:
    """The stored deadlines that moved: their row is updated, their pending timers planned again."""
    return [d for case in cases for d in case.deadlines if d.written is not None and _deadline_values(d) != d.written]


def statements(cases: list[dict[str, Any]], deadlines: list[plan.DeadlineRow]) -> list[Prepared]:
    """PostgreSQL: the UPDATEs and the timers' DELETE, as parts of the batch writer's one statement
    (`bulk_sql.insert_tables`). Its CTEs all see the rows as they were before it: the DELETE removes
    the old pending timers, not the new ones the same statement inserts."""
    rows = [_moved_row(d) for d in deadlines]
    return [Prepared(table, table_rows, sql, encode_rows(table_rows)) for table, table_rows, sql in (
        (Case.__table__, cases, _UPDATE_CASES), (Deadline.__table__, rows, _UPDATE_DEADLINES),
        (DeadlineAlert.__table__, rows, _delete_timers())) if table_rows]


_ROWS = "jsonb_populate_recordset(NULL::{table}, CAST(%({{name}})s AS jsonb)) AS r"
_UPDATE_CASES = (f"UPDATE cases AS c SET {', '.join(f'{column} = r.{column}' for column in CASE_COLUMNS)} "
                 f"FROM {_ROWS.format(table='cases')} WHERE c.id = r.id")
# A moved deadline's new values, and what a new plan resets (`deadlines_service.REPLANNED`).
_MOVED_COLUMNS = (*DEADLINE_COLUMNS, *deadlines_service.REPLANNED)
_UPDATE_DEADLINES = (f"UPDATE deadlines AS d SET {', '.join(f'{column} = r.{column}' for column in _MOVED_COLUMNS)} "
                     f"FROM {_ROWS.format(table='deadlines')} WHERE d.id = r.id")


def _moved_row(deadline: plan.DeadlineRow) -> dict[str, Any]:
    return {"id": deadline.id, **{column: getattr(deadline, column) for column in DEADLINE_COLUMNS},
            **deadlines_service.REPLANNED}


# Stands in for the rows' placeholder while the rule compiles (a bound value, rendered quoted).
_ROWS_MARK = "varsel:rows"


@cache
def _delete_timers() -> str:
    """`deadlines_service.delete_replaceable_timers` as a part of the writer's one statement, the moved
    deadlines' ids read from its rows parameter: the one rule of which timers a new plan replaces."""
    rows = func.jsonb_populate_recordset(literal_column("NULL::deadlines"),
                                         cast(bindparam("rows", _ROWS_MARK), JSONB)).table_valued("id").alias("r")
    statement = deadlines_service.delete_replaceable_timers(select(rows.c.id))
    sql = str(statement.compile(dialect=postgresql_psycopg.dialect(), compile_kwargs={"literal_binds": True}))
    # The writer hands the text to psycopg (where a `%` is a placeholder) after `str.format` (where a
    # brace is one): only the rows' own placeholder may be either.
    if sql.count(f"'{_ROWS_MARK}'") != 1 or "%" in sql:
        raise RuntimeError(f"the timers' DELETE does not compile to one rows placeholder and no %: {sql}")
    return sql.replace("{", "{{").replace("}", "}}").replace(f"'{_ROWS_MARK}'", "%({name})s")


def write(session: Session, cases: list[dict[str, Any]], deadlines: list[plan.DeadlineRow]) -> None:
    """SQLite: the same, statement by statement, before the part's INSERTs (its new timers among them)."""
    if cases:
        session.execute(update(Case), cases)  # by primary key, one executemany
    if deadlines:
        session.execute(update(Deadline), [_moved_row(d) for d in deadlines])
        session.execute(deadlines_service.delete_replaceable_timers([d.id for d in deadlines])
                        .execution_options(synchronize_session=False))
