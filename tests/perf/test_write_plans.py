"""The statements a notice sent alone writes with are planned once per connection, not each time.

psycopg prepares a statement that runs often; PostgreSQL then tries five custom plans and keeps a
generic one if it is no costlier. A statement whose generic plan looks costlier is planned afresh on
every run: the case number's `generate_series(1, $1)`, whose count PostgreSQL guesses at a thousand
rows, was planned for each notice (a notice sent alone now takes its number in its rows' statement). (The look-ups are planned each time on purpose and never
prepared: `tests/perf/test_lookup_plans.py`.) Plans counted by PostgreSQL, not timings.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import make_engine
from app.main import create_app
from app.security import apikeys
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL
from tests.notices.conftest import NOW, notice_body

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's prepared statements and plans")

# psycopg prepares a statement on its sixth run; PostgreSQL then tries five custom plans of one with
# parameters before it keeps a generic one: 20 notices leave room past both.
NOTICES = 20
CUSTOM_PLANS_BEFORE_CHOOSING = 5  # PostgreSQL's plan cache tries this many before a generic plan


def test_every_prepared_statement_of_single_notices_settles_on_one_generic_plan(settings, landlord):
    own = make_engine(TEST_DATABASE_URL, pool_size=1, max_overflow=0)  # one connection: its statements
    app = create_app(settings, engine=own)
    app.state.clock = lambda: NOW
    app.state.key_cache = apikeys.KeyCache(clock=lambda: 0.0)
    with TestClient(app) as client:
        for i in range(NOTICES):
            body = notice_body({"property.coordinates": None, "tenants": [{"name": "Anna Andersson"}],
                                "household": None}, external_id=f"PLANS-{i}")
            assert client.post("/api/v1/notices", json=body, headers=landlord.headers).status_code == 201
        with own.connect() as connection:  # the pool's one connection, the notices' own
            plans = connection.execute(text(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")).all()
    own.dispose()

    by_statement = {" ".join(statement.split()): (generic, custom) for statement, generic, custom in plans}
    # Prepared: a notice sent alone takes its case's number in its rows' one statement.
    case_numbers = [s for s in by_statement if s.startswith("WITH case_number AS (INSERT INTO case_numbers")]
    assert len(case_numbers) == 1, by_statement
    replanned = {s[:80]: counts for s, counts in by_statement.items() if counts[1] > CUSTOM_PLANS_BEFORE_CHOOSING}
    assert replanned == {}, replanned
    assert by_statement[case_numbers[0]][0] >= 1  # its generic plan in use
