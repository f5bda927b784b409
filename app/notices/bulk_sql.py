"""The batch writer's statements (`app/notices/bulk.py`): the rows of every table in one statement,
and the case numbers in one statement.

On PostgreSQL one INSERT per table, all of them in one statement (data-modifying WITH queries), each
table's rows as one JSON parameter read by `jsonb_populate_recordset`: one round trip for a whole
batch, and for a notice sent alone. Each table's rows are encoded by one `orjson.dumps`;
COPY, used before, cost a round trip per table and a Python-level encoding of every value
(bench/profile_batch.py measured both). Read as jsonb, not json: PostgreSQL parses the text once
instead of once per row and column (a part of 100 notices: 28 ms instead of 39). The foreign keys hold: PostgreSQL checks them at the end
of the statement, when every table's rows are in. On SQLite one executemany per table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.orm import Session

from app.cases import plan
from app.cases.models import CaseNumber
from app.notices.models import Notice
from app.sql import fetch_together, key_table, key_values, planned_each_time

# (table, its rows, an ON CONFLICT clause or "")
TableRows = tuple[Any, list[dict[str, Any]], str]


@dataclass(frozen=True)
class Prepared:
    """A table's rows ready to insert: on PostgreSQL its INSERT (the parameter's name left as `{name}`)
    and its rows encoded, on SQLite the rows themselves. Prepared ahead, while the statement before
    is still being written (`app/notices/bulk_write.py: Writer`)."""

    table: Any
    rows: list[dict[str, Any]]
    insert: str = ""
    encoded: str = ""
    suffix: str = ""  # the INSERT's ending (an ON CONFLICT clause), for `_numbered` to build it again


def prepare(session: Session, table: Any, rows: list[dict[str, Any]], suffix: str = "") -> Prepared:
    """The columns' Python defaults filled in first, as the ORM would."""
    if session.get_bind().dialect.name != "postgresql":
        assert not suffix, "on SQLite a conflict clause needs its own statement (outbox.enqueue_many)"
        return Prepared(table, rows)
    if not rows:
        return Prepared(table, rows)
    filled = _with_defaults(table, rows)
    return Prepared(table, filled, _insert_sql(table, tuple(filled[0]), suffix), encode_rows(filled), suffix)


@lru_cache(maxsize=128)
def _insert_sql(table: Any, columns: tuple[str, ...], suffix: str, *, numbered: int = 0, cases: str = "") -> str:
    """A table's INSERT from its JSON parameter (its name left as `{name}`), built once per set of columns.

    `numbered` (the cases': 1 for one case, 2 for more, whose SQL is the same for any count): each
    row's `number`, the prefix, completed with a sequence value the statement takes (`_numbered`) —
    several cases each their own, in the order of the rows.
    `cases` (the outbox's): a payload's `case_number`, where the row is about a case that statement
    part writes, replaced by that case's number as written."""
    selected = []
    for column in columns:
        # A JSON column's None is JSON null, as SQLAlchemy writes it (JSON.none_as_null is off).
        value = f"COALESCE({column}, 'null'::jsonb)" if isinstance(table.c[column].type, sa.JSON) else column
        if numbered and column == "number":
            value = plan.case_number_sql(column, f"{_SEQUENCE}.case_sequence")
        elif cases and column == "payload":
            # (`{{{{`: a brace for the jsonb path once `str.format` has filled in the parameter's name)
            value = (f"CASE WHEN payload ? 'case_number' AND case_id IN (SELECT id FROM {cases}) THEN "
                     f"jsonb_set(payload, '{{{{case_number}}}}', to_jsonb((SELECT number FROM {cases} "
                     f"WHERE {cases}.id = case_id))) ELSE {value} END")
        selected.append(value)
    source = f"jsonb_populate_recordset(NULL::{table.name}, CAST(%({{name}})s AS jsonb))"
    if numbered == 1:
        source, suffix = f"{source} CROSS JOIN {_SEQUENCE}", f"{suffix} RETURNING id, number"
    elif numbered:
        # The n-th row takes the n-th value: the values in order, the rows by their place in the parameter.
        source = (f"{source} WITH ORDINALITY AS item JOIN (SELECT case_sequence, row_number() OVER "
                  f"(ORDER BY case_sequence) AS place FROM {_SEQUENCE}) AS {_SEQUENCE} ON {_SEQUENCE}.place = item.ordinality")
        suffix = f"{suffix} RETURNING id, number"
    return f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(selected)} FROM {source}{suffix}"


