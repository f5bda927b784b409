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

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from app.routing.municipality import PostalAreas, outside_municipality
from app.routing.postal import PostalTable, format_postal_code, normalise_postal_code

METHODS = ("address_register", "boundaries", "geocoder", "postal_code", "manual")
CONFIDENCES = ("certain", "high", "medium", "none")

# Why a decision went to manual routing (used for the Swedish explanation).
REASON_REGISTER_CONFLICT = "register_conflict"
REASON_COORDINATES_CONFLICT = "coordinates_conflict"
REASON_POSTAL_CONFLICT = "postal_conflict"
REASON_POSTAL_AMBIGUOUS = "postal_ambiguous"
REASON_POSTAL_UNKNOWN = "postal_unknown"
REASON_POSTAL_INVALID = "postal_invalid"


# ---------------------------------------------------------------------------------------------
# Text normalisation and address splitting
# ---------------------------------------------------------------------------------------------

_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})
_WS = re.compile(r"\s+")
_NUMBER = re.compile(
    r"(?P<num>\d+)(?:\s*(?P<letter>[a-zåäöéü])(?![a-zåäöéü0-9]))?"
    r"(?:\s*-\s*(?P<num2>\d+)(?:\s*(?P<letter2>[a-zåäöéü])(?![a-zåäöéü0-9]))?)?"
)
_FIRST_NUMBER_TOKEN = re.compile(r"(?:^|(?<=\s))\d")
_APARTMENT = re.compile(r"\b(?:lgh|lägenhet|lägenhetsnummer|lgh\.)\s*(?:nr\.?\s*)?(\d{4})\b")


def normalise_text(value: str | None) -> str:
    """NFC, casefold, one kind of dash, whitespace folded to single spaces."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", str(value)).translate(_DASHES).casefold()
    return _WS.sub(" ", text).strip()


def normalise_street(value: str | None) -> str:
    """A street name as the register key uses it: normalised text, no trailing punctuation.

    No abbreviation is expanded or guessed ('S:t', 'g.', 'v.' stay as written):
    a register match must be exact after this normalisation.
    """
    return normalise_text(value).strip(" .,;")


def normalise_number(value: str | None) -> str | None:
    """'30 A' → '30a', '5-7' → '5-7'; None when it is not a street number."""
    text = normalise_text(value)
    if not text:
        return None
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    return _number_from_match(match)


def _number_from_match(match: re.Match[str]) -> str:
    number = match["num"] + (match["letter"] or "")
    if match["num2"]:
        number += "-" + match["num2"] + (match["letter2"] or "")
    return number


def split_street_address(value: str | None) -> tuple[str, str | None]:
    """Split a written street address into (street name, number with letter).

    'Götgatan 30 A' → ('götgatan', '30a');
    'Sankt Eriksgatan 117, lgh 1102' → ('sankt eriksgatan', '117');
    'Hornsgatan 12B lgh 1001 2 tr' → ('hornsgatan', '12b');
    'Drottninggatan 5-7' → ('drottninggatan', '5-7');
    'Skeppsholmen' → ('skeppsholmen', None).

    Pragmatic rules: the text is normalised (casefold, whitespace folded);
    anything after the first comma is dropped (apartment, floor, c/o); the
    street name is the text before the first word that starts with a digit;
    the number is that word's digits, an optional single letter (written
    together or apart) and an optional range ('5-7'). Whatever follows (lgh,
    tr, entrance) is ignored. No abbreviation is expanded.
    """
    text = normalise_text(value)
    head = text.split(",", 1)[0].strip()
    first = _FIRST_NUMBER_TOKEN.search(head)
    if first is None:
        return normalise_street(head), None
    street = normalise_street(head[: first.start()])
    match = _NUMBER.match(head, first.start())
    if match is None:  # cannot happen: a digit starts the token
        return street, None
    return street, _number_from_match(match)


def _apartment(explicit: str | None, street_address: str) -> str | None:
    if explicit is not None and str(explicit).strip():
        text = normalise_text(explicit)
        text = re.sub(r"^(?:lgh\.?|lägenhet(?:snummer)?)\s*(?:nr\.?)?\s*", "", text)
        return text.replace(" ", "") or None
    found = _APARTMENT.search(normalise_text(street_address))
    return found.group(1) if found else None


# ---------------------------------------------------------------------------------------------
# The address register
# ---------------------------------------------------------------------------------------------

REGISTER_COLUMNS = ("street", "number", "postal_code", "district_code")


@dataclass(frozen=True)
class AddressEntry:
    """One address of the city's register. `number` is normalised ('30a'), `postal_code` five digits."""

    street: str
    number: str
    postal_code: str
    district_code: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (normalise_street(self.street), self.number, self.postal_code)


