"""The set-wise batch writer (`app/notices/bulk.py`) writes the same rows as the one-notice path.

The same notices — stored ones first, then one varied batch from a real key and one from
a test key — are sent twice: once with the bulk writer turned off (every item through
`service.receive`, one by one), once with it on. Between the runs the database is emptied.
Every row the notices make is compared after normalising what must differ (ids become
names — a notice by its external_id, a case by its notices, a deadline by its case, notice
and kind; instants taken from the real clock become "real-time"): cases, notices,
tenants, deadlines, timers, timeline, joint-assessment parts, outbox and audit rows, and
the answers themselves. The audit chain must hold after each run.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.config import get_settings
from app.main import create_app
from app.notices import api as notices_api
from app.notices import bulk, bulk_write
from app.routing.districts import load_municipality, seed_districts
from app.security import audit
from app.security import service as accounts
from app.db import make_sessionmaker, transaction
from tests.conftest import TEST_PASSWORD, _empty_all_tables
from tests.notices.conftest import BATCH, NOTICES, NOW, disturbance_body, manual_routing_body, notice_body, personnummer

TABLES = {
    "cases": "SELECT * FROM cases",
    "notices": "SELECT * FROM notices",
    "tenants": "SELECT * FROM tenants",
    "deadlines": "SELECT * FROM deadlines",
    "deadline_alerts": "SELECT * FROM deadline_alerts",
    "timeline_events": "SELECT * FROM timeline_events",
    "joint_assessment_parts": "SELECT * FROM joint_assessment_parts",
    "outbox": "SELECT * FROM outbox",
    "audit_events": "SELECT * FROM audit_events",
}
# Columns that differ between two runs of the same notices whatever the path: ids given by
# the database's counters, the instants the real clock gives, keyed or random material.
IGNORED = {"id", "created_at", "next_attempt_at", "requested_at", "request_id", "prev_hash", "row_hash",
           "pin_encrypted", "body_hash"}
REAL_TIME = {"at", "last_activity_at"}  # the pinned clock's instant is kept; any other is "real-time"


def _person(year: int, serial: int) -> str:
    return personnummer(date(year, 4, 12), serial=serial)


def _item(external_id: str, pin: str, *, apartment: str = "1101", street: str = "Götgatan 1", **overrides: Any):
    return notice_body({"tenants": [{"name": "Anna Andersson", "personal_identity_number": pin}],
                        "property.apartment_number": apartment, "property.street_address": street,
                        "household": None, **overrides}, external_id=external_id)


def _stored_first() -> list[dict[str, Any]]:
    """Sent one by one before the batch, a second apart: people's open cases (one a couple's), a
    tenancy's notice, a notice to replay, and a person (C) in two open cases: their own and, through a
    notice naming them with A, A's older one."""
    couple = [{"name": "Erik Ek", "personal_identity_number": _person(1984, 105)},
              {"name": "Frida Ek", "personal_identity_number": _person(1984, 106)}]
    return [
        _item("EQ-STORED-PERSON", _person(1980, 101), apartment="2201"),
        _item("EQ-STORED-TENANCY", _person(1981, 102), apartment="3301", street="Ringvägen 10"),
        _item("EQ-STORED", _person(1982, 103), apartment="4401"),
        _item("EQ-STORED-NORMAL", _person(1983, 104), apartment="5501"),
        _item("EQ-STORED-COUPLE", _person(1984, 105), apartment="6601", tenants=couple),
        _item("EQ-STORED-A", _person(1976, 111), apartment="7701"),
        _item("EQ-STORED-C", _person(1977, 112), apartment="7702"),
        _item("EQ-STORED-CA", _person(1977, 112), apartment="7701",
              tenants=[{"name": "Cilla Carlsson", "personal_identity_number": _person(1977, 112)},
                       {"name": "Anna Andersson", "personal_identity_number": _person(1976, 111)}]),
    ]


