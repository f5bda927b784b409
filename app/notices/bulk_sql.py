"""The batch writer's statements (`app/notices/bulk.py`): one multi-row insert per table, and the
case numbers in one statement. On PostgreSQL the rows go by COPY (or, where a conflict clause is
needed, as one JSON parameter); on SQLite as one executemany."""

from __future__ import annotations

import functools
import json
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from app.cases.models import CaseNumber


def insert_rows(session: Session, table: Any, rows: list[dict[str, Any]], *, suffix: str = "") -> None:
    """One multi-row INSERT; on PostgreSQL a COPY, or with `suffix` (ON CONFLICT …) the rows as one
    JSON parameter (`json_populate_recordset`): no statement with thousands of placeholders to build
    and parse, no round trip per row. The columns' Python defaults are filled in first, as the ORM would."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    defaults = [(c.key, c.default) for c in table.columns if c.default is not None and c.key not in rows[0]]
    filled = rows
    if defaults:
        filled = [row.copy() for row in rows]
        for key, default in defaults:
            if default.is_callable:
                for row in filled:
                    row[key] = default.arg(None)
            else:
                for row in filled:
                    row[key] = default.arg
    columns = list(filled[0])
    if not suffix:
        _copy(session, table, columns, filled)
        return
    # A JSON column's None is JSON null, as SQLAlchemy writes it (JSON.none_as_null is off).
    selected = [f"COALESCE({c}, 'null'::jsonb)" if isinstance(table.c[c].type, sa.JSON) else c for c in columns]
    statement = (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(selected)} "
                 f"FROM json_populate_recordset(NULL::{table.name}, CAST(:rows AS json)){suffix}")
    # str() writes UUIDs, dates and aware timestamps ("2026-11-20 08:14:03+00:00") as PostgreSQL reads them.
    session.execute(text(statement), {"rows": json.dumps(filled, default=str, ensure_ascii=False)})


_json_dumps = functools.partial(json.dumps, default=str, ensure_ascii=False)


def _copy(session: Session, table: Any, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows by COPY, each value sent in its own type by psycopg (no JSON document
    to build on this side and to parse on the server's: ~10 % less wall time per 500-notice batch,
    bench/profile_batch.py, five runs each way). The statement is announced to
    SQLAlchemy's cursor events like any other (tests/perf count it), and a failure is raised as
    SQLAlchemy's error (`is_contention` reads it)."""
    connection = session.connection()
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    # A JSON column's None is JSON null, as SQLAlchemy writes it (JSON.none_as_null is off).
    is_json = [isinstance(table.c[c].type, sa.JSON) for c in columns]
    with connection.connection.driver_connection.cursor() as cursor:
        connection.dispatch.before_cursor_execute(connection, cursor, statement, None, None, False)
        try:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([Jsonb(row[c], _json_dumps) if j else row[c] for c, j in zip(columns, is_json)])
        except psycopg.Error as exc:
            raise sa.exc.DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
        connection.dispatch.after_cursor_execute(connection, cursor, statement, None, None, False)


def case_numbers(session: Session, count: int) -> list[int]:
    """`count` values of the case-number sequence, in one statement."""
    table = CaseNumber.__table__
    if session.get_bind().dialect.name == "postgresql":
        statement = text("INSERT INTO case_numbers (id) SELECT nextval(pg_get_serial_sequence('case_numbers', 'id')) "
                         "FROM generate_series(1, :count) RETURNING id")
        return sorted(session.execute(statement, {"count": count}).scalars())
    return sorted(session.execute(insert(table).values([{"id": None}] * count).returning(table.c.id)).scalars())
