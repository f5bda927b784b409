"""Notices sent alone at the same moment are written together, each answered as if it had been alone.

`app/notices/groups.py`: on PostgreSQL a landlord's notices sent alone while others are being written
share one transaction (group commit). Here the groups are made deterministic: `NoticeGroups.held`
keeps every notice waiting until all of them are queued, then they go as one group.
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from sqlalchemy import select, text

from app.cases.models import Case
from app.notices import bulk, groups, service
from app.notices.models import Notice
from app.security.models import AuditEvent
from notifications.models import OutboxMessage
from tests.conftest import IS_POSTGRES
from tests.notices.conftest import NOTICES, SOLNA_POSTAL_CODE, assert_problem, notice_body
from tests.test_db_loop import _run_within

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="notices are grouped on PostgreSQL only")

CHILDREN = {"children_under_18": 2, "residents_65_or_older": 0, "consent": True}


def _send_as_one_group(app, landlord, bodies: list[dict], *, hold: bool = True,
                       keys: list[str | None] | None = None) -> list[httpx.Response]:
    """Each body in a request of its own, from a client address of its own (10.0.0.<n>), all queued
    before any group starts: one group. `keys`: each request's Idempotency-Key, if any."""
    headers = [{**landlord.headers, **({"Idempotency-Key": key} if key else {})}
               for key in (keys or [None] * len(bodies))]
    notice_groups = app.state.notice_groups

    async def main() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(f"10.0.0.{n + 1}", 4000)),
                                         base_url="http://varsel") for n in range(len(bodies))]
            try:
                async with notice_groups.held() if hold else _nothing():
                    sent = [asyncio.ensure_future(client.post(NOTICES, json=body, headers=sent_with))
                            for client, body, sent_with in zip(clients, bodies, headers, strict=True)]
                    while hold and sum(len(queue) for queue in notice_groups.queues.values()) < len(bodies):
                        await asyncio.sleep(0.01)
                return list(await asyncio.gather(*sent))
            finally:
                for client in clients:
                    await client.aclose()

    return _run_within(60, main)


def _groups(app) -> tuple[int, int]:
    """How many groups were written, and how many notices they held (`varsel_notice_group_size`)."""
    samples = {sample.name: sample.value for sample in app.state.metrics.notice_groups.collect()[0].samples}
    return int(samples.get("varsel_notice_group_size_count", 0)), int(samples.get("varsel_notice_group_size_sum", 0))


class _nothing:
    async def __aenter__(self):
        return None

    async def __aexit__(self, *_):
        return None


def test_notices_sent_at_once_are_written_as_one_group_and_each_answered_as_alone(app, landlord, db):
    # Five households: five cases.
    bodies = [notice_body({"property.apartment_number": f"{1300 + n}", "tenants": [{"name": f"Hyresgäst {n}"}]},
                          external_id=f"GROUP-{n}") for n in range(5)]

    answers = _send_as_one_group(app, landlord, bodies)

    assert _groups(app) == (1, 5)
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    assert [a.json()["external_id"] for a in answers] == [f"GROUP-{n}" for n in range(5)]
    assert [a.headers["Location"] for a in answers] == [f"/api/v1/notices/{a.json()['id']}" for a in answers]
    with db() as session:
        stored = {n.external_id: n for n in session.scalars(select(Notice))}
        audited = {row.object_id: row for row in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "notice.create"))}
        numbers = sorted(session.scalars(select(Case.number)))
    assert sorted(stored) == sorted(f"GROUP-{n}" for n in range(5))
    assert len(numbers) == len(set(numbers)) == 5 and all(re.fullmatch(r"2026-\d{6}", n) for n in numbers)
    # Each notice's audit row names its own request and its own client, not the group's first.
    for n, answer in enumerate(answers):
        row = audited[answer.json()["id"]]
        assert row.request_id == answer.headers["x-request-id"]
        assert row.ip == f"10.0.0.{n + 1}"
    assert len({row.request_id for row in audited.values()}) == 5
    # The receipt is the one the notice's own page gives.
    with db() as session:
        for answer in answers:
            notice = session.get(Notice, stored[answer.json()["external_id"]].id)
            assert service.receipt(notice) == answer.json()


