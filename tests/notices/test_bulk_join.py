"""The stored cases a batch's notices join (`app/notices/bulk_join.py`): read as the ORM reads them,
only while open, and locked (PostgreSQL) until the batch commits.

That a join writes the same rows as the one-notice path is `test_bulk_equivalence.py`'s proof."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from app.cases import plan
from app.cases.models import Case
from app.notices import bulk_join
from app.notices.models import Notice
from tests.conftest import IS_POSTGRES
from tests.notices.conftest import NOTICES, notice_body, personnummer

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


def test_a_stored_case_is_read_as_the_orm_reads_it(client, landlord, db):
    case_id = _stored_case(client, landlord, db)
    with db() as session:
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
        # The rules see the same case: nothing to change, and nothing the writer would write.
        assert plan.reassessment(draft) == plan.reassessment(case)
        assert bulk_join.changed([draft]) == [] and bulk_join.moved([draft]) == []


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
