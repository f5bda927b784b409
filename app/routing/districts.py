"""Districts as data: the municipality's data pack and seeding it into the database.

A deployment serves one municipality (``VARSEL_MUNICIPALITY``); its pack in
``app/routing/data/<code>/`` names its districts, their validity dates and the
former areas they took over. A reorganisation is a new pack version and a data
change (`valid_to` on the old district, a new row, former areas mapped), never
a code change.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.routing.models import District, FormerArea
from app.sql import planned_each_time

DATA_DIR = Path(__file__).resolve().parent / "data"


class UnknownMunicipality(ValueError):
    pass


@lru_cache
def load_municipality(code: str) -> dict[str, Any]:
    path = DATA_DIR / code / "municipality.json"
    if not path.is_file():
        known = sorted(p.name for p in DATA_DIR.iterdir() if (p / "municipality.json").is_file())
        raise UnknownMunicipality(
            f"no data pack for municipality {code!r} (VARSEL_MUNICIPALITY); known: {', '.join(known)}"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def seed_districts(session: Session, municipality: dict[str, Any]) -> int:
    """Bring the districts in line with the pack. Returns how many rows were added.

    Missing districts and former areas are inserted. For existing districts the
    pack decides the name and the validity dates — a reorganisation is an edit
    of the pack (a `valid_to` on the old district, the new district, a former
    area pointing to it) and `varsel db upgrade`, not a code change. Contact
    details stay as admins set them.
    """
    existing = {d.code: d for d in session.scalars(select(District))}
    contact = municipality.get("contact", {})
    added = 0
    for item in municipality["districts"]:
        if item["code"] in existing:
            district = existing[item["code"]]
            district.name = item["name"]
            district.valid_from = date.fromisoformat(item["valid_from"])
            district.valid_to = date.fromisoformat(item["valid_to"]) if item.get("valid_to") else None
            continue
        district = District(
            code=item["code"],
            name=item["name"],
            municipality=municipality["code"],
            valid_from=date.fromisoformat(item["valid_from"]),
            valid_to=date.fromisoformat(item["valid_to"]) if item.get("valid_to") else None,
            contact_phone=item.get("phone", contact.get("phone")),
            contact_email=item.get("email"),
            contact_address=item.get("address", contact.get("address")),
        )
        session.add(district)
        existing[district.code] = district
        added += 1
    session.flush()
    known_areas = set(session.scalars(select(FormerArea.code)))
    for area in municipality.get("former_areas", []):
        if area["code"] in known_areas:
            continue
        session.add(
            FormerArea(
                code=area["code"],
                name=area["name"],
                valid_until=date.fromisoformat(area["valid_until"]),
                district_id=existing[area["now"]].id,
            )
        )
        added += 1
    session.flush()
    return added


def current_districts(session: Session, on: date | None = None) -> list[District]:
    day = on or date.today()
    rows = session.scalars(select(District).order_by(District.code))
    return [d for d in rows if d.is_valid_on(day)]


# Built once: a notice sent alone looks its district up once per request.
_BY_CODE = select(District).where(District.code == bindparam("code"))


# The columns the intake reads of a notice's district, as plain data: its id, its code and name (the
# receipt, the messages) and its policy (the deadlines' reminders). For a caller that looks it up
# with others in one round trip (`app/sql.py: fetch_together`); a code it does not find (a former
# area's) is then asked of `district_by_code`. Planned each time, as intake's other look-ups are:
# so it goes in the same one message as they do (a probe of a unique index plans in microseconds).
DISTRICT_ROW = planned_each_time(select(District.id, District.code, District.name, District.municipality,
                                        District.policy).where(District.code == bindparam("code")))


def district_by_code(session: Session, code: str) -> District | None:
    district = session.scalar(_BY_CODE, {"code": code})
    if district is not None:
        return district
    # A former area's code still names its successor (old notices, old files).
    area = session.scalar(select(FormerArea).where(FormerArea.code == code))
    return area.district if area else None
