"""The October 2026 numbers, worked out by hand from the timeline in tests/reports/conftest.py.

Stockholm months: October runs from 2026-09-30 22:00 UTC to 2026-10-31 23:00 UTC.
"""

from __future__ import annotations

ZERO_OUTCOMES = {o: 0 for o in ("rent_paid", "payment_plan", "payment_commitment", "termination_withdrawn",
                                "moved_out", "evicted", "declined_support", "no_contact", "referred", "other")}


def trend(**months: tuple[int, int, int, int]) -> list[dict]:
    """The 12 points Nov 2025 … Oct 2026; months given as m2026_06=(notices, opened, evictions, missed)."""
    points = []
    for year, month in [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 11)]:
        key = f"m{year}_{month:02d}"
        notices, opened, evictions, missed = months.get(key, (0, 0, 0, 0))
        points.append({"month": f"{year}-{month:02d}", "notices_received": notices, "cases_opened": opened,
                       "evictions": evictions, "missed_deadlines": missed})
    return points


SODERMALM_OCTOBER = {
    "month": "2026-10",
    "district": {"code": "sodermalm", "name": "Södermalm"},
    "period_start": "2026-10-01T00:00:00+02:00",
    "period_end": "2026-11-01T00:00:00+01:00",
    "generated_at": "2026-11-02T08:00:00+01:00",
    # N1 (00:30 on the 1st), N2, N3, N4, N5 — not N0 (23:30 on 30 Sep) nor N6 (00:30 on 1 Nov)
    "notices": {
        "received": 5,
        "by_kind": {"rent_arrears": 3, "disturbance_warning": 1, "disturbance_termination": 1},
        "by_landlord": [{"landlord": "Bostadsbolaget AB", "count": 3},      # N1, N2, N5
                        {"landlord": "Hyresvärden Söder AB", "count": 2}],  # N3, N4
    },
    # the cases of those five notices: C1 and C5 have children, C2 a tenant of 70, C4 repeats N0's flat
    "households": {"with_notice": 5, "children": 2, "age_65_plus": 1, "repeat": 1},
    # closed: C0 referred (opened in September), C1 rent_paid, C2 evicted, C3 declined_support
    "cases": {"opened": 5, "closed": 4,
              "closed_by_outcome": {**ZERO_OUTCOMES, "referred": 1, "rent_paid": 1, "evicted": 1,
                                    "declined_support": 1}},
    # CX by the landlord's event on 14 Oct (1 child), C2 closed as evicted without an event (aged 70);
    # CX's own closing as evicted on 1 Nov does not count it again
    "evictions": {"carried_out": 2, "children_affected": 1, "age_65_plus_affected": 1},
    "timeliness": {
        "cases_opened": 5,
        # C1 reached, C3 two attempts, C5 reached the same day: met; C2 and C4: missed
        "first_contact": {"met": 3, "missed": 2, "pending": 0, "cancelled": 0, "none": 0},
        "first_contact_within_service_level_share": 0.6,
        # reached: C1 1 vardag (Thu 1 → Fri 2 Oct), C2 4 (Mon 5 → Fri 9 Oct), C5 0 (same day)
        "cases_with_first_contact": 3,
        "median_vardagar_to_first_contact": 1,
        # rent arrears: C1 (ends 22 Oct, reached 2 Oct), C2 (ends 26 Oct, reached 9 Oct), C4 (not reached)
        "redemption_cases": 3,
        "contacted_before_redemption_end": 2,
        "contacted_before_redemption_end_share": 0.6667,
        # due in October and missed: first contact of C0 (2 Oct), C2 (6 Oct), C4 (21 Oct);
        # C1's budget-advice offer (8 Oct); C2's redemption period (26 Oct)
        "missed_deadlines": {"total": 5, "by_kind": {"first_contact": 3, "redemption_period_end": 1,
                                                     "budget_advice_offer": 1, "kronofogden_acknowledgement": 0}},
    },
    "joint_assessments": {
        # C1 children (1 Oct), C2 elderly care + disability (5 Oct), C5 children (28 Oct)
        "requested": {"total": 4, "by_unit": {"elderly_care": 1, "disability": 1, "children_families": 2}},
        # CX children (14 Oct, requested in August), C2 elderly care (20 Oct)
        "completed": {"total": 2, "by_unit": {"elderly_care": 1, "disability": 0, "children_families": 1}},
    },
    # open at 1 Nov 00:00: C5 (3 days), C4 (11 days), CX (82 days; closed 1 Nov 10:00), CY (138 days)
    "backlog": {"as_of": "2026-11-01T00:00:00+01:00", "total": 4,
                "by_age": {"0-7": 1, "8-30": 1, "31-90": 1, "over_90": 1}},
    # June: NY, its first contact missed; August: NX, its first contact, budget advice and redemption missed;
    # September: N0 (its first contact fell due and was missed in October)
    "trend": trend(m2026_06=(1, 1, 0, 1), m2026_08=(1, 1, 0, 3), m2026_09=(1, 1, 0, 0),
                   m2026_10=(5, 5, 2, 5)),
    "by_district": None,
    "municipality": "Stockholms stad",
}

