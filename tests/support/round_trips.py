"""Round trips to PostgreSQL, counted in psycopg: for tests that pin how many a piece of work takes."""

from __future__ import annotations

import pytest


def count_round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, each wait for PostgreSQL's answer, by the step that waited: a statement outside a
    pipeline (`…_execute_gen`), a pipeline's end or sync, a commit. In a pipeline the statements
    themselves wait for nothing; its end does."""
    import psycopg

    trips: list[str] = []
    wait = psycopg.Connection.wait

    def counting(connection, generator, *args, **kwargs):
        step = getattr(generator, "__qualname__", "")
        if step.endswith(("_exit_gen", "_sync_gen", "_commit_gen")) or (
                step.endswith("_execute_gen") and connection._pipeline is None):
            trips.append(step)
        return wait(connection, generator, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "wait", counting)
    return trips
