"""What the escalation rules are told about a case's household, gathered from its rows.

The rules themselves (`app/households/rules.py`) are pure; this reads the
case's notices, tenants and the household facts the register, the staff and
Kronofogden added, and says where each fact came from.
"""

from __future__ import annotations

from datetime import datetime

from app.calendar import STOCKHOLM
from app.cases.models import Case
from app.households.rules import HouseholdFacts
from app.identity import age_on


def household_facts(case: Case) -> HouseholdFacts:
    ages: list[int] = []
    children: int | None = None
    children_source = None
    seniors: int | None = None
    seniors_source = None
    kinds = []
    for notice in case.notices:
        kinds.append(notice.kind)
        received = notice.received_at.astimezone(STOCKHOLM).date()
        for tenant in notice.tenants:
            if tenant.birth_date is not None:
                ages.append(age_on(tenant.birth_date, received))
        if notice.household_consent:
            if notice.household_children is not None:
                children = max(children or 0, notice.household_children)
                children_source = "landlord"
            if notice.household_65_plus is not None:
                seniors = max(seniors or 0, notice.household_65_plus)
                seniors_source = "landlord"
    register = case.household.get("register") or {}
    if register.get("children") is not None and children is None:
        children, children_source = register["children"], "population_register"
    if register.get("seniors") is not None and seniors is None:
        seniors, seniors_source = register["seniors"], "population_register"
    staff = case.household.get("staff") or {}
    if staff.get("children") is not None:
        children, children_source = staff["children"], "staff"
    if staff.get("seniors") is not None:
        seniors, seniors_source = staff["seniors"], "staff"
    return HouseholdFacts(
        notice_kinds=tuple(kinds),
        tenant_ages=tuple(ages),
        children=children,
        children_source=children_source,
        seniors=seniors,
        seniors_source=seniors_source,
        repeat=case.household.get("repeat"),
        eviction_scheduled=any(n.eviction_at is not None for n in case.notices)
        or bool(case.household.get("kronofogden_eviction_at")),
        kronofogden_without_handler=bool(case.household.get("kronofogden_eviction_at")) and case.assigned_to_id is None,
    )


def received_at(case: Case) -> datetime:
    """When the case's first notice arrived: the service levels count from it."""
    return min((n.received_at for n in case.notices), default=case.opened_at)
