"""Routing with the stored data: boundary and address-register imports, and the live router.

The data that routing uses is what is stored (versioned rows), never a file
read on the fly: a decision names the data version it used, and the same input
gives the same decision for the same version. Every API process keeps a built
router in memory and checks every few seconds whether a newer version was
imported (by the CLI or another process), rebuilding only then.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from shapely.geometry import shape
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db_loop import holding
from app.ids import new_id
from app.routing.boundaries import BoundarySet, read_boundaries
from app.routing.districts import DATA_DIR, load_municipality
from app.routing.addresses import AddressEntry, parse_address_register_csv
from app.routing.engine import OutsideMunicipality, Router, RoutingData, RoutingDecision, RoutingInput
from app.routing.models import AddressRegisterEntry, AddressRegisterVersion, BoundaryVersion
from app.routing.municipality import PostalAreas
from app.routing.postal import PostalTable

log = structlog.get_logger("varsel.routing")


@dataclass(frozen=True)
class ImportResult:
    version: str
    changed: bool
    count: int


def import_boundaries(session: Session, data: bytes, filename: str, municipality_code: str, *,
                      source: str | None = None) -> ImportResult:
    """Store a boundary file (GeoJSON or shapefile zip) as the active version, if it is new.

    `source` is what the version row records as its origin (default: the file's name).
    """
    municipality = load_municipality(municipality_code)
    boundary_set: BoundarySet = read_boundaries(data, filename, municipality)
    missing = boundary_set.missing(municipality)
    if missing:
        raise ValueError(f"{filename}: no boundary for the districts {', '.join(missing)}")
    existing = session.scalar(select(BoundaryVersion).where(BoundaryVersion.version == boundary_set.version))
    active = session.scalar(select(BoundaryVersion).where(BoundaryVersion.active.is_(True)))
    if existing is not None and active is not None and active.id == existing.id:
        return ImportResult(boundary_set.version, False, len(boundary_set.districts))
    for row in session.scalars(select(BoundaryVersion).where(BoundaryVersion.active.is_(True))):
        row.active = False
    if existing is None:
        session.add(
            BoundaryVersion(
                version=boundary_set.version,
                source=(source or Path(filename).name)[:300],
                geojson=boundary_set.to_geojson(),
                active=True,
            )
        )
    else:
        existing.active = True
    session.flush()
    return ImportResult(boundary_set.version, True, len(boundary_set.districts))


def active_boundaries(session: Session) -> BoundaryVersion | None:
    """The boundary version routing uses now."""
    return session.scalar(select(BoundaryVersion).where(BoundaryVersion.active.is_(True)))


# Marks a boundary version that `varsel db upgrade` took from the municipality's data pack.
PACK_SOURCE_PREFIX = "data pack: "


def pack_boundaries_file(municipality_code: str) -> Path | None:
    """The boundary file the municipality's data pack ships (``boundaries.file``), if any."""
    described = load_municipality(municipality_code).get("boundaries")
    if not described:
        return None
    return DATA_DIR / municipality_code / described["file"]


def import_pack_boundaries(session: Session, municipality_code: str) -> ImportResult | None:
    """Import the data pack's boundaries unless the operator's own are in use.

    The pack's file is imported while no boundaries are stored, and again when the
    active version came from the pack and the pack's file has changed. Boundaries an
    operator imported (`varsel districts import-boundaries`, VARSEL_DISTRICT_BOUNDARIES)
    are newer knowledge than the copy shipped with the code, so they are never
    replaced here. Returns None when nothing was considered (no pack file, or the
    operator's boundaries are active).
    """
    path = pack_boundaries_file(municipality_code)
    if path is None:
        return None
    active = active_boundaries(session)
    if active is not None and not active.source.startswith(PACK_SOURCE_PREFIX):
        return None
    return import_boundaries(session, path.read_bytes(), path.name, municipality_code,
                             source=f"{PACK_SOURCE_PREFIX}{municipality_code}/{path.name}")


def import_addresses(session: Session, text: str, source: str, municipality_code: str) -> ImportResult:
    """Replace the address register with this CSV (street, number, postal_code, district_code)."""
    entries = parse_address_register_csv(text)
    municipality = load_municipality(municipality_code)
    known = {d["code"] for d in municipality["districts"]}
    succession = {a["code"]: a["now"] for a in municipality.get("former_areas", [])}
    unknown = sorted({e.district_code for e in entries if succession.get(e.district_code, e.district_code) not in known})
    if unknown:
        raise ValueError(f"{source}: unknown district codes {', '.join(unknown)}; see `varsel districts list`")
    version = hashlib.sha256(text.encode()).hexdigest()[:16]
    if session.scalar(select(AddressRegisterVersion).where(AddressRegisterVersion.version == version)):
        latest = session.scalar(select(AddressRegisterVersion).order_by(AddressRegisterVersion.created_at.desc()))
        if latest is not None and latest.version == version:
            return ImportResult(version, False, len(entries))
    session.execute(delete(AddressRegisterEntry))
    seen: set[tuple[str, str, str]] = set()
    rows = []
    for entry in entries:
        if entry.key in seen:
            continue
        seen.add(entry.key)
        rows.append(
            {
                "street": entry.key[0],
                "number": entry.number,
                "postal_code": entry.postal_code,
                "district_code": succession.get(entry.district_code, entry.district_code),
                "version": version,
            }
        )
    if rows:
        session.execute(AddressRegisterEntry.__table__.insert(), [_with_id(r) for r in rows])
    session.add(AddressRegisterVersion(version=version, source=source[:1000], entries=len(rows)))
    session.flush()
    return ImportResult(version, True, len(rows))


def _with_id(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": new_id(), **row}


def _stored_versions(session: Session) -> tuple[str, str]:
    boundaries = session.scalar(select(BoundaryVersion.version).where(BoundaryVersion.active.is_(True))) or ""
    addresses = session.scalar(
        select(AddressRegisterVersion.version).order_by(AddressRegisterVersion.created_at.desc()).limit(1)
    ) or ""
    return boundaries, addresses


def build_routing_data(session: Session, municipality_code: str, postal: PostalTable | None = None,
                       areas: PostalAreas | None = None) -> RoutingData:
    municipality = load_municipality(municipality_code)
    boundary_row = session.scalar(select(BoundaryVersion).where(BoundaryVersion.active.is_(True)))
    boundaries = []
    if boundary_row is not None:
        for feature in boundary_row.geojson.get("features", []):
            boundaries.append((feature["properties"]["code"], shape(feature["geometry"])))
    _, addresses_version = _stored_versions(session)
    addresses = [
        AddressEntry(street=r.street, number=r.number, postal_code=r.postal_code, district_code=r.district_code)
        for r in session.scalars(select(AddressRegisterEntry))
    ]
    return RoutingData.build(
        boundaries=boundaries,
        boundaries_version=boundary_row.version if boundary_row else "",
        addresses=addresses,
        addresses_version=addresses_version,
        postal_codes=postal or PostalTable.shipped(municipality_code),
        municipality=municipality,
        areas=areas if areas is not None else PostalAreas.shipped(municipality_code),
    )


class RouterProvider:
    """The process's current router, rebuilt when a newer data version is stored."""

    def __init__(self, municipality_code: str, check_every_seconds: float = 10.0) -> None:
        self.municipality_code = municipality_code
        self.check_every = check_every_seconds
        self._router: Router | None = None
        self._versions: tuple[str, str] | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._postal = PostalTable.shipped(municipality_code)
        self._areas = PostalAreas.shipped(municipality_code)

    def get(self, session: Session) -> Router:
        now = time.monotonic()
        if self._router is not None and now - self._checked_at < self.check_every:
            return self._router
        # Read before the lock is taken: on SQLite the read takes the database's write lock (BEGIN
        # IMMEDIATE), and a thread that held this lock while it waited for that one would wait
        # forever on a request that holds that one and waits for this.
        versions = _stored_versions(session)
        # The data is built from the database while the lock is held: on the event loop the wait
        # for the lock goes to a thread (`app/db_loop.py`).
        with holding(self._lock):
            if self._router is None or versions != self._versions:
                data = build_routing_data(session, self.municipality_code, self._postal, self._areas)
                self._router = Router(data)
                self._versions = versions
                log.info("routing_data_loaded", version=data.version, register_entries=data.register_size,
                         districts=len(data.district_codes))
            self._checked_at = now
            return self._router

    def invalidate(self) -> None:
        self._checked_at = 0.0


def route(router: Router, *, street_address: str, postal_code: str, city: str,
          apartment_number: str | None, lat: float | None, lon: float | None,
          geocoded: tuple[float, float] | None = None) -> RoutingDecision | OutsideMunicipality:
    return router.route(
        RoutingInput(street_address=street_address, postal_code=postal_code, city=city,
                     apartment_number=apartment_number, lat=lat, lon=lon),
        geocoded=geocoded,
    )
