"""Round trips to PostgreSQL, counted in psycopg: for tests that pin how many a piece of work takes."""

from __future__ import annotations

import pytest


def count_round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, each wait for PostgreSQL's answer, by the step that waited: a statement outside a
    pipeline (`…_execute_gen`), a pipeline's end or sync, and each of psycopg's own commands (its
    BEGIN before a transaction's first statement, COMMIT, ROLLBACK), which it sends and waits for on
    their own. In a pipeline the statements and commands wait for nothing; its end does.

    Counted on the connections Varsel's engines make (`app/db_loop.py: LoopConnection`), whose waits
    go to the event loop or to psycopg's, whichever the work runs on. The pool's liveness ping is left
    out."""
    from psycopg._connection_base import BaseConnection

    from app import db
    from app.db_loop import LoopConnection

    # A pooled connection that lay idle is pinged before it is lent (`app/db.py: ping_when_idle`): on a
    # slow run that extra trip would be counted as the work's.
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", float("inf"))
    trips: list[str] = []
    wait = LoopConnection.wait
    command = BaseConnection._exec_command

    def counting(connection, generator, *args, **kwargs):
        step = getattr(generator, "__qualname__", "")
        if step.endswith(("_exit_gen", "_sync_gen")) or (
                step.endswith("_execute_gen") and connection._pipeline is None):
            trips.append(step)
        return wait(connection, generator, *args, **kwargs)

    def counting_command(connection, sql, *args, **kwargs):
        if connection._pipeline is None:
            trips.append(sql.decode() if isinstance(sql, bytes) else str(sql))
        return command(connection, sql, *args, **kwargs)

    monkeypatch.setattr(LoopConnection, "wait", counting)
    monkeypatch.setattr(BaseConnection, "_exec_command", counting_command)
    return trips
