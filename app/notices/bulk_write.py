"""A batch's rows written in parts (`app/notices/bulk.py` takes the items; this writes them).

On PostgreSQL a batch of more than `PART_SIZE` is cut into parts (`cuts`): about 50, then
`PART_SIZE` at a time, the last again about 50. Each part's rows go in one statement
(`app/notices/bulk_sql.py`), sent in psycopg's pipeline mode while the next part's items are
taken (`Writer`): PostgreSQL and Python work at once on the two cores, instead of one after the
other. A part never splits a person's notices — a later notice of the same person joins the case
an earlier one opened and changes its rows — so a part's rows are final once sent. (A stored case
that notices of two parts join is updated by each: `app/notices/bulk_join.py` writes what changed
since the part before.) A part's case
numbers are taken once the part before is written, on the same connection, in the same
transaction; its rows that name no case number are prepared before that.
"""

from __future__ import annotations

from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from app.cases import notify, plan
from app.cases.models import Case, TimelineEvent
from app.deadlines.models import Deadline, DeadlineAlert
from app.households.models import JointAssessmentPart
from app.ids import new_id
from app.notices import bulk_join, service
from app.notices.bulk_sql import Prepared, TableRows, case_numbers, insert_tables, prepare
from app.notices.models import Notice, Tenant
from app.security import audit
from app.sql import as_sqlalchemy_errors, send
from notifications import outbox
from notifications.models import OutboxMessage

# Notices per part of a batch (`Writer`): small enough that the first part's planning and the last
# part's INSERT, which nothing overlaps, stay short; large enough that a part's fixed statements
# (case numbers, its INSERT) stay a small share. Measured by bench/bench_ingest.py.
PART_SIZE = 100

NOTICE_COLUMNS = tuple(column.key for column in Notice.__table__.columns)
TENANT_COLUMNS = tuple(column.key for column in Tenant.__table__.columns)


@dataclass
class Part:
    """The rows of some of the batch's items, written together (`write_part`)."""

    plan: plan.IntakePlan = field(default_factory=plan.IntakePlan)
    created: list[tuple[Any, plan.CaseDraft]] = field(default_factory=list)  # (`bulk._new_notice`'s row, its case)
    staff: dict[Any, list[Any]] = field(default_factory=dict)  # district id → its handlers and joint assessors


class Writer:
    """Sends the batch's parts' INSERTs; on PostgreSQL it does not wait for one while the next is planned.

    A batch of 500 spends about as long in PostgreSQL's INSERT as in Python before it. Each part's
    statement is sent in a pipeline (psycopg's pipeline mode): PostgreSQL inserts it while Python
    plans the next part, the two cores side by side instead of one after the other. Its result (or
    its error) is read before the session is used again (`wait`): for the next part's case numbers,
    a district looked up for the first time, a stored notice replayed. A part never holds a case
    that a later part's notice joins (`cuts`): its rows are final once sent.
    """

    def __init__(self, session: Session, *, overlap: bool = True) -> None:
        self._session = session
        self._connection = session.connection()
        # On PostgreSQL a part's statement goes straight through the driver (`app/sql.py: send`), in a
        # pipeline; on SQLite `write_part` runs its statements itself, one after the other.
        postgresql = session.get_bind().dialect.name == "postgresql"
        self._driver = self._connection.connection.driver_connection if postgresql else None
        self._pipeline: ExitStack | None = None
        # Without `overlap` (one notice: nothing to plan while its rows are written) the statement is
        # sent and its result read at once: a pipeline's machinery would cost more than it saves.
        self._overlap = overlap

    @property
    def numbers_the_case(self) -> bool:
        """Notices sent alone on PostgreSQL (one, or a group of them: `app/notices/groups.py`): their
        cases take their numbers in their rows' statement (`bulk_sql.insert_tables`), a round trip
        fewer; the numbers' statement is planned once per connection (and group size) anyway. A
        batch keeps a statement per part for its numbers: numbering a part's cases in its rows'
        statement was measured slower (docs/performance.md)."""
        return self._driver is not None and not self._overlap

    def send(self, ctx: service.IntakeContext, part: Part) -> None:
        """The part's rows (`write_part`): the statement sent once the part before is written."""
        write_part(self._session, ctx, part, self)

    def execute(self, sql: str, parameters: dict[str, Any]) -> Any:
        """PostgreSQL: the part's statement (psycopg's SQL) sent, its result (or its error) read by `wait`;
        without `overlap`, sent and read at once: its rows."""
        self.wait()
        assert self._driver is not None
        if not self._overlap:
            with as_sqlalchemy_errors():
                if not audit.pending(self._session):
                    return send(self._connection, sql, {}, parameters).fetchall()
                # A notice alone: its rows are its transaction's last write, so the audit chain's head
                # is read (and its lock taken) in the same round trip, in a pipeline after them — the
                # chain's lock still the last lock the transaction takes, and the commit a trip shorter.
                with self._driver.pipeline():
                    rows = send(self._connection, sql, {}, parameters)
                    head = audit.send_chain_head(self._connection)
                written = rows.fetchall()
                audit.took_head(self._session, head.fetchone()[0])
                return written
        self._pipeline = ExitStack()
        self._pipeline.enter_context(self._driver.pipeline())
        send(self._connection, sql, {}, parameters)
        return None

    def wait(self) -> None:
        """The statement in flight done; its failure raised as SQLAlchemy raises a statement's."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is None:
            return
        with as_sqlalchemy_errors():
            pipeline.close()

    def close(self) -> None:
        """After the planner failed: the statement in flight is ended (its own failure no longer
        matters) and the connection out of pipeline mode before the caller rolls back."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            with suppress(psycopg.Error):
                pipeline.close()