def parse_address_register_csv(text: str) -> list[AddressEntry]:
    """Parse the register CSV (header ``street,number,postal_code,district_code``).

    UTF-8 text, with or without BOM; ``,`` or ``;`` as delimiter (detected from
    the header). Column order is free; names are case-insensitive. Raises
    ValueError naming the line of every bad row (unknown or missing columns,
    wrong field count, empty street, bad number, bad postal code, empty district).
    """
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), None)
    if header_line is None:
        raise ValueError("address register: the file is empty (expected a header line)")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    entries: list[AddressEntry] = []
    errors: list[str] = []
    for record in reader:
        line_no = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.strip().casefold() for cell in record]
            unknown = [c for c in header if c not in REGISTER_COLUMNS]
            missing = [c for c in REGISTER_COLUMNS if c not in header]
            duplicated = sorted({c for c in header if header.count(c) > 1})
            problems = []
            if unknown:
                problems.append(f"unknown columns: {', '.join(unknown)}")
            if missing:
                problems.append(f"missing columns: {', '.join(missing)}")
            if duplicated:
                problems.append(f"repeated columns: {', '.join(duplicated)}")
            if problems:
                raise ValueError(
                    f"address register: line {line_no}: {'; '.join(problems)} "
                    f"(expected {','.join(REGISTER_COLUMNS)})"
                )
            continue
        if len(record) != len(header):
            errors.append(f"line {line_no}: {len(record)} fields, expected {len(header)}")
            continue
        row = {k: v.strip() for k, v in zip(header, record)}
        row_errors = []
        street = _WS.sub(" ", unicodedata.normalize("NFC", row["street"])).strip()
        if not street:
            row_errors.append("empty street")
        number = normalise_number(row["number"])
        if number is None:
            row_errors.append(f"bad number {row['number']!r}")
        postal = normalise_postal_code(row["postal_code"])
        if postal is None:
            row_errors.append(f"bad postal code {row['postal_code']!r}")
        district = row["district_code"]
        if not district:
            row_errors.append("empty district_code")
        if row_errors:
            errors.append(f"line {line_no}: {', '.join(row_errors)}")
            continue
        entries.append(AddressEntry(street, number, postal, district))  # type: ignore[arg-type]
    if header is None:
        raise ValueError("address register: the file is empty (expected a header line)")
    if errors:
        shown = errors[:20]
        more = f"; and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise ValueError("address register: " + "; ".join(shown) + more)
    return entries


# ---------------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingDecision:
    district_code: str | None
    method: str  # 'address_register' | 'boundaries' | 'geocoder' | 'postal_code' | 'manual'
    confidence: str  # 'certain' | 'high' | 'medium' | 'none'
    inputs: dict[str, Any]  # the normalised inputs used
    data_version: str  # register, boundaries and postal-table versions combined
    notes: list[str] = field(default_factory=list)  # English, short, explainable
    district_name: str | None = None
    reason: str | None = None  # why a decision is manual (REASON_*), else None

    @property
    def routed(self) -> bool:
        return self.district_code is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "district_code": self.district_code,
            "district_name": self.district_name,
            "method": self.method,
            "confidence": self.confidence,
            "inputs": dict(self.inputs),
            "data_version": self.data_version,
            "notes": list(self.notes),
            "reason": self.reason,
        }

    def explain_sv(self) -> str:
        """One line in Swedish for staff: how the notice was routed."""
        name = self.district_name or self.district_code
        postal = self.inputs.get("postal_code") or ""
        shown_postal = format_postal_code(postal) if postal else ""
        if self.method == "address_register":
            return f"Adressen finns i stadens adressregister: {name}."
        if self.method == "boundaries":
            return f"Koordinaterna i underrättelsen ligger i stadsdelsområdet {name}."
        if self.method == "geocoder":
            return (
                f"Adressen har slagits upp i en adresstjänst och ligger i stadsdelsområdet {name}."
            )
        if self.method == "postal_code":
            return (
                f"Postnumret {shown_postal} hör till stadsdelsområdet {name} "
                "(fördelat efter postnummer, inte exakt adress)."
            )
        manual = "Underrättelsen fördelas manuellt."
        if self.reason == REASON_REGISTER_CONFLICT:
            return (
                "Adressen finns i stadens adressregister, men koordinaterna ligger i ett annat "
                f"stadsdelsområde. {manual}"
            )
        if self.reason == REASON_COORDINATES_CONFLICT:
            return f"Koordinaterna i underrättelsen och adressuppslaget pekar på olika stadsdelsområden. {manual}"
        if self.reason == REASON_POSTAL_CONFLICT:
            return f"Koordinaterna och postnumret pekar på olika stadsdelsområden. {manual}"
        if self.reason == REASON_POSTAL_AMBIGUOUS:
            return (
                f"Postnumret {shown_postal} räcker inte för att avgöra stadsdelsområdet. {manual}"
            )
        if self.reason == REASON_POSTAL_INVALID:
            return f"Postnumret saknas eller är felaktigt. {manual}"
        return f"Adressen kunde inte kopplas till något stadsdelsområde. {manual}"


@dataclass(frozen=True)
class OutsideMunicipality:
    """The postal code lies wholly outside the municipality: the notice is not ours."""

    municipality: str | None  # e.g. 'Solna'; None when the data pack does not name it
    postal_code: str  # five digits

    def as_dict(self) -> dict[str, Any]:
        return {"outside_municipality": self.municipality, "postal_code": self.postal_code}

    def explain_sv(self) -> str:
        where = f"en annan kommun: {self.municipality}" if self.municipality else "en annan kommun"
        return (
            f"Postnumret {format_postal_code(self.postal_code)} ligger i {where}. "
            "Underrättelsen ska skickas till den kommunen."
        )


@dataclass(frozen=True)
class RoutingInput:
    street_address: str
    postal_code: str  # 'NNN NN' or 'NNNNN'
    city: str  # postort
    apartment_number: str | None = None
    lat: float | None = None
    lon: float | None = None


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
            "apartment_number": _apartment(inp.apartment_number, inp.street_address),
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
