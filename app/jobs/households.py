"""Who lives there, from the population register — after commit, never inside the intake transaction.

Cases whose household is unknown are marked `household_lookup = 'pending'`;
the `household-lookups` job asks the register (outside any transaction),
stores the counts with their source, re-assesses the case and audits every
look-up. A register that is down is asked again at the next run; after
`MAX_ATTEMPTS` the case keeps its `household_unknown` flag for the handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from app.calendar import STOCKHOLM
from app.cases import service
from app.cases.models import Case
from app.db import transaction
from app.jobs.base import JobContext
from app.identity import age_on
from integrations.errors import IntegrationRejected, IntegrationUnavailable
from integrations.population_register.factory import population_register_from_settings
from integrations.population_register.protocol import PopulationRegister

log = structlog.get_logger("varsel.households")

MAX_ATTEMPTS = 5


@dataclass
class LookupResult:
    found: int = 0
    not_found: int = 0
    unavailable: int = 0

    def __str__(self) -> str:
        return f"{self.found} households found, {self.not_found} unknown to the register, {self.unavailable} to retry"

    @property
    def idle(self) -> bool:
        return not (self.found or self.not_found or self.unavailable)


def lookup_households(sessions: sessionmaker[Session], register: PopulationRegister | None, *, now: datetime,
                      batch: int = 50) -> LookupResult:
    result = LookupResult()
    if register is None:
        return result
    with transaction(sessions) as session:
        pending = [
            (case.id, notice.street_address, notice.postal_code, notice.apartment_number,
             notice.received_at.astimezone(STOCKHOLM).date())
            # Test cases (a landlord's test key) never ask the register about a real address.
            for case in session.scalars(select(Case).where(Case.household_lookup == "pending", Case.status == "open",
                                                           Case.test.is_(False))
                                        .order_by(Case.opened_at).limit(batch)
                                        .options(selectinload(Case.notices)))
            for notice in case.notices[-1:]
            if notice.street_address
        ]
    for case_id, street, postal, apartment, received_on in pending:
        try:
            household = register.household_at(street, postal, apartment)
            outcome = "found" if household is not None else "not_found"
        except (IntegrationUnavailable, IntegrationRejected) as exc:
            household, outcome = None, "unavailable"
            log.warning("population_register_unavailable", case_id=str(case_id), error=str(exc))
        counts = None
        if household is not None:
            ages = [age_on(r.birth_date, received_on) for r in household.residents]
            counts = {"children": sum(a < 18 for a in ages), "seniors": sum(a >= 65 for a in ages),
                      "residents": len(ages), "looked_up_at": now.isoformat(), "source": household.source}
        with transaction(sessions) as session:
            case = session.get(Case, case_id)
            if case is None:
                continue
            service.household_looked_up(session, case, outcome=outcome, counts=counts, max_attempts=MAX_ATTEMPTS,
                                        now=now)
        setattr(result, outcome, getattr(result, outcome) + 1)  # found | not_found | unavailable
    return result




def run(context: JobContext) -> LookupResult:
    """The `household-lookups` job."""
    settings = context.settings
    register = population_register_from_settings(
        settings.population_register_url, settings.population_register_api_key,
        str(settings.population_register_file) if settings.population_register_file else None)
    return lookup_households(context.sessions, register, now=context.now())
