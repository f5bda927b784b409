"""The batch's look-ups keep an index plan when PostgreSQL plans them for a small table.

psycopg prepares a statement that runs often, and PostgreSQL then keeps one generic plan for it
until the table's statistics are renewed (autovacuum's ANALYZE). A plan made while `notices` was
small and kept while it grew (autovacuum off, a restored dump, the first minute of a burst) must
not read the whole table per notice: the tenancy look-up as an EXISTS became a hash of every
notice (3.9 ms at 4,000 notices, growing with the table). Plans, not timings: the generic plan is
asked for outright (`plan_cache_mode = force_generic_plan`) on the tests' small table.
"""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy.dialects import postgresql

from app.cases.matching import people_seen_query, tenancies_seen_query
from app.notices.bulk_sql import stored_notice_query
from tests.conftest import IS_POSTGRES
from tests.notices.conftest import NOW, notice_body

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's generic plans")

# A literal for each of the look-ups' parameters, as EXECUTE passes them.
LITERALS = {
    "tenancy_keys": "ARRAY['a-tenancy', 'another']",
    "pin_hashes": "ARRAY['a-person', 'another']",
    "external_ids": "ARRAY['EXT-1', 'EXT-2']",
    "since": "now() - interval '90 days'",
    "landlord_id": f"'{uuid.uuid4()}'",
    "test": "false",
}


def generic_plan(session, statement) -> str:
    """EXPLAIN of `statement`'s generic plan, its parameters in order of first use."""
    sql = str(statement.compile(dialect=postgresql.dialect()))
    names: list[str] = []

    def placeholder(match: re.Match) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    prepared = re.sub(r"%\((\w+)\)s", placeholder, sql)
    driver = session.connection().connection.driver_connection
    name = f"plan_{uuid.uuid4().hex}"
    driver.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    driver.execute(f"PREPARE {name} AS {prepared}")
    arguments = ", ".join(LITERALS.get(n, "1") for n in names)  # a LIMIT's parameter: 1
    rows = driver.execute(f"EXPLAIN EXECUTE {name}({arguments})").fetchall()
    driver.execute(f"DEALLOCATE {name}")
    return "\n".join(row[0] for row in rows)


@pytest.fixture
def a_few_notices(client, landlord, app):
    app.state.clock = lambda: NOW
    for i in range(5):
        body = notice_body({"property.coordinates": None, "tenants": [{"name": "Anna Andersson"}],
                            "household": None}, external_id=f"PLAN-{i}")
        assert client.post("/api/v1/notices", json=body, headers=landlord.headers).status_code == 201


def test_the_tenancy_look_up_probes_the_index_whatever_the_tables_size(db, a_few_notices):
    statement, _ = tenancies_seen_query("postgresql", {"a-tenancy"}, NOW)
    with db() as session:
        plan = generic_plan(session, statement)
    assert "Index" in plan, plan
    assert "Hash" not in plan and "Seq Scan on notices" not in plan, plan


def test_the_stored_notice_look_up_probes_the_unique_index(db, a_few_notices):
    statement, _ = stored_notice_query("postgresql", uuid.uuid4(), False, ["EXT-1"], None)
    with db() as session:
        plan = generic_plan(session, statement)
    assert "Index" in plan, plan
    assert "Hash" not in plan and "Seq Scan on notices" not in plan, plan


def test_the_people_look_up_probes_the_index(db, a_few_notices):
    statement, _ = people_seen_query("postgresql", {"a-person"})
    with db() as session:
        plan = generic_plan(session, statement)
    assert "Index" in plan, plan
    assert "Hash" not in plan and "Seq Scan on tenants" not in plan, plan
