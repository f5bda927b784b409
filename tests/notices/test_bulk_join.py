"""The stored cases a batch's notices join (`app/notices/bulk_join.py`): read as the ORM reads them,
only while open, only those a new notice may join, locked (PostgreSQL) until the batch commits — and
a timer the deadline sweep holds never deadlocks the join.

That a join writes the same rows as the one-notice path is `test_bulk_equivalence.py`'s proof."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from app.cases import plan
from app.cases.models import Case, TimelineEvent
from app.notices import bulk_join
from app.notices.models import Notice
from tests.conftest import IS_POSTGRES
from app.security.actors import SYSTEM
from tests.notices.conftest import BATCH, NOTICES, disturbance_body, notice_body, personnummer

COUPLE = [{"name": "Erik Ek", "personal_identity_number": personnummer(date(1958, 2, 3), serial=411)},
          {"name": "Frida Ek", "personal_identity_number": personnummer(date(1984, 5, 6), serial=412)}]


def _stored_case(client, landlord, db) -> object:
    """A couple's case (one of them 65+) with two notices: its deadlines tightened once, joint assessment asked."""
    for external_id, household in (("JOIN-1", None), ("JOIN-2", {"consent": True, "children_under_18": 1,
                                                                 "residents_65_or_older": 1})):
        body = notice_body({"tenants": COUPLE, "household": household, "property.apartment_number": "1102"},
                           external_id=external_id)
        assert client.post(NOTICES, json=body, headers=landlord.headers).status_code == 201
    with db() as session:
        (case_id,) = set(session.scalars(select(Notice.case_id).where(Notice.external_id.like("JOIN-%"))))
    return case_id


def test_a_stored_case_is_read_as_the_orm_reads_it(client, landlord, db, engine):
    case_id = _stored_case(client, landlord, db)
    with db() as session:
        if engine.dialect.name == "postgresql":  # the driver's timestamps come in the session's time zone
            session.execute(text("SET LOCAL TIME ZONE 'Europe/Stockholm'"))
        case = session.get(Case, case_id)
        draft = bulk_join.load(session, {case_id}, {case.district_id: case.district})[case_id]

        for column in (*bulk_join.CASE_COLUMNS, "number", "opened_at", "status", "first_contact_at",
                       "assigned_to_id", "test", "district_id"):
            assert getattr(draft, column) == getattr(case, column), column
        assert draft.notices == [plan.NoticeFacts.of(notice) for notice in case.notices]
        assert len(draft.notices) == 2 and all(len(n.tenants) == 2 for n in draft.notices)
        stored = [plan.DeadlineRow(id=d.id, case_id=d.case_id, notice_id=d.notice_id, kind=d.kind, due_on=d.due_on,
                                   due_at=d.due_at, legal_basis=d.legal_basis, estimated=d.estimated,
                                   status=d.status, computed_from=d.computed_from).values() for d in case.deadlines]
        assert [d.values() for d in draft.deadlines] == stored and len(stored) >= 4
        instants = [draft.opened_at, draft.last_activity_at, draft.next_due_at, *(d.due_at for d in draft.deadlines),
                    *(n.received_at for n in draft.notices)]
        assert {instant.utcoffset() for instant in instants} == {timedelta(0)}  # UTC, as the ORM gives them
        # The rules see the same case: reassessed, nothing changes, and the writer has nothing to write.
        assert plan.reassessment(draft) == plan.reassessment(case)
        assert plan.IntakePlan().reassess(draft, SYSTEM) is False
        assert bulk_join.changed([draft]) == [] and bulk_join.moved([draft]) == []


def test_a_join_writes_the_cases_changed_columns(client, landlord, db):
    """A join's UPDATE carries every column it changed — the last activity too (its last event's
    instant, as the one-notice path sets it), which the equivalence test sees only as "real-time"."""
    case_id = _stored_case(client, landlord, db)
    with db() as session:
        before = session.get(Case, case_id).last_activity_at
    body = notice_body({"tenants": COUPLE[1:], "property.apartment_number": "1102"}, external_id="JOIN-3")
    answer = client.post(BATCH, json={"notices": [body]}, headers=landlord.headers)
    assert answer.json()["results"][0]["status"] == 201
    with db() as session:
        case = session.get(Case, case_id)
        received = session.scalar(select(TimelineEvent.at).where(TimelineEvent.case_id == case_id,
                                                                 TimelineEvent.data["external_id"].as_string() == "JOIN-3"))
        assert len(case.notices) == 3 and case.last_activity_at == received != before


