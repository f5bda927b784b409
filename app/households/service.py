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
from app.cases import transitions
from app.cases.models import Case
from app.db import transaction
from app.identity import age_on
from app.security import audit
from app.security.actors import SYSTEM, Actor
from integrations.errors import IntegrationRejected, IntegrationUnavailable
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


def lookup_households(sessions: sessionmaker[Session], register: PopulationRegister | None, *, now: datetime,
                      batch: int = 50) -> LookupResult:
    result = LookupResult()
    if register is None:
        return result
    with transaction(sessions) as session:
        pending = [
            (case.id, notice.street_address, notice.postal_code, notice.apartment_number,
             notice.received_at.astimezone(STOCKHOLM).date())
            for case in session.scalars(select(Case).where(Case.household_lookup == "pending", Case.status == "open")
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
        with transaction(sessions) as session:
            case = session.get(Case, case_id)
            if case is None:
                continue
            audit.record(session, SYSTEM, "population_register.household_at", object_type="case",
                         object_id=case.id, district_id=case.district_id, details={"outcome": outcome})
            if outcome == "unavailable":
                attempts = int(case.household.get("register_attempts", 0)) + 1
                case.household = {**case.household, "register_attempts": attempts}
                if attempts >= MAX_ATTEMPTS:
                    case.household_lookup = "failed"
                result.unavailable += 1
                continue
            if household is None:
                case.household_lookup = "not_found"
                transitions.record(session, case, "household_lookup", SYSTEM, {"outcome": "not_found"}, at=now)
                result.not_found += 1
                continue
            ages = [age_on(r.birth_date, received_on) for r in household.residents]
            counts = {"children": sum(a < 18 for a in ages), "seniors": sum(a >= 65 for a in ages),
                      "residents": len(ages), "looked_up_at": now.isoformat(), "source": household.source}
            case.household = {**case.household, "register": counts}
            case.household_lookup = "done"
            transitions.record(session, case, "household_lookup", SYSTEM,
                               {"outcome": "found", "children": counts["children"], "seniors": counts["seniors"]},
                               at=now)
            transitions.reassess(session, case, SYSTEM)
            result.found += 1
    return result


def set_by_staff(session: Session, case: Case, *, children: int | None, seniors: int | None, actor: Actor,
                 now: datetime) -> None:
    """The handler found out who lives there (the task `household_unknown` gives)."""
    case.household = {**case.household, "staff": {"children": children, "seniors": seniors, "by": actor.name,
                                                  "at": now.isoformat()}}
    transitions.record(session, case, "household_set", actor, {"children": children, "seniors": seniors}, at=now)
    transitions.reassess(session, case, actor)