def insert_tables(session: Session, tables: Sequence[TableRows | Prepared], execute: Any = None, *,
                  number_the_case: bool = False) -> Any:
    """Every table's rows, in the order given (parents first, for SQLite's sake). On PostgreSQL all
    of them in one statement, psycopg's own SQL, which `execute(sql, parameters)` sends
    (`app/notices/bulk_write.py: Writer.execute`, straight through the driver); what `execute`
    gives back is given back.

    `number_the_case` (PostgreSQL; notices sent alone, one or a group of them): the cases among the
    rows take their numbers in this statement, not in a round trip of their own before it
    (`_numbered`); the statement's rows are then each case's id and number."""
    prepared = [t if isinstance(t, Prepared) else prepare(session, *t) for t in tables]
    prepared = [t for t in prepared if t.rows]
    if not prepared:
        return None
    if session.get_bind().dialect.name != "postgresql":
        assert not number_the_case, "SQLite takes a case's number before its rows (bulk_sql.case_numbers)"
        for table in prepared:
            session.execute(insert(table.table), table.rows)
        return None
    names = [f"t{number}" for number in range(len(prepared))]
    inserts = [table.insert.format(name=name) for name, table in zip(names, prepared)]
    ending = "SELECT 1"
    if number_the_case:
        inserts, ending = _numbered(prepared, names, inserts)
    parts = [f"{name} AS ({sql})" for name, sql in zip(names, inserts)]
    if number_the_case:
        parts.insert(0, f"{_SEQUENCE} AS ({_numbers_sql(prepared, _case_rows(prepared))})")
    return execute(f"WITH {', '.join(parts)} {ending}",
                   {name: table.encoded for name, table in zip(names, prepared)})


_SEQUENCE = "case_number"  # the statement's part that takes the cases' sequence values (`_numbers_sql`)


def _case_rows(prepared: list[Prepared]) -> int:
    """Where the new cases' rows are among the statement's tables (not a joined case's UPDATE)."""
    return next(at for at, table in enumerate(prepared) if table.table.name == "cases" and table.insert.startswith("INSERT"))


def _numbered(prepared: list[Prepared], names: list[str], inserts: list[str]) -> tuple[list[str], str]:
    """The INSERTs of the cases and of their messages, numbering the cases as they write them: a row
    holds the number's prefix (`plan.case_number_prefix`), to which a sequence value is joined
    (`plan.case_number_sql`); a message that names a case number (a joint assessment's request)
    names the number of its case as written."""
    cases = _case_rows(prepared)
    numbered = list(inserts)
    for at, table in enumerate(prepared):
        if at == cases or table.table.name == "outbox":
            sql = _insert_sql(table.table, tuple(table.rows[0]), table.suffix,
                              numbered=min(len(table.rows), 2) if at == cases else 0,
                              cases=names[cases] if at != cases else "")
            numbered[at] = sql.format(name=names[at])
    return numbered, f"SELECT id, number FROM {names[cases]}"


def _numbers_sql(prepared: list[Prepared], cases: int) -> str:
    """The statement's part that takes the cases' sequence values (`_SEQUENCE`): one, or one per case."""
    count = len(prepared[cases].rows)
    if count == 1:
        return _NUMBER_SQL
    # The count written into the SQL, not a parameter: PostgreSQL plans each group size once, where a
    # parameter's generic plan estimates a thousand rows (see `_CASE_NUMBERS`).
    return (f"INSERT INTO case_numbers (id) SELECT nextval(pg_get_serial_sequence('case_numbers', 'id')) "
            f"FROM generate_series(1, {int(count)}) RETURNING id AS case_sequence")


