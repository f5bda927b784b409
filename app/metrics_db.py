"""Metrics read from the database, so that every process's work is counted wherever the scrape lands.

Jobs run in the scheduler's leader — perhaps another server process than the one Prometheus
scrapes — and in `varsel jobs run` (another process altogether). Every run is a `job_runs` row
and every send attempt a `deliveries` row, so counting rows gives the same numbers whichever
process answers.

Counters must never go down, but the nightly purge deletes job runs older than a month. So the
counts are kept here, in the process: the whole retained history once, at the first scrape (one
aggregate query), then only rows with a higher id than those already counted (a range scan of
the primary key). An id handed out before a counted one but committed after it would slip past
a plain `id > last` cursor, so the ids counted within the last `SETTLE_SECONDS` are remembered
and the cursor moves past them only once that long has gone by.

Gauges (the outbox as it is now, missed deadlines) are small queries on indexed columns. All of
it runs at most once per `max_age` seconds, however often it is scraped; a database that does not
answer leaves the last numbers in place and sets `varsel_metrics_database_up` to 0.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Float, case, func, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement

from app.db import transaction, utcnow
from app.deadlines.models import Deadline
from app.jobs.base import JobRun
from app.scheduler import LEADER_LOCK_KEY
from app.vocabulary import DeadlineKind
from notifications.models import CHANNELS, Delivery, OutboxMessage

log = structlog.get_logger("varsel.metrics")

JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
SETTLE_SECONDS = 600.0
DEFAULT_MAX_AGE_SECONDS = 5.0
WAITING_STATUSES = ("pending", "sending", "failed")  # sent messages are counted by varsel_deliveries_total
# Deadlines that can be missed, and which of them the law sets (JB 12 kap. 44 §; SoF 2025:468 11 kap. 3 §);
# the others are the service's own levels (first contact, budget advice).
MISSABLE = {
    DeadlineKind.REDEMPTION_PERIOD_END.value: True,
    DeadlineKind.KRONOFOGDEN_ACKNOWLEDGEMENT.value: True,
    DeadlineKind.FIRST_CONTACT.value: False,
    DeadlineKind.BUDGET_ADVICE_OFFER.value: False,
}


class seconds_between(FunctionElement[float]):  # noqa: N801 - reads like the SQL it compiles to
    """`end - start` in seconds, in SQL: the two databases spell it differently."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _pg_seconds(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))"


@compiles(seconds_between, "sqlite")
def _sqlite_seconds(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 86400.0)"


class _Cursor:
    """Which row ids are counted: all up to `floor`, and those in `recent` above it."""

    def __init__(self, settle: float) -> None:
        self.floor: int | None = None  # None: nothing read yet
        self.recent: dict[int, float] = {}  # id → when this process first counted it (monotonic)
        self.settle = settle

    def is_new(self, row_id: int, now: float) -> bool:
        if row_id in self.recent or (self.floor is not None and row_id <= self.floor):
            return False
        self.recent[row_id] = now
        return True

    def check_top(self, top: int | None) -> None:
        """SQLite hands out max(id) + 1: once every row is deleted (a month without runs, then the purge),
        ids start again below the cursor. The purge deletes the oldest rows only, so ids below the cursor
        with none above it are new rows, and are counted from the start."""
        if self.floor is not None and (top or 0) < self.floor:
            self.floor, self.recent = 0, {}

    def advance(self, now: float) -> None:
        settled = [row_id for row_id, seen in self.recent.items() if now - seen >= self.settle]
        for row_id in settled:
            del self.recent[row_id]
        if settled:
            self.floor = max(self.floor or 0, *settled)


@dataclass
class _Runs:
    count: int = 0
    seconds: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * len(JOB_BUCKETS))  # cumulative
    last_finished: datetime | None = None

    def add(self, seconds: float, finished: datetime | None) -> None:
        self.count += 1
        self.seconds += seconds
        for index, bound in enumerate(JOB_BUCKETS):
            if seconds <= bound:
                self.buckets[index] += 1
        if finished is not None and (self.last_finished is None or finished > self.last_finished):
            self.last_finished = finished