def test_a_group_answers_each_notice_its_own_as_a_batch_does_its_items(app, landlord, db):
    """A new notice 201, a stored one's retry 200, the same external_id with another body 409, an
    invalid one 422 — in one group, none of them in another's way."""
    stored = notice_body(external_id="GROUP-STORED")
    first = _send_as_one_group(app, landlord, [stored], hold=False)
    assert first[0].status_code == 201
    invalid = notice_body({"tenants[0].personal_identity_number": "19850412-1231"},  # its checksum is wrong
                          external_id="GROUP-INVALID")
    outside = notice_body({"property.postal_code": SOLNA_POSTAL_CODE, "property.city": "Solna",
                           "property.coordinates": None}, external_id="GROUP-SOLNA")
    bodies = [notice_body(external_id="GROUP-NEW"), stored, notice_body(external_id="GROUP-TWICE"),
              notice_body({"property.apartment_number": "1999"}, external_id="GROUP-TWICE"), invalid, outside]

    answers = _send_as_one_group(app, landlord, bodies)

    assert _groups(app) == (2, 1 + 6)  # the stored notice's group, then this one
    assert [a.status_code for a in answers] == [201, 200, 201, 409, 422, 422], [a.text for a in answers]
    assert answers[1].json() == first[0].json()
    assert answers[3].json()["notice_id"] == answers[2].json()["id"]
    assert {"field": "tenants[0].personal_identity_number", "message": "checksum does not match"} in \
        assert_problem(answers[4], 422, "validation")["errors"]
    assert "Solna" in assert_problem(answers[5], 422, "outside-municipality")["detail"]
    with db() as session:
        external_ids = sorted(session.scalars(select(Notice.external_id)))
        audited = session.execute(text("SELECT COUNT(*) FROM audit_events WHERE action = 'notice.create'")).scalar()
    assert external_ids == ["GROUP-NEW", "GROUP-STORED", "GROUP-TWICE"]
    assert audited == 3


def test_cases_opened_by_one_group_are_numbered_in_its_statement_and_named_so_in_their_messages(
        app, landlord, make_user, db, monkeypatch):
    make_user("jonas", "joint_assessor", "sodermalm", "children_families", email="jonas@stad.example")
    # The group must write them itself: the one-notice path numbers its case otherwise and would hide it.
    monkeypatch.setattr(service, "receive", _not_here)
    bodies = [notice_body({"household": CHILDREN, "property.apartment_number": f"{1400 + n}",
                           "tenants": [{"name": "Anna Andersson"}]}, external_id=f"GROUP-NR-{n}") for n in range(3)]

    answers = _send_as_one_group(app, landlord, bodies)

    assert [a.status_code for a in answers] == [201] * 3, [a.text for a in answers]
    with db() as session:
        cases = [session.get(Case, session.scalar(select(Notice.case_id).where(Notice.external_id == f"GROUP-NR-{n}")))
                 for n in range(3)]
        requests = session.execute(select(OutboxMessage.case_id, OutboxMessage.payload)
                                   .where(OutboxMessage.template == "joint_assessment_request")).all()
        sequence = sorted(session.scalars(text("SELECT id FROM case_numbers")))
        # The order the group took its notices (the order their requests arrived): its audit rows' order.
        taken = session.scalars(text(
            "SELECT c.number FROM audit_events a JOIN notices n ON n.id::text = a.object_id "
            "JOIN cases c ON c.id = n.case_id WHERE a.action = 'notice.create' ORDER BY a.id")).all()
    # One sequence value each, the n-th case taken the n-th value.
    assert taken == [f"2026-{value:06d}" for value in sequence]
    assert sorted(case.number for case in cases) == taken
    assert sorted((case_id, payload["case_number"]) for case_id, payload in requests) == \
        sorted((case.id, case.number) for case in cases)


def test_a_group_that_fails_as_a_whole_leaves_each_notice_to_the_one_notice_path(app, landlord, db, monkeypatch):
    """A group's transaction that fails (here: an unexpected error in the set-wise writer) is rolled
    back; each notice is then taken alone, by its own request, and answered as it would have been."""
    taken = bulk._receive_many
    failed = []

    def fail_once(*args, **kwargs):
        if not failed:
            failed.append(True)
            raise RuntimeError("the group's writer failed")
        return taken(*args, **kwargs)

    monkeypatch.setattr(bulk, "_receive_many", fail_once)
    bodies = [notice_body({"property.apartment_number": f"{1500 + n}"}, external_id=f"GROUP-FAIL-{n}") for n in range(3)]

    answers = _send_as_one_group(app, landlord, bodies, keys=["fail/0", None, "fail/2"])

    assert failed and _groups(app) == (1, 3)
    assert [a.status_code for a in answers] == [201] * 3, [a.text for a in answers]
    with db() as session:
        notices = session.execute(text("SELECT COUNT(*) FROM notices")).scalar()
        keys = dict(session.execute(select(Notice.external_id, Notice.idempotency_key)).all())
        request_ids = sorted(session.scalars(select(AuditEvent.request_id).where(AuditEvent.action == "notice.create")))
    assert notices == 3
    assert keys == {"GROUP-FAIL-0": "fail/0", "GROUP-FAIL-1": None, "GROUP-FAIL-2": "fail/2"}  # each its own key
    assert request_ids == sorted(a.headers["x-request-id"] for a in answers)


