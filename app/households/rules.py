"""Escalation rules: who lives there decides how urgent a case is. Pure, table-tested.

The policy is the table "Varsel's escalation policy" in
`docs/law-and-deadlines.md`. Every flag and the priority carry the rule that
set them, in Swedish, shown to staff as the explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.vocabulary import Flag, NoticeKind, Priority, Unit

PRIORITY_ORDER = (Priority.NORMAL, Priority.HIGH, Priority.CRITICAL)

UNITS_FOR_65_PLUS = (Unit.ELDERLY_CARE, Unit.DISABILITY)
UNITS_FOR_CHILDREN = (Unit.CHILDREN_FAMILIES,)


@dataclass(frozen=True)
class HouseholdFacts:
    notice_kinds: tuple[str, ...]
    # Ages of the contract holders from their identity numbers, on the day each notice was received.
    tenant_ages: tuple[int, ...] = ()
    children: int | None = None  # None: unknown
    children_source: str | None = None  # 'landlord' | 'population_register'
    seniors: int | None = None  # residents aged 65+, None: unknown
    seniors_source: str | None = None
    repeat: str | None = None  # 'person' | 'tenancy' (possible repeat, by address) | None
    eviction_scheduled: bool = False
    kronofogden_without_handler: bool = False


@dataclass(frozen=True)
class Assessment:
    flags: tuple[str, ...]
    reasons: dict[str, str] = field(default_factory=dict)  # flag → rule (Swedish)
    priority: str = Priority.NORMAL
    priority_rule: str = "Ingen särskild omständighet: normal prioritet."
    units: tuple[str, ...] = ()

    def as_explanation(self) -> dict[str, object]:
        return {"priority": self.priority_rule, "flags": dict(self.reasons)}


def _raise(current: tuple[str, str], level: str, rule: str) -> tuple[str, str]:
    """Priorities only go up; the first rule that reached the final level is the explanation."""
    if PRIORITY_ORDER.index(level) > PRIORITY_ORDER.index(current[0]):
        return level, rule
    return current


def assess(facts: HouseholdFacts) -> Assessment:
    flags: list[str] = []
    reasons: dict[str, str] = {}
    units: list[str] = []
    priority = (Priority.NORMAL, "Ingen särskild omständighet: normal prioritet.")

    oldest = max(facts.tenant_ages, default=None)
    has_senior = (oldest is not None and oldest >= 65) or (facts.seniors or 0) > 0
    if has_senior:
        flags.append(Flag.AGE_65_PLUS)
        if oldest is not None and oldest >= 65:
            reasons[Flag.AGE_65_PLUS] = f"En hyresgäst är {oldest} år enligt personnumret (65 år eller äldre)."
        else:
            source = _source_sv(facts.seniors_source)
            reasons[Flag.AGE_65_PLUS] = f"{facts.seniors} boende 65 år eller äldre enligt {source}."
        units.extend(UNITS_FOR_65_PLUS)
        priority = _raise(priority, Priority.HIGH, "Person 65 år eller äldre: minst hög prioritet och gemensam "
                                            "initial bedömning med äldreomsorg och funktionsnedsättning.")

    has_children = (facts.children or 0) > 0
    if has_children:
        flags.append(Flag.CHILDREN)
        reasons[Flag.CHILDREN] = f"{facts.children} barn under 18 år enligt {_source_sv(facts.children_source)}."
        units.extend(UNITS_FOR_CHILDREN)
        priority = _raise(priority, Priority.HIGH, "Barn i hushållet: minst hög prioritet; barnets situation "
                                            "utreds av barn och familj.")

    if NoticeKind.DISTURBANCE_TERMINATION in facts.notice_kinds:
        flags.append(Flag.SERIOUS_DISTURBANCE)
        reasons[Flag.SERIOUS_DISTURBANCE] = ("Uppsägning för särskilt allvarliga störningar "
                                          "(JB 12 kap. 42 § fjärde stycket): hyresgästen håller redan på att förlora bostaden.")
        priority = _raise(priority, Priority.HIGH, "Uppsägning för särskilt allvarliga störningar: minst hög prioritet.")

    if facts.repeat is not None:
        flags.append(Flag.REPEAT)
        reasons[Flag.REPEAT] = (
            "Ytterligare en underrättelse för samma person inom tolv månader."
            if facts.repeat == "person"
            else "Möjlig upprepning: en underrättelse för samma adress och lägenhet inom tolv månader "
                 "(bekräfta att det är samma hushåll)."
        )
        priority = _raise(priority, Priority.HIGH, "Upprepad underrättelse inom tolv månader: minst hög prioritet.")

    if facts.eviction_scheduled:
        flags.append(Flag.EVICTION_SCHEDULED)
        reasons[Flag.EVICTION_SCHEDULED] = "Kronofogden har bestämt tid för avhysning."
        if has_children or has_senior:
            who = "barn" if has_children else "person 65 år eller äldre"
            priority = _raise(priority, Priority.CRITICAL, f"Avhysning är utsatt och hushållet har {who}: kritisk prioritet.")
        else:
            priority = _raise(priority, Priority.HIGH, "Avhysning är utsatt: minst hög prioritet.")

    if facts.kronofogden_without_handler:
        priority = _raise(priority, Priority.CRITICAL, "Underrättelse om avhysning från Kronofogden och ingen ansvarig "
                                                "handläggare: kritisk prioritet, ärendet går till enhetschefen.")

    household_known = facts.children is not None or facts.seniors is not None
    if not household_known:
        flags.append(Flag.HOUSEHOLD_UNKNOWN)
        reasons[Flag.HOUSEHOLD_UNKNOWN] = ("Hushållets sammansättning är okänd: ta reda på om barn eller "
                                        "personer 65 år eller äldre bor i lägenheten.")

    return Assessment(
        flags=tuple(flags),
        reasons=reasons,
        priority=priority[0],
        priority_rule=priority[1],
        units=tuple(dict.fromkeys(units)),
    )


def _source_sv(source: str | None) -> str:
    return {
        "landlord": "hyresvärden (med samtycke)",
        "population_register": "folkbokföringen",
        "staff": "handläggaren",
    }.get(source or "", "uppgift i ärendet")
