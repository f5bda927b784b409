"""`app/sql.py: fetch_together` and `send`: several look-ups in one round trip, straight through the driver.

On PostgreSQL the statements go in one round trip (one message, or a pipeline); on SQLite one after the other
through the session. Either way each query's rows come back in order, by column name, and the
engine's listeners (the statement counts of tests/perf) see every statement.
"""

from __future__ import annotations

import pytest
from sqlalchemy import String, bindparam, cast, event, func, select, text

from app.routing.districts import DISTRICT_ROW, load_municipality, seed_districts
from app.routing.models import District
from app.sql import fetch_together, key_table, key_values, planned_each_time
from tests.conftest import IS_POSTGRES
from tests.support.round_trips import count_round_trips

CODES = select(District.code).where(District.code == bindparam("code"))


def _codes(dialect: str):
    keys = key_table(dialect, "codes")
    return select(keys.c.key.label("asked"), District.name).select_from(keys).outerjoin(
        District, District.code == keys.c.key).order_by(keys.c.key)


def test_each_query_answers_in_order_by_column_name(db):
    with db() as session:
        seed_districts(session, load_municipality("stockholm"))
        dialect = session.get_bind().dialect.name
        sodermalm, nothing, listed = fetch_together(session, [
            (DISTRICT_ROW, {"code": "sodermalm"}),
            (CODES, {"code": "no-such-district"}),
            (_codes(dialect), {"codes": key_values(dialect, ["sodermalm", "nowhere"])}),
        ])
    (row,) = sodermalm
    assert (row.code, row.name) == ("sodermalm", "Södermalm")
    assert row.id is not None
    assert nothing == []
    assert [(r.asked, r.name) for r in listed] == [("nowhere", None), ("sodermalm", "Södermalm")]


def test_every_statement_is_seen_by_the_engines_listeners(db, engine):
    seen: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        with db() as session:
            fetch_together(session, [(CODES, {"code": "a"}), (CODES, {"code": "b"})])
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert len([s for s in seen if "FROM districts" in s]) == 2


@pytest.mark.skipif(not IS_POSTGRES, reason="the pipeline is PostgreSQL's (psycopg)")
def test_on_postgresql_the_queries_go_in_one_round_trip(db, monkeypatch):
    with db() as session:
        driver = session.connection().connection.driver_connection
        syncs = []
        original = type(driver).pipeline

        def counting_pipeline(self, *args, **kwargs):
            syncs.append(1)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(type(driver), "pipeline", counting_pipeline)
        results = fetch_together(session, [(CODES, {"code": "a"}), (CODES, {"code": "b"}), (CODES, {"code": "c"})])
        assert results == [[], [], []]
        assert len(syncs) == 1
        # One statement alone is sent as it is: a pipeline would only add its own work.
        assert fetch_together(session, [(CODES, {"code": "a"})]) == [[]]
        assert len(syncs) == 1


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite expands an IN list as it runs the statement")
def test_a_statement_with_an_expanding_list_is_refused(db):
    listed = select(District.code).where(District.code.in_(bindparam("codes", expanding=True)))
    with db() as session, pytest.raises(AssertionError, match="one parameter"):
        fetch_together(session, [(listed, {"codes": ["a"]})])


def test_the_queries_run_in_the_sessions_transaction(db):
    with db() as session:
        seed_districts(session, load_municipality("stockholm"))
        session.execute(text("UPDATE districts SET name = 'Ny' WHERE code = 'sodermalm'"))
        ((row,),) = fetch_together(session, [(DISTRICT_ROW, {"code": "sodermalm"})])
        assert row.name == "Ny"
        session.rollback()


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite's statements run through the session, which raises its own")
def test_a_failing_statement_is_raised_as_sqlalchemy_raises_it(db):
    # The callers' handling of database errors (a busy database's 503, a batch's fall-back) sees
    # SQLAlchemy's exceptions, whichever way a statement was sent.
    from sqlalchemy.exc import DataError, IntegrityError

    from app.sql import as_sqlalchemy_errors, send

    with db() as session, pytest.raises(DataError):
        fetch_together(session, [(CODES, {"code": "a"}), (text("SELECT 1 / 0"), {})])
    with db() as session:
        seed_districts(session, load_municipality("stockholm"))
    with db() as session, pytest.raises(IntegrityError), as_sqlalchemy_errors():
        connection = session.connection()
        send(connection, "INSERT INTO districts (id, code, name, municipality, valid_from) "
                         "SELECT gen_random_uuid(), code, name, municipality, valid_from FROM districts LIMIT 1",
             {}, {}).fetchall()


ECHO = planned_each_time(select(cast(bindparam("value", type_=String), String).label("value")))
AWKWARD = ["Anna's", "back\\slash", "100 %", "%(value)s", "a; DROP TABLE districts; --", "Åsa Öberg", "tab\there",
           "E'x'", "$$dollar$$", ""]


@pytest.mark.skipif(not IS_POSTGRES, reason="the one message is PostgreSQL's simple protocol")
def test_statements_planned_each_time_go_as_one_message_without_a_pipeline(db, monkeypatch):
    with db() as session:
        seed_districts(session, load_municipality("stockholm"))
        dialect = session.get_bind().dialect.name
        session.connection()  # the transaction begun: its BEGIN is not the look-ups' trip
        trips = count_round_trips(monkeypatch)
        first, listed, second = fetch_together(session, [
            (ECHO, {"value": "one"}),
            (planned_each_time(_codes(dialect)), {"codes": key_values(dialect, ["sodermalm", "nowhere"])}),
            (ECHO, {"value": "two"}),
        ])
        looked_up = list(trips)  # before the commit's own trip
    assert [r.value for r in first] == ["one"] and [r.value for r in second] == ["two"]
    assert [(r.asked, r.name) for r in listed] == [("nowhere", None), ("sodermalm", "Södermalm")]
    assert looked_up == ["BaseCursor._execute_gen"]


@pytest.mark.parametrize("value", AWKWARD, ids=range(len(AWKWARD)))
def test_values_come_back_exactly_as_sent_whatever_they_hold(db, value):
    # On PostgreSQL quoted into the message's text by psycopg: nothing in a value can end it early.
    with db() as session:
        seed_districts(session, load_municipality("stockholm"))
        dialect = session.get_bind().dialect.name
        echoed, listed = fetch_together(session, [
            (ECHO, {"value": value}),
            (planned_each_time(_codes(dialect)), {"codes": key_values(dialect, [value, "sodermalm"])}),
        ])
        assert [r.value for r in echoed] == [value]
        assert sorted((r.asked, r.name) for r in listed) == sorted([(value, None), ("sodermalm", "Södermalm")])
        assert session.scalar(select(func.count()).select_from(District)) == 11
