"""Migrations keep the data they move: a table re-created by a batch migration on SQLite keeps the
rows that refer to it (with foreign keys on, dropping the old table would cascade to them)."""

from __future__ import annotations

import sqlite3
import uuid

from app import migrate


def test_upgrading_sqlite_through_the_test_key_revision_keeps_a_notices_tenants_and_events(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url, "0006")
    landlord, notice = uuid.uuid4().hex, uuid.uuid4().hex
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("INSERT INTO landlords (id, name, org_number, created_at) VALUES (?, 'L', '5560359555', "
                   "'2026-11-01 00:00:00.000000')", (landlord,))
        db.execute("INSERT INTO notices (id, landlord_id, external_id, body_hash, kind, sent_on, received_at, status, "
                   "postal_code, routing) VALUES (?, ?, 'X-1', 'h', 'rent_arrears', '2026-11-01', "
                   "'2026-11-01 00:00:00.000000', 'received', '11846', '{}')", (notice, landlord))
        db.execute("INSERT INTO tenants (id, notice_id, position, name) VALUES (?, ?, 0, 'Anna')",
                   (uuid.uuid4().hex, notice))
        db.execute("INSERT INTO notice_events (id, notice_id, type, occurred_on, dedup_key, body_hash, created_at) "
                   "VALUES (?, ?, 'rent_paid', '2026-11-02', 'k', 'h', '2026-11-02 00:00:00.000000')",
                   (uuid.uuid4().hex, notice))
    migrate.upgrade(url)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM tenants").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM notice_events").fetchone() == (1,)
        assert db.execute("SELECT external_id, test FROM notices").fetchall() == [("X-1", 0)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
