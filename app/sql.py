"""SQL that differs between PostgreSQL and SQLite, compiled in one place.

`json_contains(column, value)`: does a JSON list column hold `value`? On
PostgreSQL the JSONB containment operator (`@>`, which a GIN index can serve);
on SQLite a `json_each` scan of the row's list. Queries stay portable and the
filter runs in the database, not in Python after reading the rows.

`key_table(dialect, name)`, `key_values(dialect, keys)`: a list of strings as a table of one
column, `key`, the list sent as one parameter.

`in_list(column, name, dialect)`: `column IN (the list)`, the list one parameter (a statement built once).

`fetch_together(session, queries)`: several look-ups' rows in one round trip on PostgreSQL;
`planned_each_time(statement)` marks one that PostgreSQL must plan afresh each time it runs.

`casefold(column)`: the text in lower case for case-insensitive search, with
Swedish letters too (PostgreSQL's `lower` under a UTF-8 locale; on SQLite, whose
`lower` folds ASCII only, Python's `str.lower` registered by `app/db.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import Boolean, String, Text, any_, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class json_contains(FunctionElement[bool]):  # noqa: N801 - reads like the SQL function it is
    type = Boolean()
    inherit_cache = True
    name = "json_contains"

    def __init__(self, column: ColumnElement[Any], value: str) -> None:
        super().__init__(column, bindparam(None, value, type_=String()))


@compiles(json_contains, "postgresql")
def _postgresql(element: json_contains, compiler: Any, **kw: Any) -> str:
    column, value = list(element.clauses)
    # `flags @> '["children"]'`, the list built in SQL so the value stays an ordinary bound parameter.
    return f"({compiler.process(column, **kw)} @> jsonb_build_array(CAST({compiler.process(value, **kw)} AS TEXT)))"


@compiles(json_contains, "sqlite")
def _sqlite(element: json_contains, compiler: Any, **kw: Any) -> str:
    column, value = list(element.clauses)
    return (f"EXISTS (SELECT 1 FROM json_each({compiler.process(column, **kw)}) "
            f"WHERE json_each.value = {compiler.process(value, **kw)})")


class casefold(FunctionElement[str]):  # noqa: N801
    type = Text()
    inherit_cache = True
    name = "casefold"

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)


@compiles(casefold)
def _casefold_default(element: casefold, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(casefold, "sqlite")
def _casefold_sqlite(element: casefold, compiler: Any, **kw: Any) -> str:
    return f"varsel_casefold({compiler.process(element.clauses, **kw)})"


def key_table(dialect: str, name: str) -> Any:
    """A list of strings as a derived table of one column, `key`, the list one parameter, `name`
    (its value made by `key_values`): on PostgreSQL an array (`unnest`), on SQLite a JSON list
    (`json_each`). One parameter, not one per key: PostgreSQL's generic plan for a prepared
    statement compares each row with a list of parameters one by one. The statement can be built
    once and run with any list."""
    if dialect == "postgresql":
        return func.unnest(cast(bindparam(name, type_=ARRAY(String)), ARRAY(String))).table_valued("key").render_derived()
    listed = func.json_each(bindparam(name, type_=String())).table_valued("value")
    return select(listed.c.value.label("key")).subquery()


def key_values(dialect: str, keys: list[str]) -> Any:
    """The value of `key_table`'s parameter for these keys."""
    return keys if dialect == "postgresql" else json.dumps(keys)


def in_list(column: Any, name: str, dialect: str, item_type: Any = String) -> Any:
    """`column` is one of a list of values (strings, or `item_type`: `Uuid`), the list the parameter
    `name`: on PostgreSQL `= ANY` of an array, which `fetch_together` can send as it is; on SQLite an
    IN list expanded when it runs."""
    if dialect == "postgresql":
        return column == any_(cast(bindparam(name, type_=ARRAY(item_type)), ARRAY(item_type)))
    return column.in_(bindparam(name, expanding=True))


# `fetch_together` sends a statement so marked unprepared (see `planned_each_time`).
PLANNED_EACH_TIME = "varsel_planned_each_time"


def planned_each_time(statement: Any) -> Any:
    """`statement`, sent by `fetch_together` without a prepared statement, so that PostgreSQL plans it
    for the tables as they are each time it runs.

    psycopg prepares a statement that runs often, and PostgreSQL then keeps one generic plan for it
    until the tables' statistics change. A look-up whose best plan depends on the size of `notices`
    or `tenants` (an index probe per key once they are large, a scan while they are small) must not
    keep a plan made while they were small: analyzed at a few hundred rows, kept through a burst of
    thousands (autovacuum behind or off, a restored dump), it scanned the whole table for each key.
    A fresh plan sees the tables' present size (PostgreSQL scales the statistics by the pages
    there are); planning the batch's few look-ups each time costs well under a millisecond."""
    return statement.execution_options(**{PLANNED_EACH_TIME: True})