class JobRunTally:
    """`job_runs` counted per job and outcome: runs, total and bucketed durations, the latest finish."""

    def __init__(self, settle: float = SETTLE_SECONDS) -> None:
        self.runs: dict[tuple[str, str], _Runs] = {}
        self.cursor = _Cursor(settle)

    def refresh(self, session: Session, now: float) -> None:
        duration = seconds_between(JobRun.started_at, func.coalesce(JobRun.finished_at, JobRun.started_at))
        if self.cursor.floor is None:
            top = session.scalar(select(func.max(JobRun.id))) or 0
            rows = session.execute(
                select(JobRun.job, JobRun.outcome, func.count(), func.sum(duration), func.max(JobRun.finished_at),
                       *[func.sum(case((duration <= bound, 1), else_=0)) for bound in JOB_BUCKETS])
                .where(JobRun.id <= top).group_by(JobRun.job, JobRun.outcome))
            for job, outcome, count, seconds, last, *buckets in rows:
                self.runs[(job, outcome)] = _Runs(int(count), float(seconds or 0), [int(b or 0) for b in buckets],
                                                  last)
            self.cursor.floor = top
        self.cursor.check_top(session.scalar(select(func.max(JobRun.id))))
        for row_id, job, outcome, seconds, finished in session.execute(
                select(JobRun.id, JobRun.job, JobRun.outcome, duration, JobRun.finished_at)
                .where(JobRun.id > self.cursor.floor).order_by(JobRun.id)):
            if self.cursor.is_new(row_id, now):
                self.runs.setdefault((job, outcome), _Runs()).add(max(0.0, float(seconds or 0)), finished)
        self.cursor.advance(now)

    def families(self) -> Iterable[Metric]:
        runs = CounterMetricFamily("varsel_job_runs", "Scheduled job runs (scheduler and `varsel jobs run`), "
                                   "by job and outcome", labels=["job", "outcome"])
        durations = HistogramMetricFamily("varsel_job_duration_seconds", "Scheduled job run duration",
                                          labels=["job", "outcome"])
        last = GaugeMetricFamily("varsel_job_last_run_timestamp_seconds",
                                 "When the latest run of the job finished (Unix time), by outcome",
                                 labels=["job", "outcome"])
        for (job, outcome), tally in sorted(self.runs.items()):
            runs.add_metric([job, outcome], tally.count)
            buckets = [(str(bound), n) for bound, n in zip(JOB_BUCKETS, tally.buckets, strict=True)]
            durations.add_metric([job, outcome], buckets + [("+Inf", tally.count)], sum_value=tally.seconds)
            if tally.last_finished is not None:
                last.add_metric([job, outcome], tally.last_finished.timestamp())
        return (runs, durations, last)


class DeliveryTally:
    """`deliveries` (one row per send attempt) counted per channel and outcome: sent, retry, failed."""

    def __init__(self, settle: float = SETTLE_SECONDS) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        self.cursor = _Cursor(settle)

    def refresh(self, session: Session, now: float) -> None:
        joined = select(Delivery.id, OutboxMessage.channel, Delivery.outcome).join(
            OutboxMessage, OutboxMessage.id == Delivery.outbox_id)
        if self.cursor.floor is None:
            top = session.scalar(select(func.max(Delivery.id))) or 0
            for channel, outcome, count in session.execute(
                    select(OutboxMessage.channel, Delivery.outcome, func.count())
                    .join(OutboxMessage, OutboxMessage.id == Delivery.outbox_id)
                    .where(Delivery.id <= top).group_by(OutboxMessage.channel, Delivery.outcome)):
                self.counts[(channel, outcome)] = int(count)
            self.cursor.floor = top
        self.cursor.check_top(session.scalar(select(func.max(Delivery.id))))
        for row_id, channel, outcome in session.execute(joined.where(Delivery.id > self.cursor.floor)):
            if self.cursor.is_new(row_id, now):
                self.counts[(channel, outcome)] = self.counts.get((channel, outcome), 0) + 1
        self.cursor.advance(now)

    def families(self) -> Iterable[Metric]:
        family = CounterMetricFamily("varsel_deliveries", "Send attempts of outbox messages, by channel and "
                                     "outcome (sent, retry, failed)", labels=["channel", "outcome"])
        for (channel, outcome), count in sorted(self.counts.items()):
            family.add_metric([channel, outcome], count)
        return (family,)


