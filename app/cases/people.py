"""Who a case is about and where they live, as staff read it: each person once, one address line.

A case gathers notices (and Kronofogden's notices); the same tenant is on each of
them. A person is the same when the keyed hashes of their identity numbers are
equal, or, without an identity number, when the names are (the notices of one
case are one tenancy). The queue, the case page and the staff API all use this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.cases.models import Case


@dataclass
class Person:
    name: str | None
    key: str
    tenants: list[Any] = field(default_factory=list)  # the Tenant rows, one per notice
    notice_ids: list[str] = field(default_factory=list)
    from_kronofogden: bool = False


def person_key(pin_hash: str | None, name: str | None) -> str:
    if pin_hash:
        return f"pin:{pin_hash}"
    return "name:" + " ".join((name or "").casefold().split())


def people(case: Case) -> list[Person]:
    """The case's tenants, each person once, in the order they first appear (oldest notice first)."""
    found: dict[str, Person] = {}
    for notice in sorted(case.notices, key=lambda n: n.received_at):
        for tenant in notice.tenants:
            key = person_key(tenant.pin_hash, tenant.name)
            person = found.setdefault(key, Person(name=tenant.name, key=key))
            person.tenants.append(tenant)
            person.notice_ids.append(str(notice.id))
    for record in case.eviction_notices:
        if record.tenant_name is None and record.pin_hash is None:
            continue
        key = person_key(record.pin_hash, record.tenant_name)
        if key not in found:
            found[key] = Person(name=record.tenant_name, key=key, from_kronofogden=True)
    return list(found.values())


def tenant_names(case: Case) -> list[str]:
    return [p.name for p in people(case) if p.name]


def postal_code(code: str | None) -> str | None:
    """'11846' → '118 46', as Swedish addresses are written."""
    return f"{code[:3]} {code[3:]}" if code and len(code) == 5 else code


def address_line(case: Case) -> str | None:
    """'Götgatan 30, 118 46 Stockholm' — the latest notice's address (or Kronofogden's), None when unknown."""
    sources = sorted([*case.notices, *case.eviction_notices], key=lambda s: s.received_at)
    for source in reversed(sources):
        if source.street_address:
            place = " ".join(p for p in (postal_code(source.postal_code), source.city) if p)
            return f"{source.street_address}, {place}" if place else source.street_address
    return None
