"""Shared helpers for the landlord-API tests (the landlord API contract).

Every test in this folder runs with "today" pinned through `app.state.clock`
(the `clock` fixture is autouse), so the suite gives the same answers in every
future year. The default instant is the spec's example receipt time:
2026-11-20 08:14:03 UTC = 09:14:03 in Stockholm.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from app.notices.schemas import EXAMPLE_NOTICE

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 11, 20, 8, 14, 3, tzinfo=UTC)  # 09:14:03 in Stockholm
NOTICES = "/api/v1/notices"
BATCH = "/api/v1/notices/batch"
PROBLEM_BASE = "https://varsel.example/problems/"
PROBLEM_TYPE = "application/problem+json"

REDEMPTION_BASIS = "JB 12 kap. 44 § första stycket 1; lag (1930:173)"
DECISION_BASIS = "JB 12 kap. 44 § andra stycket"

# An unroutable Stockholm postal code: app/routing/data/stockholm/postal_codes.csv has
# the row `111,,,"ambiguous: norra-innerstaden/sodermalm/kungsholmen …"` (empty district).
UNROUTABLE_POSTAL_CODE = "111 52"
# 169 00–171 99 lie wholly in Solna (neighbours.csv).
SOLNA_POSTAL_CODE = "169 70"

DELETE = object()  # a mutation value meaning "remove the key"

# Tables a notice writes to; a rejected request must leave every one unchanged.
WRITTEN_TABLES = ("notices", "tenants", "cases", "deadlines", "timeline_events", "notice_events", "audit_events")


class Clock:
    """A settable stand-in for `app.state.clock` (a zero-arg callable returning aware UTC)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        assert now.tzinfo is not None
        self.now = now.astimezone(UTC)

    def set_local(self, year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> None:
        """Pin the clock to a wall-clock time in Stockholm."""
        self.set(datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM))

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


@pytest.fixture(autouse=True)
def clock(app) -> Clock:
    pinned = Clock(NOW)
    app.state.clock = pinned
    return pinned


# ----------------------------------------------------------------------------- bodies


def _set(body: Any, path: str, value: Any) -> None:
    """Set (or with DELETE remove) a value at a path like 'property.postal_code' or 'tenants[0].name'."""
    tokens: list[str | int] = []
    for part in path.split("."):
        match = re.fullmatch(r"([^\[\]]+)((?:\[\d+\])*)", part)
        assert match, f"bad path {path!r}"
        tokens.append(match[1])
        tokens.extend(int(i) for i in re.findall(r"\[(\d+)\]", match[2]))
    target = body
    for token in tokens[:-1]:
        target = target[token]
    last = tokens[-1]
    if value is DELETE:
        del target[last]
    else:
        target[last] = copy.deepcopy(value)


def notice_body(overrides: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """A deep copy of the spec's example body with overrides applied.

    `overrides` maps paths ('property.rooms', 'tenants[0].email') to values
    (DELETE removes the key); keyword arguments override top-level fields.
    """
    body = copy.deepcopy(EXAMPLE_NOTICE)
    for path, value in {**(overrides or {}), **top}.items():
        _set(body, path, value)
    return body


def disturbance_body(kind: str = "disturbance_warning", **top: Any) -> dict[str, Any]:
    """A valid disturbance notice (no arrears, no service date; a termination only for the serious kind)."""
    body = notice_body(
        kind=kind,
        tenant_served_on=None,
        termination_on="2026-11-18" if kind == "disturbance_termination" else None,
        arrears=None,
        disturbance={"description": "Upprepade störningar nattetid, se bifogade protokoll.",
                     "requested_on": "2026-11-10"},
    )
    body.update(top)
    return body


def manual_routing_body(**top: Any) -> dict[str, Any]:
    """An address the postal-code table cannot route (ambiguous 111), without coordinates."""
    body = notice_body({
        "property.street_address": "Vasagatan 10",
        "property.postal_code": UNROUTABLE_POSTAL_CODE,
        "property.coordinates": DELETE,
    })
    body.update(top)
    return body


def luhn_check_digit(nine: str) -> str:
    total = 0
    for position, char in enumerate(nine):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def personnummer(birth: date, serial: int = 123, coordination: bool = False) -> str:
    """A valid 12-digit personnummer (or samordningsnummer) 'YYYYMMDD-NNNC'."""
    day = birth.day + (60 if coordination else 0)
    yymmdd = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}"
    serial_digits = f"{serial:03d}"
    return f"{birth.year:04d}{birth.month:02d}{day:02d}-{serial_digits}{luhn_check_digit(yymmdd + serial_digits)}"


# ----------------------------------------------------------------------------- answers


def assert_problem(answer, status: int, type_suffix: str | None = None) -> dict[str, Any]:
    """An RFC 9457 answer: the status, problem+json, type/title/status/request_id."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].split(";")[0].strip() == PROBLEM_TYPE
    body = answer.json()
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"].startswith(PROBLEM_BASE)
    if type_suffix is not None:
        assert body["type"] == PROBLEM_BASE + type_suffix
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["request_id"], str) and body["request_id"]
    return body


def assert_receipt_shape(receipt: dict[str, Any]) -> None:
    assert set(receipt) == {"id", "external_id", "kind", "received_at", "status", "district", "deadlines"}


def stockholm_iso(instant: datetime) -> str:
    return instant.astimezone(STOCKHOLM).isoformat(timespec="seconds")


def deadlines(redemption: str, decision: str, estimated: bool) -> list[dict[str, Any]]:
    return [
        {"kind": "redemption_period_end", "date": redemption, "legal_basis": REDEMPTION_BASIS,
         "estimated": estimated},
        {"kind": "eviction_decision_earliest", "date": decision, "legal_basis": DECISION_BASIS,
         "estimated": estimated},
    ]


# ----------------------------------------------------------------------------- database


def count_rows(db, *tables: str) -> dict[str, int]:
    with db() as session:
        return {t: session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables}


@pytest.fixture
def row_counts(db) -> Callable[..., dict[str, int]]:
    return lambda *tables: count_rows(db, *(tables or WRITTEN_TABLES))


def break_batch_rows_of(monkeypatch, external_id: str) -> None:
    """The set-wise writer's row for this notice (`bulk._new_notice`'s plain row) violates NOT NULL:
    its part's INSERT fails in the database itself."""
    from app.notices import bulk_write

    write = bulk_write.write_part

    def broken(session, ctx, part, *rest):
        for notice, _case in part.created:
            if notice.external_id == external_id:
                notice.kind = None
        return write(session, ctx, part, *rest)

    monkeypatch.setattr(bulk_write, "write_part", broken)
