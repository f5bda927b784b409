"""Notices sent alone at the same moment, written together: group commit for `POST /api/v1/notices`.

Why: a notice sent alone costs its transaction's fixed work — the look-ups' round trip, the rows'
statement, the audit chain's append and the COMMIT, the session around them — and that is most of
its CPU: in a batch of 500 a notice costs the server an eighth of what it costs alone. When a housing company's system
sends its month-end notices one request each, several are in flight at once, and those that wait
while others are being written can share one transaction. Measured (docs/performance.md, the
eighteenth pass): a quarter less of the server's CPU and of PostgreSQL's per notice.

How: a notice sent alone joins the queue of its landlord (the same key's notices: one landlord, test
or not). While fewer than `IN_FLIGHT` groups are being written, a group starts with everything in
the queue (at most `MAX_GROUP`); while one is being written, the next starts only once at least
`MIN_OVERLAPPING` wait, so that the two alternate — one's Python running while PostgreSQL writes
the other's rows — instead of breaking into groups of one. With nothing in flight and nobody
waiting a notice goes at once, by its own request (`start_alone`): alone, it waits for nobody.

A group is one transaction through the set-wise writer (`bulk.receive_many`, `alone`: no
savepoint), exactly as a batch's items are taken: each notice its own answer (201, a replay's
200, its own 409 or 422, by its external_id or its own Idempotency-Key — the key first, as alone —
also against the notices before it in the group), each audit row its own request's id and client
address (`audit.Origin`).
Each request answers its own notice once the group has committed. A notice the group could not
take — it joins a stored case the look-ups did not read (`bulk.DEFER`), or the set-wise writer
rolled the group back (a concurrent request stored one of its notices first, or an item failed
unexpectedly) — is answered `ALONE`: its request then takes it by the one-notice path, in its own
transaction and its own context, as it would have without the group (which replays what the
other stored, and gives a failing notice its own error). A busy database, a lost connection or a
failed commit is each notice's own error, as it would have been alone: never a 201.

Notices that wait together were in flight together, so no order between them is promised: the
group takes them in the order they came, and those it leaves to their requests run side by side,
each answered against whatever the others stored first (a replay, or a 409 by the same
external_id or key), as requests racing without a group are (the unique indexes decide).

Not grouped: SQLite's notices (one writer: nothing to gain).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from sqlalchemy.orm import Session

from app.db_loop import run_unit
from app.errors import Problem
from app.logging import current_request_id
from app.notices import bulk, service
from app.notices.bulk_write import PART_SIZE
from app.notices.schemas import NoticeIn
from app.security import audit
from app.security.actors import Actor

IN_FLIGHT = 2  # groups being written at once: one's Python while PostgreSQL writes the other's rows
MIN_OVERLAPPING = 2  # notices waiting before a group starts beside one in flight
MAX_GROUP = PART_SIZE  # notices in one group: a transaction no longer than a batch's part

ALONE = object()  # the answer to a notice its request takes by the one-notice path itself


@dataclass
class _Waiting:
    body: NoticeIn
    key: str | None  # its Idempotency-Key
    origin: audit.Origin
    answer: asyncio.Future[Any]


@dataclass
class NoticeGroups:
    """The process's queues of notices sent alone (one per landlord) and its groups in flight."""

    state: Any  # the app's state: its sessions, settings, routers, clock and metrics
    queues: dict[Actor, list[_Waiting]] = field(default_factory=dict)
    in_flight: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def start_alone(self) -> bool:
        """True when nothing is in flight and nobody waits: the notice then goes at once, by its own
        request's one-notice path (no task, no queue: a client that sends one notice at a time pays
        nothing for the groups), as a group of one in flight until `end_alone`."""
        if self.in_flight or self.queues:
            return False
        self.in_flight += 1
        return True

    def end_alone(self, landlord: Actor) -> None:
        self.in_flight -= 1
        self._written(landlord, 1)
        self._start()

    def _written(self, landlord: Actor, size: int) -> None:
        self.state.metrics.notice_groups.labels("test" if landlord.test else "live").observe(size)

    async def receive(self, body: NoticeIn, landlord: Actor, key: str | None = None) -> Any:
        """The notice's answer from its group: {"status", "receipt"}; or ALONE; its Problem is raised."""
        waiting = _Waiting(body, key, audit.Origin(landlord, current_request_id()),
                           asyncio.get_running_loop().create_future())
        # One queue per key as its landlord's notices are written: the client's address is each notice's own.
        self.queues.setdefault(dataclasses.replace(landlord, ip=None), []).append(waiting)
        self._start()
        # A client gone does not stop its notice: the group writes it all the same, as a unit of
        # work on the loop is never cancelled halfway (`app/db_loop.py: run_unit`).
        return await waiting.answer

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """No group starts until the block ends (tests: notices sent together are written as one group)."""
        self.in_flight += IN_FLIGHT
        try:
            yield
        finally:
            self.in_flight -= IN_FLIGHT
        self._start()

    def _start(self) -> None:
        for landlord in list(self.queues):
            queue = self.queues[landlord]
            while queue and self.in_flight < IN_FLIGHT and (not self.in_flight or len(queue) >= MIN_OVERLAPPING):
                group, queue[:] = queue[:MAX_GROUP], queue[MAX_GROUP:]
                self.in_flight += 1
                # In a context of its own: its log lines belong to no one request of the several.
                task = asyncio.get_running_loop().create_task(self._write(landlord, group),
                                                              context=contextvars.Context())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if not queue:
                del self.queues[landlord]

    async def _write(self, landlord: Actor, group: list[_Waiting]) -> None:
        answers: dict[int, Any] | None = None
        failure: BaseException | None = None
        try:
            session = self.state.sessionmaker()
            try:
                answers = await run_unit(session, _write_group, self.state, landlord, group, session)
            finally:
                session.close()
        except BaseException as exc:  # noqa: BLE001 - every notice of the group answers it (below)
            failure = exc
        finally:
            self.in_flight -= 1
            self._written(landlord, len(group))
            for at, waiting in enumerate(group):
                if waiting.answer.done():
                    continue
                answer = ALONE if answers is None else answers.get(at, ALONE)
                if isinstance(failure, asyncio.CancelledError):
                    waiting.answer.cancel()  # the server stopping: its request is cancelled too
                elif failure is not None:
                    # What a notice alone would have answered: a busy database or a lost connection is
                    # each one's 503 (`app/errors.py`), a failed commit an error and never a 201.
                    waiting.answer.set_exception(failure)
                elif isinstance(answer, Problem):
                    waiting.answer.set_exception(answer)
                else:
                    waiting.answer.set_result(ALONE if answer is bulk.DEFER else answer)
            self._start()
        if isinstance(failure, asyncio.CancelledError):
            raise failure


def _write_group(state: Any, landlord: Actor, group: list[_Waiting], session: Session) -> dict[int, Any] | None:
    """The group's notices in one transaction, committed: each one's result, or None (take each alone)."""
    context = service.IntakeContext.of(state, landlord)
    try:
        written = bulk.receive_many(session, context, [(at, waiting.body) for at, waiting in enumerate(group)],
                                    alone=True, origins={at: waiting.origin for at, waiting in enumerate(group)},
                                    keys={at: waiting.key for at, waiting in enumerate(group) if waiting.key is not None})
        if written is None:
            return None
        session.commit()
        return written
    except BaseException:
        with suppress(Exception):
            session.rollback()
        raise