def test_only_the_cases_a_new_notice_may_join_are_read():
    a, b, c = (uuid.uuid4() for _ in range(3))
    district, elsewhere = uuid.uuid4(), uuid.uuid4()
    opened = datetime(2026, 1, 1, tzinfo=UTC)
    open_cases = [("pin-1", a, opened, district), ("pin-1", b, opened, elsewhere), ("pin-2", c, opened, district)]
    assert bulk_join.wanted(open_cases, [({"pin-1"}, district)]) == {a}
    assert bulk_join.wanted(open_cases, [({"pin-1", "pin-2"}, district), ({"pin-1"}, elsewhere)]) == {a, b, c}
    assert bulk_join.wanted(open_cases, []) == set()


def test_a_closed_case_is_not_read(client, landlord, db):
    case_id = _stored_case(client, landlord, db)
    with db() as session:
        session.execute(text("UPDATE cases SET status = 'closed'"))
    with db() as session:
        district = session.get(Case, case_id).district
        assert bulk_join.load(session, {case_id}, {district.id: district}) == {}


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite's writers take the whole database's lock")
def test_a_read_case_stays_locked_until_the_batch_commits(client, landlord, db, engine):
    case_id = _stored_case(client, landlord, db)
    probe = text("SELECT id FROM cases WHERE id = :id FOR UPDATE NOWAIT")
    with db() as session:
        district = session.get(Case, case_id).district
        assert case_id in bulk_join.load(session, {case_id}, {district.id: district})
        with engine.connect() as other:
            with pytest.raises(OperationalError, match="could not obtain lock"):
                other.execute(probe, {"id": case_id})
    with engine.connect() as other:
        assert other.execute(probe, {"id": case_id}).scalar() == case_id


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite's writers take the whole database's lock")
def test_a_replayed_batch_does_not_wait_for_a_locked_case(client, landlord, db, engine):
    """A retry of a stored batch joins nothing, so it locks nothing: it does not wait for a staff
    action that holds a case of the same person."""
    case_id = _stored_case(client, landlord, db)
    replay = notice_body({"tenants": COUPLE, "household": None, "property.apartment_number": "1102"},
                         external_id="JOIN-1")
    answers: list[int] = []
    with engine.connect() as staff:
        with staff.begin():
            staff.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": case_id})
            sender = threading.Thread(target=lambda: answers.append(client.post(
                BATCH, json={"notices": [replay]}, headers=landlord.headers).json()["results"][0]["status"]))
            sender.start()
            sender.join(10)
            assert answers == [200]  # answered while the case was still locked


