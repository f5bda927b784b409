"""The authorisation matrix (issue #11): every staff route × every actor, from the route table's rows.

Each row (`api_rows.py`, `page_rows.py`) names who may call the route; every
other actor is tried too, on a target the allowed ones succeed on. One test per
route: a failure lists each actor whose answer broke the rule, with the answer.
"""

from __future__ import annotations

import pytest

from tests.security.matrix.api_rows import API_ROWS
from tests.security.matrix.cells import run_row
from tests.security.matrix.page_rows import PAGE_ROWS

ROWS = API_ROWS + PAGE_ROWS


@pytest.mark.parametrize("entry", ROWS, ids=[row.key for row in ROWS])
def test_route(entry, world):
    failures = run_row(world, entry)
    assert not failures, f"{entry.key}\n" + "\n".join(failures)
