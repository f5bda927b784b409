"""A case's number: the year in Stockholm and the case-number sequence's value, zero-padded to six digits.

On PostgreSQL a notice sent alone takes its case's number in its rows' one statement
(`app/notices/bulk_sql.py: insert_tables`), where SQL completes it (`plan.case_number_sql`); elsewhere
Python does (`plan.case_number`). Either way the number is the same, and the messages that name the
case name the number its row was written with.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from app.cases import plan
from app.cases.models import Case, CaseNumber
from app.notices import bulk_write, service
from app.notices.models import Notice
from notifications.models import OutboxMessage
from tests.conftest import IS_POSTGRES
from tests.notices.conftest import NOW, notice_body

CHILDREN = {"children_under_18": 2, "residents_65_or_older": 0, "consent": True}


def test_a_notice_sent_alone_names_its_case_by_the_number_its_case_was_written_with(client, landlord, make_user,
                                                                                   db, monkeypatch):
    make_user("jonas", "joint_assessor", "sodermalm", "children_families", email="jonas@stad.example")
    # The set-wise writer must write them itself: a failed statement would leave each notice to the
    # one-notice path, which numbers its case in Python and would hide the failure here.
    monkeypatch.setattr(service, "receive", _not_here)
    drafts = []
    write = bulk_write.write_part
    monkeypatch.setattr(bulk_write, "write_part", lambda session, ctx, part, writer: (
        write(session, ctx, part, writer), drafts.extend(part.plan.cases)))
    for external_id, apartment in (("NR-1", "1101"), ("NR-2", "1202")):  # two households: two cases
        body = notice_body({"household": CHILDREN, "property.apartment_number": apartment,
                            "tenants": [{"name": "Anna Andersson"}]}, external_id=external_id)
        answer = client.post("/api/v1/notices", json=body, headers=landlord.headers)
        assert answer.status_code == 201, answer.text

    with db() as session:
        cases = [session.get(Case, session.scalar(select(Notice.case_id).where(Notice.external_id == e)))
                 for e in ("NR-1", "NR-2")]
        sequence = sorted(session.scalars(select(CaseNumber.id)))
        requests = session.execute(select(OutboxMessage.case_id, OutboxMessage.payload)
                                   .where(OutboxMessage.template == "joint_assessment_request")).all()
        others = session.scalars(select(OutboxMessage.payload)
                                 .where(OutboxMessage.template != "joint_assessment_request")).all()

    assert [case.number for case in cases] == [plan.case_number(NOW, value) for value in sequence]
    assert [draft.number for draft in drafts] == [case.number for case in cases]  # as the statement answered it
    assert all(re.fullmatch(r"2026-\d{6}", case.number) for case in cases)
    # The joint-assessment request of each case names that case's number, as its row holds it …
    assert sorted((case_id, payload["case_number"]) for case_id, payload in requests) == \
        sorted((case.id, case.number) for case in cases)
    # … and a message that names no number (the digest, the tenant's letter) is written as it was planned.
    assert others and not [payload for payload in others if "case_number" in payload]


def _not_here(*_args, **_kwargs):
    raise AssertionError("the notice was left to the one-notice path")


@pytest.mark.skipif(not IS_POSTGRES, reason="the number completed by PostgreSQL's SQL")
@pytest.mark.parametrize("value", [1, 42, 999_999, 1_000_000, 123_456_789])
def test_postgresql_completes_a_number_exactly_as_python_does(engine, value):
    at = datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)  # already the next year in Stockholm
    with engine.connect() as connection:
        completed = connection.scalar(text(
            f"SELECT {plan.case_number_sql('prefix', 'sequence')} "
            "FROM (SELECT CAST(:prefix AS text) AS prefix, CAST(:sequence AS bigint) AS sequence) AS given"),
            {"prefix": plan.case_number_prefix(at), "sequence": value})
    assert completed == plan.case_number(at, value)
    assert completed.startswith("2027-")
