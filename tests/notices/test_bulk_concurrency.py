"""Two batches racing on the same notices store each notice exactly once (the set-wise writer).

The bulk writer inserts a batch's notices in one statement; the unique constraints decide a
race. The batch that loses gets a unique violation, rolls its savepoint back and takes its
items one by one (`app/notices/api.py: process_batch`), which replays what the winner stored.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import text

from app.db_loop import waiting_off_loop
from app.notices import bulk, bulk_write, groups
from app.security import service as accounts
from tests.conftest import IS_POSTGRES
from tests.notices.conftest import BATCH, NOTICES, notice_body, personnummer
from tests.notices.test_idempotency import fire_together, live_server

PARALLEL = 3
ITEMS = 12


def _items() -> list[dict]:
    return [notice_body({"tenants": [{"name": "Anna Andersson",
                                      "personal_identity_number": personnummer(date(1970 + i, 3, 3), serial=300 + i)}],
                         "property.apartment_number": f"{1100 + i}"}, external_id=f"RACE-BATCH-{i}")
            for i in range(ITEMS)]


def _keys(db, settings, landlord, count: int) -> list[str]:
    """A key of its own for each sender (the landlord's systems): one key's use is one row to update."""
    with db() as session:
        return [landlord.key] + [accounts.create_landlord_key(session, settings, org_number=landlord.org_number).plaintext
                                 for _ in range(count - 1)]


def _race_after_look_up(monkeypatch, parties: int) -> None:
    """PostgreSQL: every sender has looked up its notices (none stored yet) before any writes — a real
    race. (SQLite's single writer runs them one after the other: no race to lose.)"""
    if not IS_POSTGRES:
        return
    looked_up = threading.Barrier(parties)
    original = bulk._look_up

    def look_up(*args):
        found = original(*args)
        waiting_off_loop(looked_up.wait, 20)  # a notice sent alone runs on the event loop
        return found

    monkeypatch.setattr(bulk, "_look_up", look_up)


# In parts too: on PostgreSQL a loser's first part then fails when its INSERT, sent ahead in a pipeline,
# is read (`bulk_write.Writer.wait`), as SQLAlchemy's IntegrityError all the same.
@pytest.mark.parametrize("part_size", [None, 4], ids=["one-part", "parts-of-4"])
def test_racing_batches_store_each_notice_once_and_replay_it_to_the_others(app, landlord, db, settings, caplog, monkeypatch,
                                                                            part_size):
    if part_size is not None:
        monkeypatch.setattr(bulk_write, "PART_SIZE", part_size)
    items = _items()
    keys = _keys(db, settings, landlord, PARALLEL)
    _race_after_look_up(monkeypatch, PARALLEL)
    with live_server(app) as url:
        answers = fire_together(url, PARALLEL, lambda http, i: http.post(
            BATCH, json={"notices": items}, headers={"Authorization": f"Bearer {keys[i]}"}))

    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    for index in range(ITEMS):
        results = [a.json()["results"][index] for a in answers]
        statuses = sorted(r["status"] for r in results)
        assert statuses == [200] * (PARALLEL - 1) + [201], (index, results)
        assert len({r["receipt"]["id"] for r in results}) == 1
        assert all(r["receipt"] == results[0]["receipt"] for r in results)
    with db() as session:
        counts = {table: session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
                  for table in ("notices", "tenants", "cases")}
        audited = session.execute(text("SELECT COUNT(*) FROM audit_events WHERE action = 'notice.create'")).scalar()
    assert counts == {"notices": ITEMS, "tenants": ITEMS, "cases": ITEMS}
    assert audited == ITEMS
    if IS_POSTGRES:  # the losers wrote nothing set-wise and took their items one by one
        lost = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "batch_chunk_one_by_one"]
        assert len(lost) == PARALLEL - 1 and all(m["error"] == "IntegrityError" for m in lost), lost


@pytest.mark.parametrize("with_key", [False, True])
def test_racing_single_notices_store_one_and_replay_it_to_the_other(app, landlord, db, settings, caplog, monkeypatch,
                                                                     with_key):
    """A notice sent alone goes through the set-wise writer too, without a savepoint: the loser of
    a real race (both past the look-up, neither stored) rolls its transaction back and replays."""
    body = notice_body(external_id=f"RACE-ALONE-{with_key}")
    keys = _keys(db, settings, landlord, 2)
    # Each in a group of its own, both at once: two transactions racing. (Waiting together they
    # would be one group, one transaction: no race, `test_notice_groups.py`.)
    monkeypatch.setattr(groups, "MIN_OVERLAPPING", 1)
    idempotency = {"Idempotency-Key": "race-alone/1"} if with_key else {}
    _race_after_look_up(monkeypatch, 2)
    with live_server(app) as url:
        answers = fire_together(url, 2, lambda http, i: http.post(
            NOTICES, json=body, headers={"Authorization": f"Bearer {keys[i]}", **idempotency}))

    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert {a.headers["Location"] for a in answers} == {f"/api/v1/notices/{answers[0].json()['id']}"}
    with db() as session:
        stored = session.execute(text("SELECT COUNT(*) FROM notices WHERE external_id = :e"),
                                 {"e": body["external_id"]}).scalar()
        audited = session.execute(text("SELECT COUNT(*) FROM audit_events WHERE action = 'notice.create'")).scalar()
    assert stored == 1 and audited == 1
    if IS_POSTGRES:
        lost = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "batch_chunk_one_by_one"]
        assert [m["error"] for m in lost] == ["IntegrityError"], lost