def _batch() -> list[Any]:
    children = {"household": {"consent": True, "children_under_18": 2, "residents_65_or_older": 0}}
    seniors = {"household": {"consent": True, "children_under_18": 0, "residents_65_or_older": 1}}
    other_district = {"property.street_address": "Fleminggatan 20", "property.postal_code": "112 26",
                      "property.coordinates": None}
    family = _item("EQ-1", _person(1985, 201), **children)
    return [
        family,                                                    # a new case: children, joint assessment
        _item("EQ-2", _person(1950, 202), apartment="1102"),       # a tenant aged 65+
        {**disturbance_body(external_id="EQ-3"), "tenants": [{"name": "Bo Berg",
                                                            "personal_identity_number": _person(1990, 203)}]},
        {**disturbance_body("disturbance_termination", external_id="EQ-4"),
         "tenants": [{"name": "Cecilia Ceder", "personal_identity_number": _person(1991, 204)}]},
        {**manual_routing_body(external_id="EQ-5"),
         "tenants": [{"name": "Dan Dahl", "personal_identity_number": _person(1992, 205)}]},  # unroutable
        _item("EQ-6", _person(1985, 201), apartment="1103"),       # joins EQ-1's case (same person)
        _item("EQ-7", _person(1986, 206), apartment="1104"),       # a new case, normal priority
        _item("EQ-8", _person(1986, 206), apartment="1104", **seniors),  # joins it: high, first contact tightens
        family,                                                    # EQ-1 again: a replay, 200
        {**family, "termination_on": "2026-11-19"},                # EQ-1 with another body: 409
        {"external_id": "EQ-BAD", "kind": "rent_arrears"},         # invalid: 422 from the schema
        _item("EQ-9", _person(1987, 207), sent_on="2027-01-01"),   # invalid: 422 from the rules
        _stored_first()[2],                                        # a stored notice again: 200
        {**_stored_first()[2], "termination_on": "2026-11-19"},    # a stored notice, another body: 409
        _item("EQ-10", _person(1980, 101), apartment="2202"),      # joins the stored person's case
        _item("EQ-11", _person(1988, 208), apartment="3301", street="Ringvägen 10"),  # tenancy repeat
        _item("EQ-12", _person(1985, 201), **other_district),      # EQ-1's person elsewhere: repeat, new case
        _item("EQ-13", _person(1989, 209), **children),            # a second family: the digest once
        _item("EQ-14", _person(1983, 104), apartment="5501", **seniors),  # joins a stored case: it tightens
        _item("EQ-15", _person(1984, 105), apartment="6601"),      # joins the stored couple's case …
        _item("EQ-16", _person(1984, 106), apartment="6601", **children),  # … and so does the other one
        _item("EQ-17", _person(1977, 112), apartment="7702"),      # C: joins the older of their two cases
    ]


def _test_batch() -> list[Any]:
    return [_item("EQ-T1", _person(1980, 101), apartment="2201"),
            _item("EQ-T2", _person(1985, 201), household={"consent": True, "children_under_18": 1,
                                                          "residents_65_or_older": 0})]