def cuts(item_pins: list[tuple[int, set[str]]]) -> set[int]:
    """The items a new part begins at: the first part half as long as the others (PostgreSQL starts
    sooner), then one every `PART_SIZE` items or so, the last again about half as long (less to wait
    for at the end) — each where no person of an item before is in an item after (a later notice of
    theirs joins the case an earlier one opened, and changes its rows)."""
    half = PART_SIZE // 2
    targets = list(range(half, len(item_pins) - half + 1, PART_SIZE))
    last = {pin: position for position, (_, pins) in enumerate(item_pins) for pin in pins}
    cuts: set[int] = set()
    reach = -1  # the furthest item that a person of the part so far is in
    for position, (index, pins) in enumerate(item_pins):
        if targets and position >= targets[0] and reach < position:
            cuts.add(index)
            while targets and targets[0] <= position:
                targets.pop(0)
        reach = max([reach, *(last[pin] for pin in pins)])
    return cuts


def write_part(session: Session, ctx: service.IntakeContext, part: Part, writer: Writer) -> None:
    """The part's rows: prepared while the part before is still being written (`writer`), then, once
    it is, the case numbers and the rows that name them, and the statement sent by the writer. The
    stored cases its notices join are updated where they changed (`app/notices/bulk_join.py`)."""
    rows = part.plan
    if not rows.cases and not rows.joined:
        writer.wait()
        return
    notices = sorted((notice for notice, _ in part.created), key=lambda n: n.external_id)  # one lock order
    joined, moved = bulk_join.changed(rows.joined), bulk_join.moved(rows.joined)
    # Every row that does not name a case number: ready before the part before is written.
    ready = [prepare(session, table, table_rows) for table, table_rows in (
        (Notice.__table__, [_values(NOTICE_COLUMNS, notice) for notice in notices]),
        (Tenant.__table__, [{**_values(TENANT_COLUMNS, tenant), "id": new_id(), "notice_id": notice.id}
                            for notice in notices for tenant in notice.tenants]),
        (Deadline.__table__, [d.values() for d in rows.deadlines]),
        (DeadlineAlert.__table__, [
            {"id": new_id(), "deadline_id": d.id, "kind": t.kind, "fire_at": t.fire_at, "status": "pending"}
            for d in [*rows.deadlines, *moved] for t in d.timers]),
        (TimelineEvent.__table__, rows.timeline),
        (JointAssessmentPart.__table__, rows.parts),
    )]
    writer.wait()
    numbered_in_statement = writer.numbers_the_case and bool(rows.cases)
    if numbered_in_statement:
        # The number up to its sequence value; the rows' statement completes it, in the case's row and
        # in the messages that name it (`bulk_sql.insert_tables`), and answers it.
        for case in rows.cases:
            case.number = plan.case_number_prefix(ctx.now)
    elif rows.cases:
        for case, sequence in zip(rows.cases, case_numbers(session, len(rows.cases)), strict=True):
            case.number = plan.case_number(ctx.now, sequence)
    messages = _messages(session, ctx, rows, part.staff)  # a joint-assessment request names its case's number
    tables: list[TableRows | Prepared] = [(Case.__table__, [case.values() for case in rows.cases], ""), *ready]
    if session.get_bind().dialect.name == "postgresql":
        # outbox.enqueue_many's statement, in the same statement as the rest: the dedup key still decides.
        tables.append((OutboxMessage.__table__, [outbox.message_values(m) for m in messages],
                       " ON CONFLICT (dedup_key) DO NOTHING"))
        written = insert_tables(session, [*bulk_join.statements(joined, moved), *tables], writer.execute,
                                number_the_case=numbered_in_statement)
        if numbered_in_statement:
            numbers = dict(written)
            for case in rows.cases:
                case.number = numbers[case.id]
    else:
        bulk_join.write(session, joined, moved)  # the old timers deleted before the new are inserted
        insert_tables(session, tables)
        outbox.enqueue_many(session, messages)
    bulk_join.mark_written(rows.joined)


def _values(columns: tuple[str, ...], row: Any) -> dict[str, Any]:
    return {column: getattr(row, column) for column in columns}


def _messages(session: Session, ctx: service.IntakeContext, rows: plan.IntakePlan,
              staff: dict[Any, list[Any]]) -> list[dict[str, Any]]:
    """The planned messages as outbox rows: `notify`'s, with each district's staff looked up once
    (in `staff`, for the batch) — its handlers and its joint assessors in one statement."""

    def staff_of(district_id: Any, role: str, unit: str | None = None) -> list[Any]:
        if district_id not in staff:
            staff[district_id] = notify.staff_of(session, district_id, *notify.INTAKE_ROLES, with_role=True)
        return [r for r in staff[district_id] if r.role == role and (unit is None or r.unit == unit)]

    messages: list[dict[str, Any]] = []
    for kind, case, *rest in rows.messages:
        if kind == "digest":
            if case.district_id is None:
                continue
            key = notify.digest_key(case.district_id, ctx.now)
            if key in ctx.memo.digests:
                continue
            ctx.memo.digests.add(key)
            if not case.test:
                messages += notify.mail_rows(staff_of(case.district_id, "handler"), template="new_cases_digest",
                                             key=key, payload=notify.digest_payload(case), case_id=None,
                                             district_id=case.district_id)
        elif case.test:
            continue  # a test case causes no message (`notify._enqueue`)
        elif kind == "joint":
            (unit,) = rest
            messages += notify.mail_rows(staff_of(case.district_id, "joint_assessor", unit),
                                         template="joint_assessment_request",
                                         key=notify.joint_assessment_key(case, unit),
                                         payload=notify.joint_assessment_payload(case, unit), case_id=case.id,
                                         district_id=case.district_id)
        else:
            messages.append(notify.tenant_letter(case, rest[0]))
    return messages