@dataclass
class _Now:
    """What is true now: messages waiting, missed deadlines."""

    waiting: dict[tuple[str, str], int] = field(default_factory=dict)
    oldest_waiting_seconds: float = 0.0
    oldest_due_seconds: float = 0.0
    missed: dict[str, int] = field(default_factory=dict)
    leaders: int | None = None  # PostgreSQL: processes holding the leader lock; None on SQLite

    @classmethod
    def read(cls, session: Session) -> _Now:
        now = utcnow()
        state = cls(waiting={(status, channel): 0 for status in WAITING_STATUSES for channel in CHANNELS},
                    missed={kind: 0 for kind in MISSABLE})
        # ix_outbox_due (status, next_attempt_at) serves all three: sent messages are never read.
        for status, channel, count in session.execute(
                select(OutboxMessage.status, OutboxMessage.channel, func.count())
                .where(OutboxMessage.status.in_(WAITING_STATUSES))
                .group_by(OutboxMessage.status, OutboxMessage.channel)):
            state.waiting[(status, channel)] = int(count)
        oldest = session.scalar(select(func.min(OutboxMessage.created_at))
                                .where(OutboxMessage.status.in_(("pending", "sending"))))
        state.oldest_waiting_seconds = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
        due = session.scalar(select(func.min(OutboxMessage.next_attempt_at))
                             .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now))
        state.oldest_due_seconds = max(0.0, (now - due).total_seconds()) if due else 0.0
        # ix_deadlines_due (status, due_at): only the missed rows are visited.
        for kind, count in session.execute(select(Deadline.kind, func.count()).where(Deadline.status == "missed")
                                           .group_by(Deadline.kind)):
            state.missed[kind] = int(count)
        if session.get_bind().dialect.name == "postgresql":
            state.leaders = _leader_locks(session)
        return state

    def families(self) -> Iterable[Metric]:
        if self.leaders is not None:
            yield GaugeMetricFamily("varsel_scheduler_leaders", "Processes that hold the scheduler's leader lock, "
                                    "seen from the database (PostgreSQL): 1 is right, 0 means no jobs run",
                                    value=self.leaders)
        waiting = GaugeMetricFamily("varsel_outbox_messages", "Outbox messages not (yet) sent, by status and "
                                    "channel; failed ones wait for an administrator's retry",
                                    labels=["status", "channel"])
        for (status, channel), count in sorted(self.waiting.items()):
            waiting.add_metric([status, channel], count)
        missed = CounterMetricFamily("varsel_deadlines_missed", "Deadlines declared missed, by kind; statutory: "
                                     "set by law rather than by the service's own levels",
                                     labels=["kind", "statutory"])
        for kind, count in sorted(self.missed.items()):
            missed.add_metric([kind, "true" if MISSABLE.get(kind) else "false"], count)
        yield waiting
        yield GaugeMetricFamily("varsel_outbox_oldest_pending_age_seconds",
                                "Age of the oldest message pending or being sent (0: none)",
                                value=self.oldest_waiting_seconds)
        yield GaugeMetricFamily("varsel_outbox_oldest_due_age_seconds", "How long the message most overdue for "
                                "sending has been due; the dispatcher runs every 5 s (0: none due)",
                                value=self.oldest_due_seconds)
        yield missed


def _leader_locks(session: Session) -> int:
    # Whichever process answers the scrape, the database knows whether any process leads: the leader holds
    # an advisory lock (app/scheduler.py), which pg_locks shows to every role. A key below 2**32 is stored
    # as classid 0 and objid the key, objsubid 1.
    return int(session.scalar(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 "
        "AND objid = :key AND objsubid = 1 "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"key": LEADER_LOCK_KEY}) or 0)


class DatabaseCollector(Collector):
    """A prometheus_client collector: the families above, refreshed at most every `max_age` seconds."""

    def __init__(self, sessions: sessionmaker[Session], *, leader: Callable[[], bool] = lambda: False,
                 max_age: float = DEFAULT_MAX_AGE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.sessions = sessions
        self.leader = leader
        self.max_age = max_age
        self.clock = clock
        self.jobs = JobRunTally()
        self.deliveries = DeliveryTally()
        self.now = _Now()
        self.up = False
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def refresh(self) -> None:
        with self._lock:
            now = self.clock()
            if self._read_at is not None and now - self._read_at < self.max_age:
                return
            try:
                with transaction(self.sessions) as session:
                    self.jobs.refresh(session, now)
                    self.deliveries.refresh(session, now)
                    self.now = _Now.read(session)
                self.up = True
            except Exception as exc:  # noqa: BLE001 - /metrics still answers, with the process's own numbers
                self.up = False
                log.warning("metrics_database_unavailable", error=type(exc).__name__)
            self._read_at = now

    def collect(self) -> Iterable[Metric]:
        self.refresh()
        yield GaugeMetricFamily("varsel_metrics_database_up", "1 when the database answered the last metrics "
                                "query, 0 when it did not (the database's numbers are then as last read)",
                                value=1 if self.up else 0)
        yield GaugeMetricFamily("varsel_scheduler_leader", "1 when this process leads the scheduler (runs the "
                                "jobs), else 0; exactly one process should", value=1 if self.leader() else 0)
        yield from self.jobs.families()
        yield from self.deliveries.families()
        yield from self.now.families()
