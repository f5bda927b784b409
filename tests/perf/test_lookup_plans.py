"""The batch's look-ups are planned for the tables as they are, each time they run.

psycopg prepares a statement that runs often, and PostgreSQL then keeps one generic plan for it
until the tables' statistics change. A plan made while `notices` and `tenants` were small and kept
while they grew (autovacuum behind or off, a restored dump, a burst into a new installation) read
the whole table per notice: the tenancy look-up hashed every notice (4–5 ms a notice at 2,500).
So the look-ups go unprepared (`app/sql.py: planned_each_time`), and a fresh plan sees the tables'
present size. Plans and prepared statements, not timings.
"""

from __future__ import annotations

import uuid

import pytest

from app.cases.matching import people_seen_query, tenancies_seen_query
from app.notices.bulk_sql import stored_notice_query
from app.sql import _compiled, fetch_together, send
from tests.conftest import IS_POSTGRES
from tests.notices.conftest import NOW, notice_body

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's prepared statements and plans")

RUNS = 8  # more than psycopg's prepare_threshold (5): a statement it would prepare, it has by then


def look_ups(landlord_id):
    return [stored_notice_query("postgresql", landlord_id, False, ["EXT-1", "EXT-2"]),
            stored_notice_query("postgresql", landlord_id, False, ["EXT-3"], ["key-1", "key-2"]),  # sent alone, keyed
            people_seen_query("postgresql", {"a-person", "another"}),
            tenancies_seen_query("postgresql", {"a-tenancy", "another"}, NOW)]


def prepared(session) -> list[str]:
    driver = session.connection().connection.driver_connection
    return [row[0] for row in driver.execute("SELECT statement FROM pg_prepared_statements").fetchall()]


def test_the_look_ups_are_never_prepared(db):
    control = tenancies_seen_query("postgresql", {"a-tenancy"}, NOW)[0].execution_options(varsel_planned_each_time=False)
    with db() as session:
        for _ in range(RUNS):
            fetch_together(session, [*look_ups(uuid.uuid4()), (control, {"tenancy_keys": ["a"], "since": NOW})])
        statements = prepared(session)
    # The same statement, not marked, is prepared by then: the test sees what psycopg prepares.
    assert any("tenancy_key" in s for s in statements), statements
    assert not any("external_id" in s or "pin_hash" in s for s in statements), statements
    assert sum("tenancy_key" in s for s in statements) == 1, statements


@pytest.fixture
def grown_tables(client, landlord, app, db):
    """Five notices, analyzed; then 2,000 more notices with a person and an Idempotency-Key each that the
    statistics do not know."""
    app.state.clock = lambda: NOW
    for i in range(5):
        body = notice_body({"property.coordinates": None, "tenants": [{"name": "Anna Andersson"}],
                            "household": None}, external_id=f"PLAN-{i}")
        assert client.post("/api/v1/notices", json=body, headers=landlord.headers).status_code == 201
    with db() as session:
        driver = session.connection().connection.driver_connection
        driver.execute("ANALYZE notices, tenants, cases")
        driver.execute(
            "INSERT INTO notices SELECT (jsonb_populate_record(NULL::notices, to_jsonb(n) || jsonb_build_object("
            "'id', gen_random_uuid(), 'external_id', 'GROWN-' || g || '-' || n.external_id,"
            "'idempotency_key', 'GROWN-KEY-' || g || '-' || n.external_id,"
            "'tenancy_key', md5(g || n.external_id)))).* FROM notices n CROSS JOIN generate_series(1, 400) g")
        driver.execute("INSERT INTO tenants (id, notice_id, position, name, pin_hash) SELECT gen_random_uuid(), id, 0, "
                       "'Anna Andersson', md5(id::text) FROM notices WHERE external_id LIKE 'GROWN-%'")
        session.commit()


def explain(connection, statement, parameters) -> str:
    """The plan of a look-up as `fetch_together` sends it: unprepared, so planned with its values,
    for the tables as they are."""
    sql, defaults = _compiled(statement, connection.dialect)
    return "\n".join(row[0] for row in send(connection, f"EXPLAIN {sql}", defaults, parameters,
                                            prepare=False).fetchall())


def test_after_the_tables_grew_the_look_ups_use_their_indexes(db, grown_tables, landlord):
    with db() as session:
        connection = session.connection()
        # The landlord's own notices: those the probe must not walk.
        stored, keyed, *others = look_ups(landlord.id)
        plan = explain(connection, *stored)
        # One probe of the unique index per external_id — not the landlord's notices walked with
        # the external_id as a filter, which an index on (landlord_id, …) alone would also give.
        assert any("Index Cond" in line and "external_id" in line for line in plan.splitlines()), plan
        assert "Filter" not in plan, plan
        # Notices sent alone with their keys (a group's): the keys probed in the key's index too.
        plan = explain(connection, *keyed)
        assert any("Index Cond" in line and "external_id" in line for line in plan.splitlines()), plan
        assert any("Index Cond" in line and "idempotency_key" in line for line in plan.splitlines()), plan
        assert "Filter" not in plan, plan
        for statement, parameters in others:
            plan = explain(connection, statement, parameters)
            assert "Index" in plan, plan
            assert "Seq Scan on notices" not in plan and "Seq Scan on tenants" not in plan, plan


def test_a_look_up_by_external_id_can_never_take_the_idempotency_keys_index(db, landlord):
    """Both unique indexes begin with (landlord_id, test). With the statistics missing (a new
    installation's first burst, autovacuum not yet round) PostgreSQL found the Idempotency-Key's
    as cheap as the external_id's and took it, walking the landlord's every notice per external_id
    (a batch of 500 at 1,500 notices: 69 ms). The key's index holds only the notices sent with a
    key, so a look-up that names no key cannot use it: here, with the other indexes that begin with
    landlord_id gone (in a transaction rolled back) and sequential scans off, the planner still does
    not take it. (The landlord's list, `ix_notices_landlord_received`, is the other index a probe
    could walk so; it stays, for the list.)"""
    with db() as session:
        connection = session.connection()
        driver = connection.connection.driver_connection
        driver.execute("ALTER TABLE notices DROP CONSTRAINT uq_notices_landlord_id_test_external_id")
        driver.execute("DROP INDEX ix_notices_landlord_received")
        driver.execute("SET LOCAL enable_seqscan = off")
        plan = explain(connection, *look_ups(landlord.id)[0])
        session.rollback()
    assert "idempotency_key" not in plan, plan
