"""The escalation policy (docs/law-and-deadlines.md, "Varsel's escalation policy") as a table, rule by rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.households.rules import PRIORITY_ORDER, HouseholdFacts, assess

RENT = ("rent_arrears",)

CASES = [
    # (facts, flags, priority, units)
    (HouseholdFacts(RENT, children=0, seniors=0), [], "normal", []),
    (HouseholdFacts(RENT), ["household_unknown"], "normal", []),
    (HouseholdFacts(RENT, tenant_ages=(64,), children=0, seniors=0), [], "normal", []),
    (HouseholdFacts(RENT, tenant_ages=(65,), children=0, seniors=0), ["age_65_plus"], "high",
     ["elderly_care", "disability"]),
    (HouseholdFacts(RENT, tenant_ages=(40,), children=0, seniors=1, seniors_source="population_register"),
     ["age_65_plus"], "high", ["elderly_care", "disability"]),
    (HouseholdFacts(RENT, children=2, children_source="landlord", seniors=0), ["children"], "high",
     ["children_families"]),
    (HouseholdFacts(("disturbance_termination",), children=0, seniors=0), ["serious_disturbance"], "high", []),
    (HouseholdFacts(("disturbance_warning",), children=0, seniors=0), [], "normal", []),
    (HouseholdFacts(RENT, children=0, seniors=0, repeat="person"), ["repeat"], "high", []),
    (HouseholdFacts(RENT, children=0, seniors=0, repeat="tenancy"), ["repeat"], "high", []),
    (HouseholdFacts(RENT, children=0, seniors=0, eviction_scheduled=True), ["eviction_scheduled"], "high", []),
    (HouseholdFacts(RENT, children=1, seniors=0, eviction_scheduled=True), ["children", "eviction_scheduled"],
     "critical", ["children_families"]),
    (HouseholdFacts(RENT, tenant_ages=(70,), children=0, seniors=0, eviction_scheduled=True),
     ["age_65_plus", "eviction_scheduled"], "critical", ["elderly_care", "disability"]),
    (HouseholdFacts(RENT, children=0, seniors=0, kronofogden_without_handler=True), [], "critical", []),
    (HouseholdFacts(RENT, tenant_ages=(80,), children=3, seniors=1),
     ["age_65_plus", "children"], "high", ["elderly_care", "disability", "children_families"]),
]


@pytest.mark.parametrize(("facts", "flags", "priority", "units"), CASES)
def test_the_policy_table(facts, flags, priority, units):
    assessment = assess(facts)
    assert list(assessment.flags) == flags
    assert assessment.priority == priority
    assert list(assessment.units) == units


@pytest.mark.parametrize(("facts", "flags", "priority", "units"), CASES)
def test_every_flag_and_the_priority_say_which_rule_set_them_in_swedish(facts, flags, priority, units):
    assessment = assess(facts)
    assert set(assessment.reasons) == set(flags)
    assert all(reason.endswith(".") and len(reason) > 20 for reason in assessment.reasons.values())
    assert assessment.priority_rule
    assert assessment.as_explanation() == {"priority": assessment.priority_rule, "flags": assessment.reasons}


def test_the_source_of_a_count_is_named_in_the_reason():
    reasons = assess(HouseholdFacts(RENT, children=2, children_source="population_register", seniors=0)).reasons
    assert "folkbokföringen" in reasons["children"]
    reasons = assess(HouseholdFacts(RENT, children=2, children_source="staff", seniors=0)).reasons
    assert "handläggaren" in reasons["children"]


facts = st.builds(
    HouseholdFacts,
    notice_kinds=st.lists(st.sampled_from(["rent_arrears", "disturbance_warning", "disturbance_termination"]),
                          min_size=1, max_size=3).map(tuple),
    tenant_ages=st.lists(st.integers(0, 110), max_size=4).map(tuple),
    children=st.none() | st.integers(0, 10),
    seniors=st.none() | st.integers(0, 4),
    repeat=st.sampled_from([None, "person", "tenancy"]),
    eviction_scheduled=st.booleans(),
    kronofogden_without_handler=st.booleans(),
)


@given(facts, st.data())
def test_more_facts_never_lower_the_priority(base, data):
    """Districts may raise, never lower: and within the rules, what is added never makes a case less urgent."""
    worse = HouseholdFacts(
        base.notice_kinds + ("disturbance_termination",), base.tenant_ages + (data.draw(st.integers(0, 110)),),
        children=(base.children or 0) + data.draw(st.integers(0, 3)), seniors=base.seniors,
        repeat=base.repeat or data.draw(st.sampled_from([None, "person"])),
        eviction_scheduled=base.eviction_scheduled or data.draw(st.booleans()),
        kronofogden_without_handler=base.kronofogden_without_handler,
    )
    assert PRIORITY_ORDER.index(assess(worse).priority) >= PRIORITY_ORDER.index(assess(base).priority)


@given(facts)
def test_units_are_those_of_the_flags(f):
    assessment = assess(f)
    expected = set()
    if "age_65_plus" in assessment.flags:
        expected |= {"elderly_care", "disability"}
    if "children" in assessment.flags:
        expected |= {"children_families"}
    assert set(assessment.units) == expected
    assert ("household_unknown" in assessment.flags) == (f.children is None and f.seniors is None)