def test_a_group_is_at_most_a_batch_part_and_written_in_one_statement(app, landlord, db, monkeypatch):
    """The largest group goes through the set-wise writer in one part, as one statement: the chain's head
    read with it (a second part after it would be refused, and each notice left to the one-notice path)."""
    monkeypatch.setattr(service, "receive", _not_here)
    count = groups.MAX_GROUP + 1
    bodies = [notice_body({"property.apartment_number": f"{2000 + n}", "tenants": [{"name": f"Hyresgäst {n}"}]},
                          external_id=f"GROUP-BIG-{n}") for n in range(count)]

    answers = _send_as_one_group(app, landlord, bodies)

    assert _groups(app) == (2, groups.MAX_GROUP + 1)  # the largest, then the one left over …
    assert [s.value for s in app.state.metrics.notice_groups.collect()[0].samples
            if s.name.endswith("_bucket") and s.labels["le"] == "1.0"] == [1]  # … alone
    assert [a.status_code for a in answers] == [201] * count
    with db() as session:
        assert session.execute(text("SELECT COUNT(DISTINCT number) FROM cases")).scalar() == count


def test_a_notice_with_nothing_in_flight_goes_at_once_by_its_own_request(app, landlord, monkeypatch):
    """A client that sends one notice at a time pays nothing for the groups: no task, no queue."""
    monkeypatch.setattr(groups.NoticeGroups, "_write", _not_here)

    answers = _send_as_one_group(app, landlord, [notice_body(external_id="GROUP-ALONE")], hold=False)

    assert answers[0].status_code == 201, answers[0].text
    assert _groups(app) == (1, 1) and app.state.notice_groups.in_flight == 0


def test_notices_with_idempotency_keys_are_grouped_and_each_key_decides_as_alone(app, landlord, db, monkeypatch):
    """Each notice's own key, the key before the external_id, against the stored notices and against
    the notices before it in the group: what each would have answered sent one after the other."""
    stored = notice_body(external_id="GROUP-K-STORED")
    first = _send_as_one_group(app, landlord, [stored], hold=False, keys=["k/stored"])
    assert first[0].status_code == 201
    monkeypatch.setattr(service, "receive", _not_here)  # the group takes every one of them itself
    new = notice_body({"property.apartment_number": "1601"}, external_id="GROUP-K-NEW")
    bodies = [new,
              new,  # its retry, sent before the first was answered: the same key
              notice_body({"property.apartment_number": "1602"}, external_id="GROUP-K-OTHER"),  # that key again
              stored,  # the stored notice's retry with its key
              notice_body({"property.apartment_number": "1603"}, external_id="GROUP-K-REUSED"),  # the stored key
              notice_body({"property.apartment_number": "1604"}, external_id="GROUP-K-PLAIN")]  # no key

    answers = _send_as_one_group(app, landlord, bodies, keys=["k/new", "k/new", "k/new", "k/stored", "k/stored", None])

    assert _groups(app) == (2, 1 + 6)  # the stored notice's group, then this one
    assert [a.status_code for a in answers] == [201, 200, 409, 200, 409, 201], [a.text for a in answers]
    assert answers[1].json() == answers[0].json()
    assert answers[3].json() == first[0].json()
    for conflict, original in ((answers[2], answers[0]), (answers[4], first[0])):
        problem = assert_problem(conflict, 409, "conflict")
        assert problem["notice_id"] == original.json()["id"] and "Idempotency-Key" in problem["detail"]
    with db() as session:
        keys = dict(session.execute(select(Notice.external_id, Notice.idempotency_key)).all())
        audited = session.execute(text("SELECT COUNT(*) FROM audit_events WHERE action = 'notice.create'")).scalar()
    assert keys == {"GROUP-K-STORED": "k/stored", "GROUP-K-NEW": "k/new", "GROUP-K-PLAIN": None}
    assert audited == 3


def _not_here(*_args, **_kwargs):
    raise AssertionError("the notice was left to the one-notice path")


def test_at_most_in_flight_groups_start_and_the_next_waits_for_company():
    """The start rule on its own: with nothing in flight a notice starts at once; beside a group in flight
    the next starts only once `MIN_OVERLAPPING` wait; never more than `IN_FLIGHT` at once."""
    notice_groups = groups.NoticeGroups(state=None)
    started: list[int] = []

    async def main() -> None:
        async def write(_landlord, group):
            started.append(len(group))
            await asyncio.sleep(3600)

        notice_groups._write = write  # type: ignore[method-assign]
        loop = asyncio.get_running_loop()
        landlord = object()

        def queue(count: int) -> None:
            notice_groups.queues.setdefault(landlord, []).extend(
                groups._Waiting(None, None, None, loop.create_future()) for _ in range(count))  # type: ignore[arg-type]
            notice_groups._start()

        async def settled() -> None:
            await asyncio.sleep(0)  # a started group's task runs

        queue(1)
        await settled()
        assert (started, notice_groups.in_flight) == ([1], 1)
        queue(1)
        await settled()
        assert started == [1]  # alone beside the group in flight: it waits for company
        queue(1)
        await settled()
        assert (started, notice_groups.in_flight) == ([1, 2], 2)
        queue(5)
        await settled()
        assert started == [1, 2] and len(notice_groups.queues[landlord]) == 5  # two in flight: all wait
        for task in list(notice_groups._tasks):
            task.cancel()

    _run_within(10, main)  # not asyncio.run: the suite's browser tests may leave a loop running here
