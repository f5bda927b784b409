"""app.deadlines.rules: worked examples from the law document and hand-counted cases."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from app.calendar import STOCKHOLM
from app.deadlines.rules import (
    EVICTION_DECISION_BASIS,
    KRONOFOGDEN_ACK_BASIS,
    REDEMPTION_BASIS,
    ComputedDeadline,
    budget_advice_offer_due,
    eviction_decision_earliest,
    first_contact_due,
    kronofogden_acknowledgement_due,
    redemption_period_end,
    statutory_deadlines,
)

D = dt.date


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STOCKHOLM)


# --- legal bases -----------------------------------------------------------------


def test_legal_bases() -> None:
    assert REDEMPTION_BASIS == "JB 12 kap. 44 § första stycket 1; lag (1930:173)"
    assert EVICTION_DECISION_BASIS == "JB 12 kap. 44 § andra stycket"
    assert KRONOFOGDEN_ACK_BASIS == "SoF (2025:468) 11 kap. 3 §; lag (1930:173) 2 §"


# --- the worked examples -----------------------------------------------------------


def test_worked_example_annandag_jul() -> None:
    # Served Wed 3 Dec, sent Fri 5 Dec -> start Fri 5 Dec -> Fri 26 Dec is
    # annandag jul -> Mon 29 Dec.
    assert redemption_period_end(D(2025, 12, 5), D(2025, 12, 3)) == (D(2025, 12, 29), False)


def test_worked_example_from_the_landlord_api() -> None:
    deadlines = statutory_deadlines("rent_arrears", D(2026, 11, 20), D(2026, 11, 19))
    assert deadlines == [
        ComputedDeadline(
            kind="redemption_period_end",
            due_on=D(2026, 12, 11),
            due_at=utc(2026, 12, 11, 22, 59),
            legal_basis="JB 12 kap. 44 § första stycket 1; lag (1930:173)",
            estimated=False,
            informational=False,
            computed_from={
                "sent_on": "2026-11-20",
                "tenant_served_on": "2026-11-19",
                "start_on": "2026-11-20",
                "three_weeks_on": "2026-12-11",
                "rule": (
                    "later of tenant_served_on and sent_on + 3 weeks (lag 1930:173 1 §), "
                    "moved to the next vardag (lag 1930:173 2 §)"
                ),
            },
        ),
        ComputedDeadline(
            kind="eviction_decision_earliest",
            due_on=D(2026, 12, 16),
            due_at=utc(2026, 12, 16, 22, 59),
            legal_basis="JB 12 kap. 44 § andra stycket",
            estimated=False,
            informational=True,
            computed_from={
                "sent_on": "2026-11-20",
                "tenant_served_on": "2026-11-19",
                "redemption_period_end": "2026-12-11",
                "rule": "third vardag after redemption_period_end",
            },
        ),
    ]


# --- redemption_period_end: hand-counted cases ------------------------------------


@pytest.mark.parametrize(
    ("sent_on", "served_on", "end", "decision"),
    [
        # Worked example; decision: 30 Dec, (31 Dec, 1 Jan), 2 Jan, (weekend), 5 Jan.
        (D(2025, 12, 5), D(2025, 12, 3), D(2025, 12, 29), D(2026, 1, 5)),
        # Served after sending: the later day starts the period (Mon 23 Nov -> Mon 14 Dec).
        (D(2026, 11, 20), D(2026, 11, 23), D(2026, 12, 14), D(2026, 12, 17)),
        # Three weeks land on långfredagen 2026 -> tisdag efter påsk.
        (D(2026, 3, 13), D(2026, 3, 10), D(2026, 4, 7), D(2026, 4, 10)),
        # Three weeks land on påskafton 2025 (a Saturday) -> after annandag påsk.
        (D(2025, 3, 29), D(2025, 3, 28), D(2025, 4, 22), D(2025, 4, 25)),
        # Kristi himmelsfärdsdag 2026 (Thu 14 May) -> Fri 15 May; decision skips the weekend.
        (D(2026, 4, 23), D(2026, 4, 20), D(2026, 5, 15), D(2026, 5, 20)),
        # Midsommarafton 2026 (Fri 19 June) -> Mon 22 June.
        (D(2026, 5, 29), D(2026, 5, 29), D(2026, 6, 22), D(2026, 6, 25)),
        # Julafton 2026 (Thu) -> juldagen, annandag jul on Sat, Sun -> Mon 28 Dec;
        # decision: 29, 30 Dec, (nyårsafton, nyårsdagen, weekend), Mon 4 Jan.
        (D(2026, 12, 3), D(2026, 12, 1), D(2026, 12, 28), D(2027, 1, 4)),
        # Nyårsafton 2027 (Fri), nyårsdagen on Sat -> Mon 3 Jan 2028;
        # decision: 4, 5 Jan, (trettondedag jul), Fri 7 Jan.
        (D(2027, 12, 10), D(2027, 12, 9), D(2028, 1, 3), D(2028, 1, 7)),
        # Trettondedag jul 2026 (Tue) -> Wed 7 Jan.
        (D(2025, 12, 16), D(2025, 12, 15), D(2026, 1, 7), D(2026, 1, 12)),
        # Start on 31 Dec: over the new year onto an ordinary Tuesday.
        (D(2024, 12, 31), D(2024, 12, 20), D(2025, 1, 21), D(2025, 1, 24)),
        # Start on 29 Feb 2024 (Thu) -> Thu 21 March; decision before långfredagen.
        (D(2024, 2, 29), D(2024, 2, 27), D(2024, 3, 21), D(2024, 3, 26)),
        # Start on 29 Feb, served later than sent.
        (D(2024, 2, 26), D(2024, 2, 29), D(2024, 3, 21), D(2024, 3, 26)),
        # Ordinary case in 2030 spanning nothing special: Wed -> Wed.
        (D(2030, 9, 4), D(2030, 9, 2), D(2030, 9, 25), D(2030, 9, 30)),
        # Alla helgons dag 2031 is Sat 1 Nov -> Mon 3 Nov.
        (D(2031, 10, 11), D(2031, 10, 11), D(2031, 11, 3), D(2031, 11, 6)),
    ],
)
def test_redemption_and_decision(
    sent_on: dt.date, served_on: dt.date, end: dt.date, decision: dt.date
) -> None:
    assert redemption_period_end(sent_on, served_on) == (end, False)
    assert eviction_decision_earliest(end) == decision
    redemption, earliest = statutory_deadlines("rent_arrears", sent_on, served_on)
    assert (redemption.kind, redemption.due_on, redemption.estimated) == (
        "redemption_period_end",
        end,
        False,
    )
    assert (earliest.kind, earliest.due_on, earliest.estimated) == (
        "eviction_decision_earliest",
        decision,
        False,
    )


@pytest.mark.parametrize(
    ("redemption_end", "decision"),
    [
        (D(2026, 12, 11), D(2026, 12, 16)),  # Fri -> Mon, Tue, Wed
        (D(2025, 6, 17), D(2025, 6, 23)),  # Tue -> 18, 19, (midsommar), Mon 23
        (D(2026, 4, 1), D(2026, 4, 8)),  # Wed -> Thu 2, (långfredagen-annandag påsk), 7, 8
        (D(2025, 12, 23), D(2026, 1, 2)),  # Tue -> 29, 30, (nyårsafton, nyårsdagen), Fri 2
        (D(2025, 12, 22), D(2025, 12, 30)),  # Mon -> 23, 29, 30
    ],
)
def test_eviction_decision_earliest(redemption_end: dt.date, decision: dt.date) -> None:
    assert eviction_decision_earliest(redemption_end) == decision


# --- estimates, kinds, the shape of a ComputedDeadline -----------------------------


def test_unknown_service_gives_the_earliest_end_marked_estimated() -> None:
    assert redemption_period_end(D(2026, 11, 20), None) == (D(2026, 12, 11), True)
    redemption, decision = statutory_deadlines("rent_arrears", D(2026, 11, 20), None)
    assert (redemption.due_on, redemption.estimated) == (D(2026, 12, 11), True)
    assert (decision.due_on, decision.estimated) == (D(2026, 12, 16), True)
    assert redemption.computed_from["tenant_served_on"] == "unknown"
    assert redemption.computed_from["start_on"] == "2026-11-20"
    assert decision.computed_from["tenant_served_on"] == "unknown"


def test_a_later_service_date_replaces_the_estimate() -> None:
    # The tenant_served event from the landlord API: served Sat 21 Nov 2026.
    assert redemption_period_end(D(2026, 11, 20), None) == (D(2026, 12, 11), True)
    assert redemption_period_end(D(2026, 11, 20), D(2026, 11, 21)) == (D(2026, 12, 14), False)


def test_service_before_sending_does_not_start_the_period() -> None:
    # The committee's notice is the later condition (NJA 1985 s. 586).
    assert redemption_period_end(D(2026, 11, 20), D(2026, 10, 1)) == (D(2026, 12, 11), False)


def test_computed_from_shows_the_roll_forward() -> None:
    redemption, decision = statutory_deadlines("rent_arrears", D(2025, 12, 5), D(2025, 12, 3))
    assert redemption.computed_from["sent_on"] == "2025-12-05"
    assert redemption.computed_from["tenant_served_on"] == "2025-12-03"
    assert redemption.computed_from["start_on"] == "2025-12-05"
    assert redemption.computed_from["three_weeks_on"] == "2025-12-26"
    assert redemption.due_on == D(2025, 12, 29)
    assert decision.computed_from["redemption_period_end"] == "2025-12-29"
    assert all(isinstance(v, str) for v in redemption.computed_from.values())


@pytest.mark.parametrize("kind", ["disturbance_warning", "disturbance_termination"])
@pytest.mark.parametrize("served_on", [None, D(2026, 11, 19)])
def test_disturbance_kinds_have_no_statutory_deadline(
    kind: str, served_on: dt.date | None
) -> None:
    assert statutory_deadlines(kind, D(2026, 11, 20), served_on) == []


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown notice kind: 'rent'"):
        statutory_deadlines("rent", D(2026, 11, 20), None)


@pytest.mark.parametrize(
    ("sent_on", "redemption_due_at", "decision_due_at"),
    [
        # Winter: 23:59 CET is 22:59 UTC.
        (D(2025, 12, 5), utc(2025, 12, 29, 22, 59), utc(2026, 1, 5, 22, 59)),
        # Summer: 23:59 CEST is 21:59 UTC.
        (D(2026, 5, 29), utc(2026, 6, 22, 21, 59), utc(2026, 6, 25, 21, 59)),
        # Redemption end before the October DST change, decision after it.
        (D(2026, 10, 2), utc(2026, 10, 23, 21, 59), utc(2026, 10, 28, 22, 59)),
    ],
)
def test_date_deadlines_carry_due_at_at_local_end_of_day(
    sent_on: dt.date, redemption_due_at: dt.datetime, decision_due_at: dt.datetime
) -> None:
    redemption, decision = statutory_deadlines("rent_arrears", sent_on, sent_on)
    assert redemption.due_at == redemption_due_at
    assert decision.due_at == decision_due_at
    for deadline in (redemption, decision):
        assert deadline.due_at is not None
        assert deadline.due_at.tzinfo is dt.UTC
        assert deadline.due_at.astimezone(STOCKHOLM).date() == deadline.due_on
        assert deadline.due_at.astimezone(STOCKHOLM).time() == dt.time(23, 59)


def test_flags_and_bases_per_kind() -> None:
    redemption, decision = statutory_deadlines("rent_arrears", D(2026, 11, 20), D(2026, 11, 19))
    assert (redemption.legal_basis, redemption.informational) == (REDEMPTION_BASIS, False)
    assert (decision.legal_basis, decision.informational) == (EVICTION_DECISION_BASIS, True)


def test_computed_deadline_is_frozen_and_rejects_naive_due_at() -> None:
    deadline = ComputedDeadline(
        kind="kronofogden_acknowledgement",
        due_on=None,
        due_at=utc(2026, 3, 10, 22, 59),
        legal_basis=KRONOFOGDEN_ACK_BASIS,
        estimated=False,
        informational=False,
        computed_from={"received_at": "2026-03-10T07:15:00+00:00"},
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        deadline.kind = "other"  # type: ignore[misc]
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(deadline, due_at=dt.datetime(2026, 3, 10, 22, 59))


# --- Kronofogden: same-day acknowledgement (SoF 2025:468 11 kap. 3 §) -------------


@pytest.mark.parametrize(
    ("received_at", "due_at"),
    [
        # Tuesday morning, CET.
        (local(2026, 3, 10, 8, 15), utc(2026, 3, 10, 22, 59)),
        # Tuesday 23:30 local: still due the same day, 29 minutes later.
        (local(2026, 3, 10, 23, 30), utc(2026, 3, 10, 22, 59)),
        # 00:30 Wednesday local is Tuesday 23:30 UTC: the Swedish day counts.
        (utc(2026, 3, 10, 23, 30), utc(2026, 3, 11, 22, 59)),
        # Given in another offset: 08:00 -05:00 is 14:00 in Stockholm, Tuesday.
        (
            dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            utc(2026, 3, 10, 22, 59),
        ),
        # Saturday -> Monday.
        (local(2026, 3, 14, 10, 0), utc(2026, 3, 16, 22, 59)),
        # Sunday evening -> Monday.
        (local(2026, 3, 15, 21, 0), utc(2026, 3, 16, 22, 59)),
        # Julafton (Wed) -> juldagen, annandag jul, weekend -> Mon 29 Dec.
        (local(2025, 12, 24, 9, 0), utc(2025, 12, 29, 22, 59)),
        # Nyårsafton 2026 (Thu) -> nyårsdagen, weekend -> Mon 4 Jan 2027.
        (local(2026, 12, 31, 11, 0), utc(2027, 1, 4, 22, 59)),
        # Skärtorsdagen is a vardag: same day, now in CEST.
        (local(2026, 4, 2, 14, 0), utc(2026, 4, 2, 21, 59)),
        # Långfredagen -> past påskdagen and annandag påsk -> Tue 7 April.
        (local(2026, 4, 3, 10, 0), utc(2026, 4, 7, 21, 59)),
        # Midsommarafton 2026 -> Mon 22 June.
        (local(2026, 6, 19, 9, 0), utc(2026, 6, 22, 21, 59)),
        # Saturday in CET before the spring change -> Monday in CEST.
        (local(2026, 3, 28, 12, 0), utc(2026, 3, 30, 21, 59)),
        # On the change night itself: 03:30 CEST Sunday -> Monday.
        (utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 21, 59)),
        # Friday before the spring change, a vardag: same day, CET.
        (local(2026, 3, 27, 16, 0), utc(2026, 3, 27, 22, 59)),
        # Saturday in CEST before the autumn change -> Monday in CET.
        (local(2026, 10, 24, 12, 0), utc(2026, 10, 26, 22, 59)),
        # Friday in CEST: same day, 21:59 UTC.
        (local(2026, 10, 23, 9, 0), utc(2026, 10, 23, 21, 59)),
    ],
)
def test_kronofogden_acknowledgement_due(received_at: dt.datetime, due_at: dt.datetime) -> None:
    result = kronofogden_acknowledgement_due(received_at)
    assert result == due_at
    assert result.tzinfo is dt.UTC
    assert result >= received_at


def test_kronofogden_acknowledgement_rejects_naive() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        kronofogden_acknowledgement_due(dt.datetime(2026, 3, 10, 8, 0))


# --- first contact and budget advice (service levels) -----------------------------


@pytest.mark.parametrize(
    ("received_at", "vardagar", "due_at"),
    [
        # Tuesday -> Thursday 23:59 CET.
        (local(2026, 3, 10, 9, 0), 2, utc(2026, 3, 12, 22, 59)),
        # Friday evening: the receipt day never counts -> Mon, Tue.
        (local(2026, 3, 13, 22, 0), 2, utc(2026, 3, 17, 22, 59)),
        # Saturday, one vardag -> Monday.
        (local(2026, 3, 14, 10, 0), 1, utc(2026, 3, 16, 22, 59)),
        # Friday 19 Dec 2025: 22, 23, (julafton-28 Dec), 29.
        (local(2025, 12, 19, 16, 0), 3, utc(2025, 12, 29, 22, 59)),
        # Over the spring DST change: due Monday in CEST.
        (local(2026, 3, 27, 10, 0), 1, utc(2026, 3, 30, 21, 59)),
        # Over Easter 2026: Thu 2 Apr, Tue 7 Apr.
        (local(2026, 4, 1, 10, 0), 2, utc(2026, 4, 7, 21, 59)),
        # 00:30 Wednesday local given as Tuesday 23:30 UTC counts from Wednesday.
        (utc(2026, 3, 10, 23, 30), 1, utc(2026, 3, 12, 22, 59)),
        # Ten vardagar, autumn DST change in between: 23 Oct -> 6 Nov (alla helgons dag
        # is on Saturday 31 Oct 2026, so no weekday is lost).
        (local(2026, 10, 23, 10, 0), 10, utc(2026, 11, 6, 22, 59)),
    ],
)
def test_first_contact_due(received_at: dt.datetime, vardagar: int, due_at: dt.datetime) -> None:
    result = first_contact_due(received_at, vardagar)
    assert result == due_at
    assert result.tzinfo is dt.UTC


@pytest.mark.parametrize("vardagar", [0, -1])
def test_first_contact_needs_at_least_one_vardag(vardagar: int) -> None:
    with pytest.raises(ValueError, match="vardagar must be >= 1"):
        first_contact_due(local(2026, 3, 10, 9, 0), vardagar)


@pytest.mark.parametrize(
    ("received_at", "due_on"),
    [
        (local(2026, 3, 10, 10, 0), D(2026, 3, 17)),
        # Not rolled: a week after 17 Dec 2025 is julafton, and julafton it stays.
        (local(2025, 12, 17, 10, 0), D(2025, 12, 24)),
        # Not rolled: a Saturday receipt gives a Saturday.
        (local(2026, 3, 14, 10, 0), D(2026, 3, 21)),
        # Over the year end and a leap day.
        (local(2025, 12, 31, 15, 0), D(2026, 1, 7)),
        (local(2028, 2, 25, 9, 0), D(2028, 3, 3)),
        # The Swedish receipt day, not the UTC one.
        (utc(2026, 3, 9, 23, 30), D(2026, 3, 17)),
        (utc(2026, 6, 30, 22, 30), D(2026, 7, 8)),
    ],
)
def test_budget_advice_offer_due(received_at: dt.datetime, due_on: dt.date) -> None:
    assert budget_advice_offer_due(received_at) == due_on
