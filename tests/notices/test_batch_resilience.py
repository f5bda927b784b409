"""A batch under failure and contention (issue #11, items 11 and 12).

- An item that fails for an unexpected reason is its own 500 (with the request id);
  the other items are stored, and nothing of the failed one is (both databases).
- On SQLite a batch commits in chunks, so another writer gets in between them;
  on PostgreSQL it stays one transaction.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from app.notices import api as notices_api
from app.notices import bulk, service
from notifications.models import OutboxMessage
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL
from tests.notices.conftest import BATCH, PROBLEM_BASE, break_batch_rows_of, count_rows, notice_body

BAD = "B-BAD"


def _items(*external_ids: str) -> list[dict]:
    return [notice_body({"tenants[0].personal_identity_number": None}, external_id=e) for e in external_ids]


def _stored_external_ids(db) -> list[str]:
    with db() as session:
        return sorted(session.execute(text("SELECT external_id FROM notices")).scalars())


def _fail_for_bad(monkeypatch, name: str, *, after: bool = False, error: Exception | None = None) -> None:
    """Make `<name>` raise for the notice with external_id BAD (before or after doing its work).

    Both paths of a batch have the step: the one-notice path (`service`) and the set-wise
    writer (`bulk`, which gives the chunk back to the one-notice path when an item fails)."""
    for module in (service, bulk):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, _failing(getattr(module, name), after=after, error=error))


def _failing(original, *, after: bool, error: Exception | None):
    def failing(session, ctx, body_or_notice, *args, **kwargs):
        external_id = getattr(body_or_notice, "external_id", None)
        if external_id == BAD and not after:
            raise error or RuntimeError("boom for Anna Andersson 19850412-1230")
        result = original(session, ctx, body_or_notice, *args, **kwargs)
        if external_id == BAD and after:
            raise error or RuntimeError("boom for Anna Andersson 19850412-1230")
        return result

    return failing


def _assert_only_the_bad_item_failed(answer, db, caplog) -> None:
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [201, 500, 201]
    problem = results[1]["problem"]
    assert problem["type"] == PROBLEM_BASE + "internal"
    assert problem["status"] == 500
    assert problem["request_id"] == answer.headers["x-request-id"]
    assert results[1].get("receipt") is None
    assert _stored_external_ids(db) == ["B-1", "B-3"]
    counts = count_rows(db, "notices", "tenants", "cases", "audit_events")
    assert counts == {"notices": 2, "tenants": 2, "cases": 2, "audit_events": 2}
    # Logged with the request id, the item's index and where it failed, but no personal data.
    failures = [r for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "batch_item_failed"]
    assert len(failures) == 1
    logged = failures[0].msg
    assert logged["request_id"] == answer.headers["x-request-id"] and logged["index"] == 1
    assert "Anna" not in str(logged) and "19850412" not in str(logged) and "boom" not in str(logged)
    assert not [r for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "unhandled_error"]


def test_an_item_failing_before_it_stores_anything(client, landlord, db, monkeypatch, caplog):
    _fail_for_bad(monkeypatch, "_open_or_join_case")
    answer = client.post(BATCH, json={"notices": _items("B-1", BAD, "B-3")}, headers=landlord.headers)
    _assert_only_the_bad_item_failed(answer, db, caplog)


def test_an_item_failing_after_its_notice_and_case_were_flushed(client, landlord, db, monkeypatch, caplog, make_user):
    make_user("h1", "handler", "sodermalm", email="h1@stad.example")
    # The failing item is the first to open a case this hour: its digest is rolled back with it,
    # and the next item must enqueue the digest again.
    _fail_for_bad(monkeypatch, "_enqueue_messages", after=True)
    items = _items("B-1", BAD, "B-3")
    items[0]["property"]["postal_code"] = "111 52"  # unrouted: opens no district digest
    items[0]["property"]["coordinates"] = None
    answer = client.post(BATCH, json={"notices": items}, headers=landlord.headers)
    _assert_only_the_bad_item_failed(answer, db, caplog)
    with db() as session:
        digests = session.query(OutboxMessage).filter(OutboxMessage.template == "new_cases_digest").all()
        letters = session.query(OutboxMessage).filter(OutboxMessage.template == "tenant_redemption_letter").all()
    assert [m.recipient for m in digests] == ["h1@stad.example"]
    assert len(letters) == 1  # B-3's; B-1 is unrouted, BAD was rolled back


def test_an_item_whose_statement_fails_in_the_database(client, landlord, db, monkeypatch, caplog):
    original = service._store

    def store_without_kind(session, ctx, body, *args):
        notice = original(session, ctx, body, *args)
        if body.external_id == BAD:
            notice.kind = None  # NOT NULL: the INSERT fails in the database itself
        return notice

    monkeypatch.setattr(service, "_store", store_without_kind)
    break_batch_rows_of(monkeypatch, BAD)  # the same fault in the set-wise writer's row
    answer = client.post(BATCH, json={"notices": _items("B-1", BAD, "B-3")}, headers=landlord.headers)
    _assert_only_the_bad_item_failed(answer, db, caplog)


def test_an_item_whose_first_query_fails(client, landlord, db, monkeypatch, caplog):
    # On PostgreSQL a failed statement ends the transaction unless a savepoint was begun before it.
    for module in (service, bulk):  # the one-notice path's look-up, and the set-wise writer's
        original = module._existing

        def existing(session, landlord_id, external_id, key, *rest, original=original):
            if external_id == BAD:
                session.execute(text("SELECT * FROM no_such_table"))
            return original(session, landlord_id, external_id, key, *rest)

        monkeypatch.setattr(module, "_existing", existing)
    answer = client.post(BATCH, json={"notices": _items("B-1", BAD, "B-3")}, headers=landlord.headers)
    _assert_only_the_bad_item_failed(answer, db, caplog)


def test_a_retried_batch_stores_the_failed_item_once_the_fault_is_gone(client, landlord, db, monkeypatch):
    _fail_for_bad(monkeypatch, "_open_or_join_case")
    first = client.post(BATCH, json={"notices": _items("B-1", BAD, "B-3")}, headers=landlord.headers)
    assert [r["status"] for r in first.json()["results"]] == [201, 500, 201]
    monkeypatch.undo()
    again = client.post(BATCH, json={"notices": _items("B-1", BAD, "B-3")}, headers=landlord.headers)
    assert [r["status"] for r in again.json()["results"]] == [200, 201, 200]
    assert _stored_external_ids(db) == ["B-1", "B-3", BAD]


# --------------------------------------------------------------------------- transactions per batch

def _sqlite_path() -> str:
    return TEST_DATABASE_URL.removeprefix("sqlite:///")


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite's single writer")
def test_on_sqlite_a_batch_commits_in_chunks_and_lets_another_writer_in(client, landlord, monkeypatch):
    monkeypatch.setattr(notices_api, "SQLITE_PAUSE_SECONDS", 0)
    seen: dict[str, object] = {}
    original = notices_api._parse_item

    def parse(item):
        external_id = item["external_id"]
        if external_id in ("C-10", "C-25"):
            other = sqlite3.connect(_sqlite_path(), timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")  # the write lock, with no waiting at all
                seen[external_id] = other.execute("SELECT COUNT(*) FROM notices").fetchone()[0]
                other.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                seen[external_id] = str(exc)
            finally:
                other.close()
        return original(item)

    monkeypatch.setattr(notices_api, "_parse_item", parse)
    items = _items(*[f"C-{i}" for i in range(30)])
    answer = client.post(BATCH, json={"notices": items}, headers=landlord.headers)
    assert [r["status"] for r in answer.json()["results"]] == [201] * 30
    # Inside a chunk the batch holds the lock; between chunks another writer gets it and sees the 25 stored.
    assert seen == {"C-10": "database is locked", "C-25": notices_api.SQLITE_CHUNK}


@pytest.mark.postgres_only
def test_on_postgresql_a_batch_is_one_transaction(client, landlord, monkeypatch, engine):
    seen: dict[str, int] = {}
    original = notices_api._parse_item

    def parse(item):
        if item["external_id"] == "C-25":
            with engine.connect() as other:
                seen["C-25"] = other.execute(text("SELECT COUNT(*) FROM notices")).scalar_one()
        return original(item)

    monkeypatch.setattr(notices_api, "_parse_item", parse)
    answer = client.post(BATCH, json={"notices": _items(*[f"C-{i}" for i in range(30)])}, headers=landlord.headers)
    assert [r["status"] for r in answer.json()["results"]] == [201] * 30
    assert seen == {"C-25": 0}  # nothing committed until the batch is done