DISTRICTS = {
    "bromma": "Bromma", "enskede-arsta-vantor": "Enskede-Årsta-Vantör", "farsta": "Farsta",
    "hagersten-alvsjo": "Hägersten-Älvsjö", "hasselby-vallingby": "Hässelby-Vällingby", "jarva": "Järva",
    "kungsholmen": "Kungsholmen", "norra-innerstaden": "Norra innerstaden", "skarpnack": "Skarpnäck",
    "skarholmen": "Skärholmen", "sodermalm": "Södermalm",
}

# The whole city adds Järva's J1 (10 Oct, landlord A, rent arrears, 1 child, never reached).
CITY_OCTOBER = {
    **SODERMALM_OCTOBER,
    "district": None,
    "notices": {
        "received": 6,
        "by_kind": {"rent_arrears": 4, "disturbance_warning": 1, "disturbance_termination": 1},
        "by_landlord": [{"landlord": "Bostadsbolaget AB", "count": 4},
                        {"landlord": "Hyresvärden Söder AB", "count": 2}],
    },
    "households": {"with_notice": 6, "children": 3, "age_65_plus": 1, "repeat": 1},
    "cases": {**SODERMALM_OCTOBER["cases"], "opened": 6},
    "timeliness": {
        **SODERMALM_OCTOBER["timeliness"],
        "cases_opened": 6,
        "first_contact": {"met": 3, "missed": 3, "pending": 0, "cancelled": 0, "none": 0},
        "first_contact_within_service_level_share": 0.5,
        "redemption_cases": 4,
        "contacted_before_redemption_end_share": 0.5,
        # J1's first contact (Mon 12 Oct) and budget-advice offer (17 Oct)
        "missed_deadlines": {"total": 7, "by_kind": {"first_contact": 4, "redemption_period_end": 1,
                                                     "budget_advice_offer": 2, "kronofogden_acknowledgement": 0}},
    },
    "joint_assessments": {
        "requested": {"total": 5, "by_unit": {"elderly_care": 1, "disability": 1, "children_families": 3}},
        "completed": SODERMALM_OCTOBER["joint_assessments"]["completed"],
    },
    "backlog": {"as_of": "2026-11-01T00:00:00+01:00", "total": 5,
                "by_age": {"0-7": 1, "8-30": 2, "31-90": 1, "over_90": 1}},
    "trend": trend(m2026_06=(1, 1, 0, 1), m2026_08=(1, 1, 0, 3), m2026_09=(1, 1, 0, 0),
                   m2026_10=(6, 6, 2, 7)),
    "by_district": [
        {"code": code, "name": name, "notices_received": {"sodermalm": 5, "jarva": 1}.get(code, 0),
         "cases_opened": {"sodermalm": 5, "jarva": 1}.get(code, 0)}
        for code, name in sorted(DISTRICTS.items())
    ],
}