def encode_rows(rows: list[dict[str, Any]]) -> str:
    """orjson writes UUIDs, dates and timestamps (RFC 3339, as PostgreSQL reads them) itself, in C:
    the standard library's encoder called back into Python for each of them (a third of a batch's
    encoding time). Anything else it does not know (Decimal) is written as str() would."""
    return orjson.dumps(rows, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _with_defaults(table: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    defaults = [(key, default) for key, default in _defaults(table) if key not in rows[0]]
    if not defaults:
        return rows
    filled = [row.copy() for row in rows]
    for key, default in defaults:
        for row in filled:
            row[key] = default.arg(None) if default.is_callable else default.arg
    return filled


@cache
def _defaults(table: Any) -> list[tuple[str, Any]]:
    return [(c.key, c.default) for c in table.columns if c.default is not None]


def stored_notice_query(dialect: str, landlord_id: Any, test: bool, external_ids: list[str],
                        keys: Sequence[str] | None = None) -> tuple[Any, dict[str, Any]]:
    """The ids of the landlord's stored notices with these `external_id`s (or these Idempotency-Keys,
    of notices sent alone): the statement and its parameters, sent with the batch's other look-ups
    (`app/sql.py: fetch_together`); each of its rows is one id.

    On PostgreSQL each external_id, and each key, is looked up on its own (a LATERAL join: one probe
    of the unique index per id, whatever the statistics say). A plain join or IN let the planner, with
    statistics from before a burst of notices, hash the landlord's every notice instead (25 ms at
    38,000), or, with LIMIT 1, walk them hoping for an early match (0.65 s); keys as `= ANY` of an
    array, it walked the landlord's keyed notices with the keys as a filter
    (tests/perf/test_lookup_plans.py)."""
    # PostgreSQL's is `key_table`'s parameter; SQLite's an IN list.
    ids = key_values(dialect, external_ids) if dialect == "postgresql" else external_ids
    parameters: dict[str, Any] = {"landlord_id": landlord_id, "test": test, "external_ids": ids}
    if keys:
        parameters["keys"] = key_values(dialect, sorted(keys)) if dialect == "postgresql" else sorted(keys)
    return _stored_query(dialect, bool(keys)), parameters


@cache
def _stored_query(dialect: str, by_key: bool) -> Any:
    """Built once per shape (a notice sent alone asks once per request): only its parameters change."""
    notices = Notice.__table__.c
    mine = (notices.landlord_id == bindparam("landlord_id"), notices.test == bindparam("test"))
    if dialect != "postgresql":
        key_matches = notices.idempotency_key.in_(bindparam("keys", expanding=True)) if by_key else sa.false()
        return select(notices.id).where(*mine, sa.or_(notices.external_id.in_(bindparam("external_ids", expanding=True)),
                                                      key_matches))

    def probed(column: Any, parameter: str) -> Any:
        values = key_table("postgresql", parameter)
        # LIMIT 1 (the unique index gives at most one anyway) keeps PostgreSQL from pulling the LATERAL
        # subquery up into a plain join, which its generic plan then hashed (60 ms for 500 ids).
        probe = select(notices.id).where(*mine, column == values.c.key).limit(1).lateral()
        return select(probe.c.id).select_from(values).join(probe, sa.true())

    found = probed(notices.external_id, "external_ids")
    # Planned each time it runs (`app/sql.py: planned_each_time`): a plan kept from while the
    # landlord's notices were few probed by scanning them all, for each id.
    return planned_each_time(found.union(probed(notices.idempotency_key, "keys")) if by_key else found)


_CASE_NUMBERS = text("INSERT INTO case_numbers (id) SELECT nextval(pg_get_serial_sequence('case_numbers', 'id')) "
                     "FROM generate_series(1, :count) RETURNING id")
# One number (a part of a batch with one case; a notice sent alone takes its number in its rows'
# statement, `_NUMBER_SQL`) by a statement without parameters: PostgreSQL plans it once per
# connection. `_CASE_NUMBERS`'s count is a parameter whose generic plan PostgreSQL estimates at a
# thousand rows, so it planned that statement afresh each time it ran (tests/perf/test_write_plans.py).
_ONE_NUMBER = "INSERT INTO case_numbers DEFAULT VALUES RETURNING id"
_ONE_CASE_NUMBER = text(_ONE_NUMBER)
_NUMBER_SQL = f"{_ONE_NUMBER} AS case_sequence"  # as a part of the rows' statement (`insert_tables`)


def case_numbers(session: Session, count: int) -> list[int]:
    """`count` values of the case-number sequence, in one statement."""
    table = CaseNumber.__table__
    if session.get_bind().dialect.name == "postgresql":
        (numbers,) = fetch_together(session, [(_ONE_CASE_NUMBER, {}) if count == 1 else (_CASE_NUMBERS, {"count": count})])
        return sorted(number for number, in numbers)
    return sorted(session.execute(insert(table).values([{"id": None}] * count).returning(table.c.id)).scalars())
