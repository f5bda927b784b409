"""The deadlines Varsel computes — pure rules, no database, no web.

Statutory periods follow Jordabalken 12 kap. and lag (1930:173); service
levels (first contact, budget advice) follow the city's programme. Each
deadline records what it was computed from, so staff can check it by hand.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from app.calendar import (
    add_vardagar,
    add_weeks,
    end_of_day,
    local_today,
    next_vardag_on_or_after,
)
from app.vocabulary import DeadlineKind, NoticeKind

UTC = datetime.UTC

REDEMPTION_BASIS = "JB 12 kap. 44 § första stycket 1; lag (1930:173)"
EVICTION_DECISION_BASIS = "JB 12 kap. 44 § andra stycket"
KRONOFOGDEN_ACK_BASIS = "SoF (2025:468) 11 kap. 3 §; lag (1930:173) 2 §"


REDEMPTION_WEEKS = 3
# JB 12 kap. 44 § andra stycket: "ytterligare två vardagar" must pass after the
# redemption period; the decision is taken no earlier than the third vardag
# (conservative reading — shown as such in the UI).
EVICTION_DECISION_VARDAGAR = 3
BUDGET_ADVICE_DAYS = 7

REDEMPTION_RULE = (
    "later of tenant_served_on and sent_on + 3 weeks (lag 1930:173 1 §), "
    "moved to the next vardag (lag 1930:173 2 §)"
)
EVICTION_DECISION_RULE = "third vardag after redemption_period_end"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ComputedDeadline:
    kind: str
    due_on: datetime.date | None
    # Set on every deadline built here, because the sweep selects by due_at; for
    # a date deadline it is the end of due_on in Stockholm, in UTC.
    due_at: datetime.datetime | None
    legal_basis: str
    estimated: bool
    # eviction_decision_earliest is information for the handler, never met or missed.
    informational: bool
    computed_from: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.due_at is not None and self.due_at.utcoffset() is None:
            raise ValueError("due_at must be timezone-aware")


def _utc_end_of(day: datetime.date) -> datetime.datetime:
    return end_of_day(day).astimezone(UTC)


def _local_receipt_day(received_at: datetime.datetime) -> datetime.date:
    # Deadlines counted from receipt run on Swedish days: a notice received at
    # 00:30 Stockholm time (23:30 UTC the day before) was received that day.
    return local_today(received_at)


def _redemption_start(
    sent_on: datetime.date, tenant_served_on: datetime.date | None
) -> tuple[datetime.date, bool]:
    # JB 12 kap. 44 § första stycket 1 (NJA 1985 s. 586, NJA 1988 s. 420): the
    # period runs only once the tenant is served AND the committee's notice is
    # sent (63 §: sent counts), so from the later of the two. Unknown service
    # gives the earliest possible start, hence an estimate.
    if tenant_served_on is None:
        return sent_on, True
    return max(sent_on, tenant_served_on), False


def redemption_period_end(
    sent_on: datetime.date, tenant_served_on: datetime.date | None
) -> tuple[datetime.date, bool]:
    """Return (last day to pay, estimated)."""
    start, estimated = _redemption_start(sent_on, tenant_served_on)
    return next_vardag_on_or_after(add_weeks(start, REDEMPTION_WEEKS)), estimated


def eviction_decision_earliest(redemption_end: datetime.date) -> datetime.date:
    return add_vardagar(redemption_end, EVICTION_DECISION_VARDAGAR)


def statutory_deadlines(
    kind: str, sent_on: datetime.date, tenant_served_on: datetime.date | None
) -> list[ComputedDeadline]:
    if kind not in NoticeKind.__members__.values():
        raise ValueError(f"unknown notice kind: {kind!r}")
    if kind != NoticeKind.RENT_ARREARS:
        # 25 a § and 42 § fjärde stycket give the tenant no right to redeem
        # the lease, so no statutory period runs for the committee.
        return []

    start, _ = _redemption_start(sent_on, tenant_served_on)
    end, estimated = redemption_period_end(sent_on, tenant_served_on)
    inputs = {
        "sent_on": sent_on.isoformat(),
        "tenant_served_on": tenant_served_on.isoformat() if tenant_served_on else UNKNOWN,
    }
    redemption = ComputedDeadline(
        kind=DeadlineKind.REDEMPTION_PERIOD_END,
        due_on=end,
        due_at=_utc_end_of(end),
        legal_basis=REDEMPTION_BASIS,
        estimated=estimated,
        informational=False,
        computed_from={
            **inputs,
            "start_on": start.isoformat(),
            "three_weeks_on": add_weeks(start, REDEMPTION_WEEKS).isoformat(),
            "rule": REDEMPTION_RULE,
        },
    )
    decision_day = eviction_decision_earliest(end)
    decision = ComputedDeadline(
        kind=DeadlineKind.EVICTION_DECISION_EARLIEST,
        due_on=decision_day,
        due_at=_utc_end_of(decision_day),
        legal_basis=EVICTION_DECISION_BASIS,
        # Built on the redemption end, so exactly as uncertain as it is.
        estimated=estimated,
        informational=True,
        computed_from={
            **inputs,
            DeadlineKind.REDEMPTION_PERIOD_END: end.isoformat(),
            "rule": EVICTION_DECISION_RULE,
        },
    )
    return [redemption, decision]


def kronofogden_acknowledgement_due(received_at: datetime.datetime) -> datetime.datetime:
    # SoF (2025:468) 11 kap. 3 §: the acknowledgement is due "samma dag" as the
    # underrättelse om avhysning arrives — late in the evening included. On a
    # non-vardag, lag (1930:173) 2 § (which covers förordningar too) moves it
    # to the next vardag.
    due_day = next_vardag_on_or_after(_local_receipt_day(received_at))
    return _utc_end_of(due_day)


def first_contact_due(received_at: datetime.datetime, vardagar: int) -> datetime.datetime:
    # A service level counted in working days: the receipt day never counts,
    # whatever the hour, so a notice arriving on Friday evening is not due on
    # Friday. Zero would make a weekend receipt due on the weekend itself.
    if vardagar < 1:
        raise ValueError(f"vardagar must be >= 1, got {vardagar}")
    return _utc_end_of(add_vardagar(_local_receipt_day(received_at), vardagar))


def budget_advice_offer_due(received_at: datetime.datetime) -> datetime.date:
    # Stockholms stads program mot hemlöshet: families with children are offered
    # budget and debt advice "within one week". This is the city's service
    # level, not a period set by law or förordning, so lag (1930:173) does not
    # apply and the date is not moved off weekends or holidays: the offer is
    # due seven calendar days after the local receipt day.
    return _local_receipt_day(received_at) + datetime.timedelta(days=BUDGET_ADVICE_DAYS)


# --------------------------------------------------------------------------- the service's own deadlines

FIRST_CONTACT_BASIS = "Varsels servicenivå: första kontakt (stadsdelens rutin)"
BUDGET_ADVICE_BASIS = "Stockholms stads program mot hemlöshet: budget- och skuldrådgivning inom en vecka"
EVICTION_BASIS = {
    "landlord": "Kronofogdens beslut om avhysning (uppgift från hyresvärden)",
    "kronofogden": "Kronofogdens underrättelse om avhysning",
}


def first_contact_deadline(received_at: datetime.datetime, vardagar: int, priority: str) -> ComputedDeadline:
    due = first_contact_due(received_at, vardagar)
    return ComputedDeadline(
        kind=DeadlineKind.FIRST_CONTACT, due_on=local_today(due), due_at=due, legal_basis=FIRST_CONTACT_BASIS,
        estimated=False, informational=False,
        computed_from={"received_at": received_at.isoformat(), "priority": priority, "vardagar": str(vardagar)},
    )


def budget_advice_offer_deadline(received_at: datetime.datetime) -> ComputedDeadline:
    day = budget_advice_offer_due(received_at)
    return ComputedDeadline(
        kind=DeadlineKind.BUDGET_ADVICE_OFFER, due_on=day, due_at=_utc_end_of(day), legal_basis=BUDGET_ADVICE_BASIS,
        estimated=False, informational=False,
        computed_from={"received_at": received_at.isoformat(), "days": str(BUDGET_ADVICE_DAYS)},
    )


def eviction_deadline(eviction_at: datetime.datetime, source: str, reference: str | None = None) -> ComputedDeadline:
    """The eviction Kronofogden has scheduled: information for the handler, never met or missed."""
    computed_from = {"eviction_at": eviction_at.isoformat(), "source": source}
    if reference is not None:
        computed_from["reference"] = reference
    return ComputedDeadline(
        kind=DeadlineKind.EVICTION, due_on=local_today(eviction_at), due_at=eviction_at,
        legal_basis=EVICTION_BASIS[source], estimated=False, informational=True, computed_from=computed_from,
    )


def kronofogden_acknowledgement_deadline(received_at: datetime.datetime, reference: str,
                                         eviction_notice_id: str) -> ComputedDeadline:
    due = kronofogden_acknowledgement_due(received_at)
    return ComputedDeadline(
        kind=DeadlineKind.KRONOFOGDEN_ACKNOWLEDGEMENT, due_on=local_today(due), due_at=due,
        legal_basis=KRONOFOGDEN_ACK_BASIS, estimated=False, informational=False,
        computed_from={"received_at": received_at.isoformat(), "reference": reference,
                       "eviction_notice_id": eviction_notice_id},
    )


# --------------------------------------------------------------------------- the committee's payment commitment

@dataclass(frozen=True)
class CommitmentEffect:
    statutory: bool
    reason: str  # Swedish: shown to the handler and kept with the commitment


def payment_commitment_effect(decided_on: datetime.date, redemption_end: datetime.date | None,
                              redemption_missed: bool,
                              notice_sent_on: datetime.date | None = None) -> CommitmentEffect:
    """Does the committee's undertaking stop the eviction? JB 12 kap. 44 § fjärde stycket 1.

    Only when it is given within the redemption period: the tenant "får inte
    avhysas" if the committee has, within the three weeks, told the landlord in
    writing that it takes on the payment responsibility. `redemption_end` is None
    when no redemption period runs in the case (no rent-arrears notice).

    A decision dated before the notice to the committee was even sent
    (`notice_sent_on`) answers no termination of this case — most likely a typing
    slip (1900 for 2026): recorded, with the deadline left open. One made after the
    sending but before the tenant was served is taken as within the period, as
    the committee cannot act sooner than it is told.
    """
    if redemption_end is None:
        return CommitmentEffect(False, "Ingen återvinningsfrist löper i ärendet (ingen underrättelse om obetald "
                                       "hyra): åtagandet registreras men har ingen verkan enligt 12 kap. 44 § "
                                       "jordabalken.")
    if notice_sent_on is not None and decided_on < notice_sent_on and not redemption_missed:
        return CommitmentEffect(False, f"Beslutat {decided_on.isoformat()}, innan underrättelsen skickades "
                                       f"{notice_sent_on.isoformat()}: åtagandet registreras men räknas inte som lämnat "
                                       "inom återvinningsfristen (JB 12 kap. 44 § fjärde stycket 1). "
                                       "Kontrollera datumet; ett åtagande inom fristen ska lämnas skriftligen till "
                                       f"hyresvärden senast {redemption_end.isoformat()}.")
    if decided_on <= redemption_end and not redemption_missed:
        return CommitmentEffect(True, f"Beslutat {decided_on.isoformat()}, inom återvinningsfristen som löper ut "
                                      f"{redemption_end.isoformat()}: hyresgästen får inte avhysas (JB 12 kap. 44 § "
                                      "fjärde stycket 1) om hyresvärden underrättas skriftligen inom fristen.")
    return CommitmentEffect(False, f"Beslutat {decided_on.isoformat()}, efter att återvinningsfristen löpte ut "
                                   f"{redemption_end.isoformat()}: åtagandet registreras men hindrar inte avhysning "
                                   "enligt 12 kap. 44 § jordabalken.")
