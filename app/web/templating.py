"""The Jinja2 environment of the staff UI, and its Swedish: dates, money, counts, deadlines, routing.

Everything a page shows of a date, an amount or a count goes through these
filters, so it reads the same everywhere ("4 200 kr", "1 vardag", "2 vardagar",
"20 november 2026", "2026-11-24 kl. 23.59", times in Europe/Stockholm).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates

from app.calendar import STOCKHOLM, vardagar_until
from app.routing.engine import RoutingDecision
from app.vocabulary import resolution_label, template_labels
from notifications.swedish import MONTHS, format_sek_short, long_date

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
templates.env.globals.update(template_labels())


def when(value: str | datetime | None) -> str:
    """'2026-11-24T23:59+01:00' (or a datetime) → '2026-11-24 kl. 23.59' in Swedish time; a plain date stays."""
    if isinstance(value, datetime):
        value = value.astimezone(STOCKHOLM).isoformat(timespec="minutes")
    if not value or "T" not in value:
        return value or ""
    day, _, clock = value.partition("T")
    return f"{day} kl. {clock[:5].replace(':', '.')}"


def _day(value: str | date | datetime) -> date:
    if isinstance(value, datetime):
        return value.astimezone(STOCKHOLM).date()
    if isinstance(value, date):
        return value
    if "T" in value:
        return datetime.fromisoformat(value).astimezone(STOCKHOLM).date()
    return date.fromisoformat(value)


def datum(value: str | date | datetime | None) -> str:
    """'20 november 2026' (a moment: its day in Sweden)."""
    return long_date(_day(value)) if value else "–"


def short_date(value: str | date | datetime, today: date | None = None) -> str:
    """'20 nov', with the year when it is not this year's: '30 dec 2025'."""
    day = _day(value)
    text = f"{day.day} {MONTHS[day.month - 1][:3]}"
    return text if today is not None and day.year == today.year else f"{text} {day.year}"


def kr(value: Any) -> str:
    """'4 200 kr', '16 900,50 kr' — from a Decimal, an int or the JSON's '4200.00'; unknown gives '–'."""
    if value is None or isinstance(value, bool):
        return "–"
    try:
        return format_sek_short(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return "–"


def plural(count: int, one: str, many: str) -> str:
    """'1 vardag', '2 vardagar', '0 vardagar'."""
    return f"{count} {one if abs(count) == 1 else many}"


def vardagar(count: int) -> str:
    return plural(count, "vardag", "vardagar")


def deadline_badge(deadline: dict[str, Any] | None, today: date) -> dict[str, str] | None:
    """How urgent a deadline looks: state (passed, today, soon = at most 2 vardagar, later), icon and text.

    `deadline` has "date" (or "due") and "estimated". An estimated date (the
    tenant's service date unknown) is the earliest possible one: it reads "ca …,
    preliminärt" and never looks as urgent as a firm date.
    """
    if not deadline:
        return None
    day = _day(deadline.get("date") or deadline["due"])
    shown = short_date(day, today)
    if deadline.get("estimated"):
        passed = " – kan ha passerat" if day < today else ""
        return {"state": "estimated", "icon": "≈", "text": f"Preliminärt ca {shown}{passed}", "date": shown}
    left = vardagar_until(today, day)
    if day < today:
        return {"state": "passed", "icon": "⚠", "text": f"Passerad {shown}", "date": shown}
    if day == today:
        return {"state": "today", "icon": "●", "text": "I dag", "date": shown}
    if left <= 2:
        text = f"{vardagar(left)} kvar" if left else plural((day - today).days, "dag", "dagar") + " kvar"
        return {"state": "soon", "icon": "◐", "text": text, "date": shown}
    return {"state": "later", "icon": "○", "text": f"{vardagar(left)} kvar", "date": shown}


def routing_text(routing: dict[str, Any] | None) -> str:
    """Why a notice went where it went, in Swedish (the stored decision's method and reason code)."""
    if not routing:
        return "Uppgift saknas om hur underrättelsen fördelades."
    manual = routing.get("manual")
    if manual:
        before = routing_text({**routing, **manual.get("automatic", {}), "manual": None,
                               "district_code": None, "district_name": None})
        name = routing.get("district_name") or routing.get("district_code")
        return f"Fördelad manuellt till {name}. Innan dess: {before}"
    decision = RoutingDecision(
        district_code=routing.get("district_code"), method=routing.get("method") or "manual",
        confidence=routing.get("confidence") or "none", inputs=routing.get("inputs") or {},
        data_version=routing.get("data_version") or "", district_name=routing.get("district_name"),
        reason=routing.get("reason"))
    return decision.explain_sv()


templates.env.filters.update(when=when, datum=datum, kort_datum=short_date, kr=kr, vardagar=vardagar,
                             routing_text=routing_text, resolution=resolution_label)
templates.env.globals.update(plural=plural, deadline_badge=deadline_badge)
