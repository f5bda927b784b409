"""The routing engine: which district a notice's address belongs to. Pure: no database, no web.

A notice routed to the wrong district discloses secret data to another
authority; a notice routed nowhere goes to manual routing (never dropped). So
the engine routes only when it is confident, and says why in every decision.

Order (what is reliable and why: ``app/routing/data/README.md``):

1. **Address register** — the city's own register, exact match on street name,
   number (with letter) and postal code after normalisation → ``certain``. If
   the notice (or a geocoder) also gives coordinates that lie in a *different*
   district, nothing is routed: manual, with both facts in the notes.
2. **Other municipality** — a postal code lying wholly in a neighbouring
   municipality returns :class:`OutsideMunicipality` (never a guessed district).
   Checked before everything except an exact register match.
3. **Coordinates** — from the notice (method ``boundaries``) or from a
   geocoder (method ``geocoder``), point in polygon → ``high``. Outside every
   district: noted and ignored. If the postal-code table names a different
   district for the notice's code, the notice goes to manual routing.
4. **Postal-code table** — its row's confidence (``high``/``medium``);
   ambiguous, unverified or unknown codes are not routed.
5. **Manual** — district ``None``, confidence ``none``.

Same input + same data ⇒ same decision. :class:`RoutingData` is immutable and
shared by threads; routing one notice takes a few microseconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from app.routing.addresses import AddressEntry, apartment_number_from, normalise_text, split_street_address
from app.routing.decisions import (
    OutsideMunicipality,
    REASON_COORDINATES_CONFLICT,
    REASON_POSTAL_AMBIGUOUS,
    REASON_POSTAL_CONFLICT,
    REASON_POSTAL_INVALID,
    REASON_POSTAL_UNKNOWN,
    REASON_REGISTER_CONFLICT,
    RoutingDecision,
    RoutingInput,
)
from app.routing.municipality import PostalAreas, outside_municipality
from app.routing.postal import PostalTable, format_postal_code, normalise_postal_code



# ---------------------------------------------------------------------------------------------
# The data, built once
# ---------------------------------------------------------------------------------------------


class RoutingData:
    """Boundaries (STRtree over prepared polygons), the register index and the postal table.

    Immutable after :meth:`build`; share one instance between threads and
    replace it whole when data changes.
    """

    __slots__ = (
        "_codes",
        "_geoms",
        "_tree",
        "_register",
        "postal",
        "areas",
        "names",
        "boundaries_version",
        "addresses_version",
        "version",
        "register_size",
    )

    def __init__(self) -> None:  # use build()
        self._codes: tuple[str, ...] = ()
        self._geoms: tuple[BaseGeometry, ...] = ()
        self._tree: STRtree | None = None
        self._register: dict[tuple[str, str, str], str] = {}
        self.postal: PostalTable = PostalTable.empty()
        self.areas: PostalAreas | None = None
        self.names: dict[str, str] = {}
        self.boundaries_version = ""
        self.addresses_version = ""
        self.version = ""
        self.register_size = 0

    @classmethod
    def build(
        cls,
        *,
        boundaries: Sequence[tuple[str, BaseGeometry]],
        boundaries_version: str,
        addresses: Iterable[AddressEntry],
        addresses_version: str,
        postal_codes: PostalTable,
        municipality: dict[str, Any] | None = None,
        areas: PostalAreas | None = None,
    ) -> RoutingData:
        """Build the routing data.

        `municipality` (the parsed ``municipality.json``), when given, names the
        districts (for explanations), maps former-area codes to today's district
        and rejects codes that are no district. A register naming two districts
        for one address is an error (ValueError).
        """
        data = cls()
        succession: dict[str, str] = {}
        known: set[str] | None = None
        if municipality is not None:
            data.names = {d["code"]: d["name"] for d in municipality.get("districts", [])}
            known = set(data.names)
            succession = {a["code"]: a["now"] for a in municipality.get("former_areas", [])}

        def current(code: str, what: str) -> str:
            code = succession.get(code, code)
            if known is not None and code not in known:
                raise ValueError(
                    f"{what}: unknown district code {code!r}; known: {', '.join(sorted(known))}"
                )
            return code

        grouped: dict[str, list[BaseGeometry]] = {}
        for code, geom in boundaries:
            grouped.setdefault(current(code, "boundaries"), []).append(geom)
        codes: list[str] = []
        geoms: list[BaseGeometry] = []
        for code in sorted(grouped):
            parts = [g if g.is_valid else shapely.make_valid(g) for g in grouped[code]]
            geom = parts[0] if len(parts) == 1 else shapely.union_all(parts)
            if geom.is_empty:
                continue
            shapely.prepare(geom)
            # GEOS builds a prepared polygon's point-location index on first use;
            # build it now, before threads share the geometry.
            shapely.covers(geom, geom.representative_point())
            codes.append(code)
            geoms.append(geom)
        data._codes = tuple(codes)
        data._geoms = tuple(geoms)
        data._tree = STRtree(geoms) if geoms else None
        if data._tree is not None:
            data._tree.query(geoms[0].representative_point())

        register: dict[tuple[str, str, str], str] = {}
        conflicts: list[str] = []
        for entry in addresses:
            district = current(entry.district_code, "address register")
            key = entry.key
            previous = register.setdefault(key, district)
            if previous != district:
                conflicts.append(
                    f"{entry.street} {entry.number}, {entry.postal_code}: {previous} and {district}"
                )
        if conflicts:
            raise ValueError(
                "address register names two districts for: " + "; ".join(conflicts[:20])
            )
        data._register = register
        data.register_size = len(register)

        if known is not None:
            stray = sorted(postal_codes.district_codes() - known)
            if stray:
                raise ValueError(f"postal-code table: unknown district codes {', '.join(stray)}")
        data.postal = postal_codes
        if areas is not None:
            areas.check_against(postal_codes)
        data.areas = areas
        data.boundaries_version = boundaries_version
        data.addresses_version = addresses_version
        data.version = (
            f"register:{addresses_version or '-'};boundaries:{boundaries_version or '-'};"
            f"postal:{postal_codes.version}" + (f";areas:{areas.version}" if areas is not None else "")
        )
        return data

    @property
    def district_codes(self) -> tuple[str, ...]:
        return self._codes

    def districts_at(self, lon: float, lat: float) -> list[str]:
        """Codes of every district whose polygon covers the point (0, 1 or, on a border, 2)."""
        if self._tree is None:
            return []
        point = shapely.Point(lon, lat)
        candidates = self._tree.query(point)
        if len(candidates) == 0:
            return []
        return sorted(
            self._codes[i] for i in candidates.tolist() if shapely.covers(self._geoms[i], point)
        )

    def register_lookup(self, street: str, number: str, postal_code: str) -> str | None:
        return self._register.get((street, number, postal_code))


# ---------------------------------------------------------------------------------------------
# The router
# ---------------------------------------------------------------------------------------------


def _coordinates(lat: Any, lon: Any, label: str, notes: list[str]) -> tuple[float, float] | None:
    """(lat, lon) when both are given and plausible; otherwise a note and None."""
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        notes.append(f"{label} incomplete (latitude or longitude missing); ignored")
        return None
    try:
        flat, flon = float(lat), float(lon)
    except (TypeError, ValueError):
        notes.append(f"{label} are not numbers; ignored")
        return None
    if not (math.isfinite(flat) and math.isfinite(flon)) or not (
        -90 <= flat <= 90 and -180 <= flon <= 180
    ):
        notes.append(f"{label} are out of range; ignored")
        return None
    return flat, flon


class Router:
    """Routes notices with one :class:`RoutingData`. Stateless apart from the data; thread-safe."""

    __slots__ = ("data",)

    def __init__(self, data: RoutingData) -> None:
        self.data = data

    def district_at(self, lat: float, lon: float) -> str | None:
        """The district whose polygon holds the point; None outside every district or on a border."""
        hits = self.data.districts_at(lon, lat)
        return hits[0] if len(hits) == 1 else None

    def route(
        self, inp: RoutingInput, *, geocoded: tuple[float, float] | None = None
    ) -> RoutingDecision | OutsideMunicipality:
        """Decide the district for one notice. `geocoded` is a geocoder's (lat, lon), if any.

        Only geocoder results of address quality should be passed (see
        ``integrations/geocoding/protocol.py``).
        """
        data = self.data
        notes: list[str] = []
        street, number = split_street_address(inp.street_address)
        postal = normalise_postal_code(inp.postal_code)
        notice_point = _coordinates(inp.lat, inp.lon, "coordinates", notes)
        geo_point = (
            _coordinates(geocoded[0], geocoded[1], "geocoded coordinates", notes)
            if geocoded is not None
            else None
        )
        inputs: dict[str, Any] = {
            "street": street,
            "number": number,
            "postal_code": postal if postal is not None else normalise_text(inp.postal_code),
            "city": normalise_text(inp.city),
            "apartment_number": apartment_number_from(inp.apartment_number, inp.street_address),
            "lat": notice_point[0] if notice_point else None,
            "lon": notice_point[1] if notice_point else None,
            "geocoded": [geo_point[0], geo_point[1]] if geo_point else None,
        }
        if postal is None:
            notes.append(f"postal code {inp.postal_code!r} is not a five-digit postal code")

        def decide(
            district: str | None, method: str, confidence: str, reason: str | None = None
        ) -> RoutingDecision:
            return RoutingDecision(
                district_code=district,
                method=method,
                confidence=confidence,
                inputs=inputs,
                data_version=data.version,
                notes=notes,
                district_name=data.names.get(district) if district else None,
                reason=reason,
            )

        points = [
            ("boundaries", "coordinates", notice_point),
            ("geocoder", "geocoded coordinates", geo_point),
        ]
        located: list[tuple[str, str, str]] = []  # (method, label, district)
        if data.district_codes:
            for method, label, point in points:
                if point is None:
                    continue
                hits = data.districts_at(point[1], point[0])
                if len(hits) == 1:
                    located.append((method, label, hits[0]))
                elif not hits:
                    notes.append(f"{label} lie outside every district; ignored")
                else:
                    notes.append(f"{label} lie on the border of {' and '.join(hits)}; ignored")
        elif notice_point or geo_point:
            notes.append("no district boundaries loaded; coordinates not used")

        # 1. The city's address register: authoritative, even over the postal code's municipality.
        if street and number and postal:
            registered = data.register_lookup(street, number, postal)
            if registered is not None:
                for _method, label, district in located:
                    if district != registered:
                        notes.append(
                            f"address register says {registered} but {label} say {district}: manual routing"
                        )
                        return decide(None, "manual", "none", REASON_REGISTER_CONFLICT)
                return decide(registered, "address_register", "certain")
            if data.register_size:
                notes.append("address not in the address register")

        # 2. A postal code outside the municipality: not ours, never a guessed district.
        if postal is not None:
            outside, elsewhere = outside_municipality(postal, data.postal, data.areas)
            if outside:
                return OutsideMunicipality(municipality=elsewhere, postal_code=postal)

        postal_match = data.postal.lookup(postal) if postal is not None else None

        # 3. Coordinates in a district polygon.
        if located:
            method, label, district = located[0]
            for _other_method, other_label, other in located[1:]:
                if other != district:
                    notes.append(
                        f"{label} say {district} but {other_label} say {other}: manual routing"
                    )
                    return decide(None, "manual", "none", REASON_COORDINATES_CONFLICT)
            if postal_match is not None and postal_match.district_code not in (None, district):
                notes.append(
                    f"{label} say {district} but the postal-code table says "
                    f"{postal_match.district_code}: manual routing"
                )
                return decide(None, "manual", "none", REASON_POSTAL_CONFLICT)
            return decide(district, method, "high")

        # 4. The postal-code table.
        if postal_match is None:
            return decide(None, "manual", "none", REASON_POSTAL_INVALID)
        if postal_match.district_code is not None:
            notes.append(f"postal code {format_postal_code(postal)}: {postal_match.note}")  # type: ignore[arg-type]
            return decide(postal_match.district_code, "postal_code", postal_match.confidence)
        notes.append(f"postal code {format_postal_code(postal)}: {postal_match.note}")  # type: ignore[arg-type]
        reason = REASON_POSTAL_AMBIGUOUS if postal_match.matched else REASON_POSTAL_UNKNOWN
        return decide(None, "manual", "none", reason)
