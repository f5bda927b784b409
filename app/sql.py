"""SQL that differs between PostgreSQL and SQLite, compiled in one place.

`json_contains(column, value)`: does a JSON list column hold `value`? On
PostgreSQL the JSONB containment operator (`@>`, which a GIN index can serve);
on SQLite a `json_each` scan of the row's list. Queries stay portable and the
filter runs in the database, not in Python after reading the rows.

`key_table(dialect, name)`, `key_values(dialect, keys)`: a list of strings as a table of one
column, `key`, the list sent as one parameter.

`casefold(column)`: the text in lower case for case-insensitive search, with
Swedish letters too (PostgreSQL's `lower` under a UTF-8 locale; on SQLite, whose
`lower` folds ASCII only, Python's `str.lower` registered by `app/db.py`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Boolean, String, Text, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
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
