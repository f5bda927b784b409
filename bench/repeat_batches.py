"""Batches in which some notices join a case stored before: part of bench/bench_ingest.py.

The main batch figure sends notices of people Varsel has never seen (no personal identity
numbers), each opening a case: the set-wise writer's best case. A month-end burst from a large
housing company also holds second notices of households whose case is still open (a new
termination, a further warning). Such a notice joins that case — its facts reassessed, its
deadlines tightened. Until the eleventh pass the set-wise writer gave it back to the one-notice
path, with its own savepoint and the ORM's loading of the case; now it reads the batch's stored
cases in one round trip and writes their changes with the batch's rows (`app/notices/bulk_join.py`).

Here every notice names a person (a valid personal identity number, made up), in its own
apartment. Batch k opens cases for new people; of batch k + 1, the share `share` are second
notices of batch k's people (their cases still open), the rest new people again. Two batches
before the measured ones are not measured: the first opens the first cases, the second joins
some (the join's first run in the process: its statements compiled, its plans made).
Measured with share 0 and with the share given, one after the other, so that the two rates
differ only in the joins. The people are born from 1970 on: adults under 65, as most tenants.
"""

from __future__ import annotations

import secrets
import time
from datetime import date, timedelta
from typing import Any

import httpx
import psycopg

from app.identity import format_identity_number
from app.notices.schemas import EXAMPLE_NOTICE

WARM_UP = 2  # batches before the measured ones


def _people(run: int, count: int) -> list[str]:
    """`count` made-up personal identity numbers, distinct within the benchmark's run (`run`: which
    of its repeat phases, so that no two phases share a person)."""
    born = date(1970, 1, 1) + timedelta(days=run * 7_000)
    return [format_identity_number(born + timedelta(days=i // 900), f"{100 + i % 900:03d}") for i in range(count)]


def _item(external_id: str, pin: str, apartment: int, today: str) -> dict[str, Any]:
    body = {**EXAMPLE_NOTICE, "external_id": external_id, "sent_on": today, "tenant_served_on": today,
            "termination_on": today}
    body["property"] = {**body["property"], "coordinates": None, "apartment_number": f"{apartment:04d}"}
    body["tenants"] = [{"name": "Anna Andersson", "personal_identity_number": pin}]
    return body


def repeat_batches(client: httpx.Client, database_url: str, today: str, count: int, size: int, share: float,
                   run: int) -> dict[str, float]:
    """notices/s over `count` batches of `size`, each with `share` of its notices joining an open case
    (`database_url`: psycopg's, to count the joins)."""
    if 2 * (count + WARM_UP) * size > 10_000:  # the two phases' new people (`run` 0 and 1)
        raise ValueError("each new person gets an apartment of their own, numbered with four digits: "
                         "fewer or smaller repeat batches")
    joins = round(size * share)
    people = _people(run, size * (count + WARM_UP))
    tag = secrets.token_hex(3)
    previous: list[tuple[str, int]] = []  # the last batch's new people and their apartments
    stored = 0
    started = time.perf_counter()
    for batch in range(count + WARM_UP):
        if batch == WARM_UP:
            started = time.perf_counter()
        fresh = people[batch * size:(batch + 1) * size][:size - (joins if batch else 0)]
        again = previous[:joins] if batch else []
        items = [_item(f"REPEAT-{tag}-{batch}-{i}", pin, apartment, today) for i, (pin, apartment) in enumerate(again)]
        first_apartment = (run * (count + WARM_UP) + batch) * size
        new = [(pin, first_apartment + i) for i, pin in enumerate(fresh)]
        items += [_item(f"REPEAT-{tag}-{batch}-n{i}", pin, apartment, today) for i, (pin, apartment) in enumerate(new)]
        answer = client.post("/api/v1/notices/batch", json={"notices": items})
        answer.raise_for_status()
        results = answer.json()["results"]
        failed = [r for r in results if r["status"] != 201]
        if failed:
            raise RuntimeError(f"repeat batch {batch}: {len(failed)} items not stored, the first: {failed[0]}")
        if batch >= WARM_UP:
            stored += len(results)
        previous = new
    elapsed = time.perf_counter() - started
    # A receipt names no case: that the second notices joined their cases is counted in the database.
    with psycopg.connect(database_url) as connection:
        notices, cases = connection.execute(
            "SELECT count(*), count(DISTINCT case_id) FROM notices WHERE external_id LIKE %s",
            (f"REPEAT-{tag}-%",)).fetchone()
    expected = joins * (count + WARM_UP - 1)
    if notices - cases != expected:
        raise RuntimeError(f"expected {expected} notices to join an open case, {notices - cases} did")
    return {"notices_per_s": stored / elapsed, "stored": stored, "joined": notices - cases, "share": share}
