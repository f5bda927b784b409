"""docs/law-and-deadlines.md says what the code does: every example is recomputed by
`app/deadlines/rules.py`, and the defaults it names are the code's defaults."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.config import Settings
from app.deadlines import rules
from app.deadlines.policy import DEFAULT_POLICY
from app.households.rules import UNITS_FOR_65_PLUS, UNITS_FOR_CHILDREN
from tests.docs.conftest import DOCS

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TEXT = (DOCS / "law-and-deadlines.md").read_text(encoding="utf-8")
FLAT = " ".join(TEXT.split())  # sentences wrap across lines


def table_rows(first_cell: str) -> list[list[str]]:
    """The rows of the table whose first cell matches `first_cell` (a regular expression)."""
    return [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in TEXT.splitlines() if re.match(rf"^\| {first_cell} \|", line)]


def test_every_redemption_example_is_what_the_rules_compute():
    rows = table_rows(r"\d{4}-\d{2}-\d{2}")
    assert len(rows) >= 6
    for sent, served, end, decision, estimated, _why in rows:
        served_on = None if served == "—" else date.fromisoformat(served)
        computed_end, computed_estimated = rules.redemption_period_end(date.fromisoformat(sent), served_on)
        assert computed_end.isoformat() == end, (sent, served)
        assert rules.eviction_decision_earliest(computed_end).isoformat() == decision, (sent, served)
        assert computed_estimated == (estimated == "yes"), (sent, served)


def test_the_worked_example_in_words():
    end, _ = rules.redemption_period_end(date(2025, 12, 5), date(2025, 12, 3))
    assert f"**Monday {end.isoformat()}**" in FLAT


def test_every_kronofogden_example_is_what_the_rules_compute():
    rows = table_rows(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(\w+\)")
    assert len(rows) == 3
    for received, due in rows:
        at = datetime.strptime(received.split(" (")[0], "%Y-%m-%d %H:%M").replace(tzinfo=STOCKHOLM)
        computed = rules.kronofogden_acknowledgement_due(at).astimezone(STOCKHOLM)
        assert computed.strftime("%Y-%m-%d %H:%M") == due, received


def test_the_service_level_example_and_the_policy_defaults():
    received = datetime(2026, 12, 4, 17, 0, tzinfo=STOCKHOLM)
    normal = rules.first_contact_due(received, DEFAULT_POLICY.first_contact_vardagar).astimezone(STOCKHOLM)
    urgent = rules.first_contact_due(received, DEFAULT_POLICY.first_contact_vardagar_urgent).astimezone(STOCKHOLM)
    assert f"due on Tuesday {normal:%Y-%m-%d} at 23:59 (Monday {urgent:%Y-%m-%d} for a high-priority case)" in FLAT
    assert f"due on {rules.budget_advice_offer_due(received).isoformat()}" in FLAT
    ordinal = {1: "1st", 2: "2nd"}
    assert (f"by the end of the {ordinal[DEFAULT_POLICY.first_contact_vardagar]} weekday after receipt" in FLAT
            and f"the {ordinal[DEFAULT_POLICY.first_contact_vardagar_urgent]} for `high` and `critical`" in FLAT)
    assert f"when {DEFAULT_POLICY.redemption_reminder_vardagar} weekdays remain" in FLAT
    assert f"to the district's managers at 08:00 when {DEFAULT_POLICY.redemption_escalation_vardagar} weekdays" \
           in FLAT
    assert f"every {DEFAULT_POLICY.kronofogden_reminder_minutes} minutes" in FLAT
    assert f"{DEFAULT_POLICY.kronofogden_escalation_hours_before} hours before the end of the day" in FLAT
    assert f"{rules.BUDGET_ADVICE_DAYS} calendar days" in FLAT


def test_the_retention_defaults_are_the_settings_defaults():
    defaults = Settings()
    rows = {row[0].strip("`"): row[1].strip("`") for row in table_rows(r"`VARSEL_RETENTION_\w+`")}
    assert rows == {
        "VARSEL_RETENTION_NO_MEASURE_DAYS": str(defaults.retention_no_measure_days),
        "VARSEL_RETENTION_CLOSED_DAYS": str(defaults.retention_closed_days),
        "VARSEL_RETENTION_UNROUTED_DAYS": str(defaults.retention_unrouted_days),
    }


def test_the_escalation_table_names_the_units_the_rules_ask():
    [senior] = [row for row in table_rows(r"a tenant or resident aged 65 or older")]
    [children] = [row for row in table_rows(r"children under 18 in the household")]
    assert set(re.findall(r"`(\w+)`", senior[2])) == set(UNITS_FOR_65_PLUS)
    assert set(re.findall(r"`(\w+)`", children[2])) == set(UNITS_FOR_CHILDREN)