def _run(settings, engine, monkeypatch, *, use_bulk: bool, written: list[Any] | None = None,
         part_size: int | None = None, parts: list[tuple[int, bool]] | None = None,
         ) -> tuple[dict[str, list[str]], list[Any]]:
    parts = parts if parts is not None else []
    _empty_all_tables(engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        seed_districts(session, load_municipality("stockholm"))
        landlord, issued = accounts.create_landlord(session, settings, name="Bostadsbolaget AB",
                                                    org_number="556035-9555")
        test_key = accounts.create_landlord_key(session, settings, org_number="556035-9555", test=True)
        for name, role, district, unit in [("h1", "handler", "sodermalm", None), ("h2", "handler", "kungsholmen", None),
                                           ("ja", "joint_assessor", "sodermalm", "children_families"),
                                           ("je", "joint_assessor", "sodermalm", "elderly_care"),
                                           ("jd", "joint_assessor", "sodermalm", "disability")]:
            accounts.create_user(session, username=name, role=role, password=TEST_PASSWORD, district_code=district,
                                 unit=unit, email=f"{name}@stad.example")
        real, test = issued.plaintext, test_key.plaintext
    monkeypatch.setattr(notices_api, "SQLITE_PAUSE_SECONDS", 0)
    if part_size is not None:
        monkeypatch.setattr(bulk_write, "PART_SIZE", part_size)
    write = bulk_write.write_part

    def counted_write(session, ctx, part, writer=None):
        # Each part's notices, and whether it was planned while the part before was still being written.
        parts.append((len(part.created), writer is not None and writer._pipeline is not None))
        return write(session, ctx, part, writer)

    monkeypatch.setattr(bulk_write, "write_part", counted_write)
    if not use_bulk:
        monkeypatch.setattr(bulk, "receive_many", lambda *args, **kwargs: None)  # every item by the one-notice path
    elif written is not None:  # what each set-wise write answered (None: it failed)
        original = bulk.receive_many
        monkeypatch.setattr(bulk, "receive_many", lambda *args, **kwargs: written.append(
            original(*args, **kwargs)) or written[-1])
    answers: list[Any] = []
    app = create_app(settings, engine=engine)
    app.state.clock = lambda: NOW
    with TestClient(app) as client:
        stored = _stored_first()
        for number, body in enumerate(stored):  # each case opened at its own instant: the oldest is one
            app.state.clock = lambda seconds=len(stored) - number: NOW - timedelta(seconds=seconds)
            answer = client.post(NOTICES, json=body, headers={"Authorization": f"Bearer {real}"})
            answers.append((answer.status_code, answer.json()))
        app.state.clock = lambda: NOW
        for key, items in ((real, _batch()), (test, _test_batch())):
            answer = client.post(BATCH, json={"notices": items}, headers={"Authorization": f"Bearer {key}"})
            answers.append((answer.status_code, answer.json()))
    monkeypatch.undo()
    with transaction(sessions) as session:
        report = audit.verify_chain(session, audit.chain_key(get_settings().secret_key))
        assert report.intact, report.problem
        return _normalised(session), _named(session, answers)


def _labels(session) -> dict[str, str]:
    labels: dict[str, str] = {}
    for row in session.execute(text("SELECT id, code FROM districts")):
        labels[str(row.id)] = f"district:{row.code}"
    for row in session.execute(text("SELECT id, username FROM users")):
        labels[str(row.id)] = f"user:{row.username}"
    for row in session.execute(text("SELECT id, name FROM landlords")):
        labels[str(row.id)] = f"landlord:{row.name}"
    notices = session.execute(text("SELECT id, external_id, test, case_id FROM notices")).all()
    by_case: dict[str, list[str]] = {}
    for row in notices:
        labels[str(row.id)] = f"notice:{row.external_id}:{row.test}"
        by_case.setdefault(str(row.case_id), []).append(row.external_id)
    for case_id, external_ids in by_case.items():
        labels[case_id] = "case:" + "+".join(sorted(external_ids))
    for row in session.execute(text("SELECT id, case_id, notice_id, kind FROM deadlines")):
        labels[str(row.id)] = f"deadline:{labels[str(row.case_id)]}:{labels.get(str(row.notice_id))}:{row.kind}"
    return labels


def _replace(value: str, labels: dict[str, str]) -> str:
    for raw, label in labels.items():  # SQLite keeps a UUID as 32 hex digits, PostgreSQL with dashes
        if raw != "None":
            dashed = str(uuid.UUID(raw))
            value = value.replace(dashed, label).replace(dashed.replace("-", ""), label)
    return value


def _normalised(session) -> dict[str, list[str]]:
    labels = _labels(session)
    out = {}
    for table, query in TABLES.items():
        rows = []
        for row in session.execute(text(query)).mappings():
            kept = {}
            for column, value in row.items():
                if column in IGNORED:
                    continue
                if column in REAL_TIME and value is not None:
                    value = "pinned" if _instant(value) == NOW.replace(tzinfo=None) else "real-time"
                if isinstance(value, str) and value[:1] in "{[":
                    value = json.loads(value)  # SQLite returns JSON columns as text to a raw SELECT
                kept[column] = value
            rows.append(_replace(json.dumps(kept, sort_keys=True, default=str, ensure_ascii=False), labels))
        out[table] = sorted(rows)
    return out


def _instant(value: Any) -> Any:
    if isinstance(value, str):  # SQLite returns text for raw SELECTs
        from datetime import datetime
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(NOW.tzinfo).replace(tzinfo=None)


def _named(session, answers: list[Any]) -> list[Any]:
    """The answers with ids named, and without each request's own id."""
    labels = _labels(session)
    named = _replace(json.dumps(answers, sort_keys=True, ensure_ascii=False), labels)
    return json.loads(named, object_hook=lambda d: {k: v for k, v in d.items() if k != "request_id"})


@pytest.mark.filterwarnings("ignore")
# In parts of one notice too: on PostgreSQL each part's rows are sent while the next is planned
# (`bulk_write.Writer`), with parts cut only where no person spans them — here the batch's cases joined
# in the batch, its stored notices replayed and its second district met in later parts.
@pytest.mark.parametrize("part_size", [None, 1], ids=["parts-of-100", "parts-of-1"])
def test_the_bulk_writer_and_the_one_notice_path_write_the_same_rows(settings, engine, monkeypatch, part_size):
    one_by_one, answers_one = _run(settings, engine, monkeypatch, use_bulk=False)
    written: list[Any] = []
    parts: list[tuple[int, bool]] = []
    set_wise, answers_bulk = _run(settings, engine, monkeypatch, use_bulk=True, written=written,
                                  part_size=part_size, parts=parts)
    written_parts = [sent for created, sent in parts if created]
    if part_size == 1:  # the batch in parts, cut between people, never through one; on PostgreSQL sent ahead
        assert len(written_parts) > len(answers_bulk), parts
        assert sum(written_parts) >= 2 if engine.dialect.name == "postgresql" else not any(written_parts)
    else:
        assert len(written_parts) == len(answers_bulk) and not any(written_parts)  # one part each
    # The set-wise writer took every notice (the single ones too) itself: a write that failed would
    # be taken by the one-notice path and write the same rows, hiding the failure from the comparison.
    assert len(written) == 10 and None not in written
    # … and every notice that joins a stored case too: none was handed back (DEFER) to the one-notice path.
    assert not [index for answers in written for index, result in answers.items() if result is bulk.DEFER]

    for bulk_answer, one_answer in zip(answers_bulk, answers_one, strict=True):
        if "results" in bulk_answer[1]:
            for bulk_result, one_result in zip(bulk_answer[1]["results"], one_answer[1]["results"], strict=True):
                assert bulk_result == one_result
        assert bulk_answer == one_answer
    statuses = [r["status"] for r in answers_bulk[8][1]["results"]]
    assert statuses == [201, 201, 201, 201, 201, 201, 201, 201, 200, 409, 422, 422, 200, 409, 201, 201, 201, 201,
                        201, 201, 201, 201]
    assert [r["status"] for r in answers_bulk[9][1]["results"]] == [201, 201]
    for table in TABLES:
        assert set_wise[table] == one_by_one[table], table
    # The scenario reaches what it is meant to: a case joined in the batch with its first contact
    # tightened, a joint assessment, a tenancy repeat, a stored case joined, no message for test notices.
    timeline = "\n".join(set_wise["timeline_events"])
    assert '"case:EQ-7+EQ-8"' in timeline and "case:EQ-1+EQ-6" in timeline and "case:EQ-10+EQ-STORED-PERSON" in timeline
    assert '"repeat": "tenancy"' in timeline and "joint_assessment_requested" in timeline
    assert any('"vardagar": "1"' in d and "case:EQ-7+EQ-8" in d for d in set_wise["deadlines"])
    # A stored case joined: its first contact tightened (its timers planned again), and a stored couple's
    # case joined by both, the second asking a joint assessment for the children.
    assert any('"vardagar": "1"' in d and "case:EQ-14+EQ-STORED-NORMAL" in d for d in set_wise["deadlines"])
    assert any("joint_assessment_requested" in e and "case:EQ-15+EQ-16+EQ-STORED-COUPLE" in e for e in set_wise["timeline_events"])
    # C's notice joins the older of C's two open cases (A's, which C's notice with A joined), not C's own.
    assert "case:EQ-17+EQ-STORED-A+EQ-STORED-CA" in timeline and "case:EQ-STORED-C\"" in timeline
    assert not [m for m in set_wise["outbox"] if "EQ-T" in m]
    assert sum('"template": "new_cases_digest"' in m for m in set_wise["outbox"]) == 2  # h1 and h2, once each