@pytest.mark.skipif(not IS_POSTGRES, reason="the sweep claims with FOR UPDATE SKIP LOCKED on PostgreSQL")
@pytest.mark.parametrize("kind", ["disturbance_warning", "rent_arrears"])
@pytest.mark.parametrize("set_wise", [True, False], ids=["set-wise", "one-notice-path"])
def test_a_join_that_tightens_a_deadline_the_sweep_holds_does_not_deadlock(client, landlord, db, engine, monkeypatch,
                                                                            kind, set_wise):
    """The sweep claims a passed first contact (`app/jobs/sweep.py: _claim_passed`), then declares it
    missed and records on its case; a notice joining that case meanwhile tightens the first contact.
    The claim holds the case with the deadline: the notice waits for the case, the sweep never waits
    for the notice, and both finish. (Before, the sweep held a "missed" timer and then the case,
    while the notice held the case and waited for the timer: one side's 503.)"""
    from sqlalchemy.orm import Session

    from app.db import utcnow
    from app.jobs import sweep as sweep_module
    from app.notices import bulk

    pin = personnummer(date(1985, 4, 12), serial=79)
    first = notice_body({"tenants[0].personal_identity_number": pin, "household": None}, external_id="SWEEP-1")
    assert client.post(NOTICES, json=first, headers=landlord.headers).status_code == 201
    second = (disturbance_body(kind, external_id="SWEEP-2") if kind != "rent_arrears"
              else notice_body({"household": None}, external_id="SWEEP-2"))
    second["tenants"] = [{"name": "Anna Andersson", "personal_identity_number": pin}]
    second["household"] = {"consent": True, "children_under_18": 0, "residents_65_or_older": 1}  # tightens
    if not set_wise:
        monkeypatch.setattr(bulk, "receive_many", lambda *args, **kwargs: None)
    with db() as session:
        case_id = session.scalar(select(Notice.case_id).where(Notice.external_id == "SWEEP-1"))
        session.execute(text("UPDATE deadlines SET due_at = now() - interval '1 hour' "
                             "WHERE case_id = :id AND kind = 'first_contact'"), {"id": case_id})
        session.commit()
    answers: list[int] = []
    with engine.connect() as sweep:
        with sweep.begin():
            sweeping = Session(bind=sweep)
            claimed = sweep_module._claim_passed(sweeping, utcnow(), 10)
            assert [(deadline.kind, case.id) for deadline, case in claimed] == [("first_contact", case_id)]
            sender = threading.Thread(target=lambda: answers.append(
                client.post(NOTICES, json=second, headers=landlord.headers).status_code))
            sender.start()
            time.sleep(1.0)  # the notice waits for the case by now
            assert answers == []
            sweeping.flush()
            sweep.execute(text("UPDATE cases SET last_activity_at = now() WHERE id = :id"), {"id": case_id})
            sweep.execute(text("UPDATE deadlines SET status = 'missed' WHERE id = :id"), {"id": claimed[0][0].id})
        sender.join(20)
    assert answers == [201]
    with db() as session:
        assert session.scalar(select(Notice.case_id).where(Notice.external_id == "SWEEP-2")) == case_id


@pytest.mark.parametrize("set_wise", [True, False], ids=["set-wise", "one-notice-path"])
def test_a_deadline_a_join_moves_is_looked_at_again_once_passed(client, landlord, db, sessions, monkeypatch, set_wise):
    """A deadline planned again is looked at again (`deadlines_service.REPLANNED`), whichever path
    plans it: a first contact the sweep had looked at, then tightened by a joining 65+ household,
    is declared missed once its new time has passed."""
    from app.deadlines.models import Deadline
    from app.jobs.sweep import sweep
    from app.notices import bulk

    pin = personnummer(date(1985, 4, 12), serial=83)
    first = notice_body({"tenants[0].personal_identity_number": pin, "household": None}, external_id="LOOK-1")
    assert client.post(NOTICES, json=first, headers=landlord.headers).status_code == 201
    looked = datetime(2026, 1, 1, tzinfo=UTC)
    with db() as session:
        case_id = session.scalar(select(Notice.case_id).where(Notice.external_id == "LOOK-1"))
        contact = select(Deadline).where(Deadline.case_id == case_id, Deadline.kind == "first_contact")
        session.scalar(contact).passed_checked_at = looked
        before = session.scalar(contact).due_at
    second = notice_body({"tenants": [{"name": "Anna Andersson", "personal_identity_number": pin}],
                          "household": {"consent": True, "children_under_18": 0, "residents_65_or_older": 1}},
                         external_id="LOOK-2")
    if not set_wise:
        monkeypatch.setattr(bulk, "receive_many", lambda *args, **kwargs: None)
    answer = client.post(BATCH, json={"notices": [second]}, headers=landlord.headers)
    assert answer.json()["results"][0]["status"] == 201
    with db() as session:
        assert session.scalar(select(Notice.case_id).where(Notice.external_id == "LOOK-2")) == case_id
        tightened = session.scalar(contact)
        assert tightened.due_at < before and tightened.passed_checked_at is None
        due_at = tightened.due_at
    assert sweep(sessions, now=lambda: due_at + timedelta(minutes=2)).missed == 1
    with db() as session:
        assert session.scalar(contact).status == "missed"