def fetch_together(session: Any, queries: Sequence[tuple[Any, dict[str, Any]]]) -> list[list[Any]]:
    """Each query's rows, in order; a row's columns by name (`row.code`) or unpacked.

    The statements are built once, with bound parameters (`bindparam`), and their columns named
    uniquely. On PostgreSQL all of them go in one round trip, straight through the driver, each
    statement compiled once: for a notice sent alone, SQLAlchemy's execution of a statement already
    built cost 0.1–0.2 ms of CPU, several times the driver's own, and each look-up waited for its own
    answer. Several go as one message (`_in_one_message`); one alone as a plain execute. The engine's
    `before_cursor_execute` listeners still see every statement. On SQLite each runs through the
    session, one after the other.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return [connection.execute(statement, parameters).all() for statement, parameters in queries]

    def sent(statement: Any, parameters: dict[str, Any]) -> Any:
        return send(connection, *_compiled(statement, connection.dialect), parameters,
                    prepare=False if statement.get_execution_options().get(PLANNED_EACH_TIME) else None)

    with as_sqlalchemy_errors():
        if len(queries) == 1:
            # One statement gains nothing from a pipeline, whose machinery (Python generators in
            # psycopg) cost about twice a plain execute's CPU: 106 against 58 µs here.
            return [sent(*queries[0]).fetchall()]
        if all(statement.get_execution_options().get(PLANNED_EACH_TIME) for statement, _ in queries):
            return _in_one_message(connection, queries)
        with connection.connection.driver_connection.pipeline():
            cursors = [sent(statement, parameters) for statement, parameters in queries]
        return [cursor.fetchall() for cursor in cursors]


def _in_one_message(connection: Any, queries: Sequence[tuple[Any, dict[str, Any]]]) -> list[list[Any]]:
    """Statements planned each time they run, as one simple-protocol query: `q1; q2; …`, each one's
    values quoted in by psycopg (`ClientCursor.mogrify`: PostgreSQL's own quoting rules, through
    libpq), each one's rows read as the next result.

    They lose nothing by it: PostgreSQL plans them afresh anyway (`planned_each_time`), which is what
    the simple protocol does. psycopg's pipeline, the other way to send them in one round trip, cost
    its Python generators: 0.3 ms of CPU for two small look-ups, 0.2 ms this way (measured with
    psycopg alone); under load, `py-spy --gil` had found a sixth of the server's time in the look-ups."""
    driver = connection.connection.driver_connection
    cursor = psycopg.ClientCursor(driver, row_factory=namedtuple_row)
    statements = []
    for statement, parameters in queries:
        sql, defaults = _compiled(statement, connection.dialect)
        values = {**defaults, **parameters}
        connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
        statements.append(cursor.mogrify(sql, values))
    # The transaction's first message begins it too: no round trip for a BEGIN of its own.
    begins = getattr(driver, "beginning_in_message", None)
    with begins() if begins is not None else nullcontext(False) as beginning:
        # No parameters: psycopg sends the text as it is (a quoted value's % is not a placeholder).
        cursor.execute(";\n".join(["BEGIN", *statements] if beginning else statements))
    if beginning:
        cursor.nextset()  # past BEGIN's answer, which has no rows
    results = [cursor.fetchall()]
    while cursor.nextset():
        results.append(cursor.fetchall())
    return results


@contextmanager
def as_sqlalchemy_errors() -> Iterator[None]:
    """psycopg's errors raised as SQLAlchemy raises a statement's (`IntegrityError`, `OperationalError` …),
    for statements sent straight through the driver: the callers' handling of database errors (a busy
    database's 503, `app/errors.py: is_contention`; a batch's fall-back) sees them as any other."""
    try:
        yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(None, None, exc, psycopg.Error, hide_parameters=True) from exc


def send(connection: Any, sql: str, defaults: dict[str, Any], parameters: dict[str, Any],
         prepare: bool | None = None) -> Any:
    """A statement in psycopg's own SQL (`%(name)s`) run straight through the driver, on the connection
    (`session.connection()`: in the session's transaction); its cursor (in pipeline mode: sent, its
    result read at the pipeline's next sync). PostgreSQL only. The engine's `before_cursor_execute`
    listeners see it as any other statement. `prepare`: psycopg's (None: once it ran often; False: never)."""
    values = {**defaults, **parameters}
    cursor = connection.connection.driver_connection.cursor(row_factory=namedtuple_row)
    connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
    cursor.execute(sql, values, prepare=prepare)
    return cursor


@lru_cache(maxsize=64)
def _compiled(statement: Any, dialect: Any) -> tuple[str, dict[str, Any]]:
    """The statement's SQL for the driver, and the values its parameters hold themselves (a LIMIT's)."""
    compiled = statement.compile(dialect=dialect)
    assert "POSTCOMPILE" not in compiled.string, "a list goes in one parameter here (`key_table`, `= ANY`), not IN"
    return compiled.string, dict(compiled.params)
