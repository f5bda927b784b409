"""The Jinja2 environment of the staff UI."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from app.vocabulary import template_labels

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
templates.env.globals.update(template_labels())


def when(value: str | None) -> str:
    """'2026-11-24T23:59+01:00' → '2026-11-24 kl. 23.59'; a plain date stays as it is."""
    if not value or "T" not in value:
        return value or ""
    day, _, clock = value.partition("T")
    return f"{day} kl. {clock[:5].replace(':', '.')}"


templates.env.filters["when"] = when
