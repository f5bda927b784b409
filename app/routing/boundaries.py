"""Reading district boundary files into today's districts. No database.

Accepted input (``read_boundaries``):

* **GeoJSON** FeatureCollection (or a single Feature). Coordinates are WGS84
  (CRS84 / EPSG:4326, longitude first) unless the legacy ``crs`` member names
  another system, e.g. ``urn:ogc:def:crs:EPSG::3011`` (SWEREF 99 18 00) or
  ``EPSG:3006`` (SWEREF 99 TM).
* **A zip with an ESRI shapefile** (.shp, .shx, .dbf, and a .prj naming the
  system; .cpg for the text encoding, else UTF-8 with a Latin-1 fallback).

A file that names no system but holds coordinates beyond ±180 is projected: it
is read in the municipality's ``boundary_crs`` (``municipality.json``), and a
ValueError is raised when that is not set. Whatever the source, the result is
reprojected to WGS84 (pyproj, ``always_xy=True``) and must lie in Sweden.

Each feature is mapped to a current district code: by a ``code`` property, or
by the area's name in a common attribute (``name``, ``NAMN``, ``Sdn_omrade``,
``SDN_NAMN``, ``stadsdelsnamnd``, …; case-insensitive, Swedish letters folded:
'Östermalm' → 'ostermalm', suffixes such as ' stadsdelsnämndsområde' dropped).
Former areas (``municipality['former_areas']``) map to the district that took
them over; all features of one district are made valid and dissolved into one
geometry. A feature that maps to no district is a ValueError naming it.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

WGS84 = 4326

# Attribute names that may carry a district code or an area name, in the order tried.
CODE_KEYS = ("code", "district_code", "kod")
NAME_KEYS = (
    "name",
    "namn",
    "district",
    "district_name",
    "sdn_omrade",
    "sdn_område",
    "sdn_namn",
    "sdnnamn",
    "sdn",
    "sdo",
    "sdo_namn",
    "stadsdelsnamnd",
    "stadsdelsnämnd",
    "stadsdelsnamndsomrade",
    "stadsdelsnämndsområde",
    "stadsdelsomrade",
    "stadsdelsområde",
    "stadsdelsforvaltning",
    "stadsdelsförvaltning",
    "omrade",
    "område",
    "omradesnamn",
)
_SUFFIXES = (
    "stadsdelsnamndsomrade",
    "stadsdelsnamnd",
    "stadsdelsomrade",
    "stadsdelsforvaltning",
    "sdn",
    "sdf",
)
# SWEREF 99 local zones (name in .prj → EPSG), and the national one.
_SWEREF_ZONES = {
    "1200": 3007,
    "1330": 3008,
    "1500": 3009,
    "1630": 3010,
    "1800": 3011,
    "1415": 3012,
    "1545": 3013,
    "1715": 3014,
    "1845": 3015,
    "2015": 3016,
    "2145": 3017,
    "2315": 3018,
}
# Sweden, generously (WGS84 lon/lat): a reprojected file must fall inside.
_SWEDEN = (10.0, 55.0, 24.5, 69.5)


@dataclass(frozen=True)
class BoundarySet:
    """Today's districts' boundaries, in WGS84 (lon/lat)."""

    districts: dict[str, BaseGeometry]
    version: str  # sha256 of the input bytes, first 16 hex
    source: str  # file name, format and source CRS
    names: dict[str, str]

    def to_geojson(self) -> dict[str, Any]:
        """A WGS84 FeatureCollection with properties code/name (for storing and re-reading)."""
        features = []
        for code in sorted(self.districts):
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": self.names.get(code, code)},
                    "geometry": json.loads(shapely.to_geojson(self.districts[code])),
                }
            )
        return {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "features": features,
        }

    def as_routing_boundaries(self) -> list[tuple[str, BaseGeometry]]:
        """The (code, geometry) list that :meth:`RoutingData.build` takes."""
        return [(code, self.districts[code]) for code in sorted(self.districts)]

    def missing(self, municipality: dict[str, Any]) -> list[str]:
        """Current districts that this file has no area for."""
        return sorted(
            d["code"] for d in municipality["districts"] if d["code"] not in self.districts
        )


# ---------------------------------------------------------------------------------------------
# Names → district codes
# ---------------------------------------------------------------------------------------------


def fold_name(value: str) -> str:
    """'Östermalm' → 'ostermalm'; 'Spånga-Tensta' → 'spanga-tensta'; 'Norra innerstaden' → 'norra-innerstaden'."""
    text = unicodedata.normalize("NFKD", str(value).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\s_\u2010-\u2015-]+", "-", text.strip())
    return text.strip("-")


def _strip_suffix(folded: str) -> str:
    for suffix in _SUFFIXES:
        for sep in ("-", ""):
            if folded.endswith(sep + suffix) and len(folded) > len(sep + suffix):
                return folded[: -len(sep + suffix)].strip("-")
    return folded


def name_index(municipality: dict[str, Any]) -> dict[str, str]:
    """Folded code or name (and genitive name) → today's district code."""
    index: dict[str, str] = {}
    for district in municipality.get("districts", []):
        for key in (district["code"], district["name"]):
            index[fold_name(key)] = district["code"]
            index[fold_name(key) + "s"] = district["code"]  # 'Södermalms stadsdelsområde'
    for area in municipality.get("former_areas", []):
        for key in (area["code"], area["name"]):
            index.setdefault(fold_name(key), area["now"])
            index.setdefault(fold_name(key) + "s", area["now"])
    return index


def _known_names(municipality: dict[str, Any]) -> str:
    names = [d["name"] for d in municipality.get("districts", [])]
    names += [a["name"] for a in municipality.get("former_areas", [])]
    return ", ".join(names)


def district_for_properties(
    properties: dict[str, Any], index: dict[str, str]
) -> tuple[str | None, str]:
    """The district a feature's attributes name, and the text it was read from.

    Returns (None, text) when some attribute holds text but none maps.
    """
    lowered = {str(k).casefold(): v for k, v in (properties or {}).items()}
    found: dict[str, str] = {}
    first_text = ""
    for key in CODE_KEYS + NAME_KEYS:
        value = lowered.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        if not first_text:
            first_text = value.strip()
        folded = fold_name(value)
        code = index.get(folded) or index.get(_strip_suffix(folded))
        if code is not None:
            found[key] = code
    codes = set(found.values())
    if len(codes) > 1:
        detail = ", ".join(f"{k}→{v}" for k, v in found.items())
        raise ValueError(f"feature attributes name different districts ({detail})")
    if codes:
        return codes.pop(), first_text
    return None, first_text


# ---------------------------------------------------------------------------------------------
# Coordinate systems
# ---------------------------------------------------------------------------------------------


def crs_from_name(name: str) -> CRS:
    """A GeoJSON ``crs`` name (URN, 'EPSG:3011', 'CRS84', …) as a pyproj CRS."""
    text = name.strip()
    if re.search(r"CRS84$", text, re.IGNORECASE):
        return CRS.from_epsg(WGS84)
    match = re.search(r"EPSG:{1,2}(?:[\d.]*:)?(\d+)$", text, re.IGNORECASE)
    if match:
        return CRS.from_epsg(int(match.group(1)))
    return CRS.from_user_input(text)


def crs_from_prj(text: str) -> CRS:
    """The CRS a shapefile's .prj names: SWEREF 99 zones by name, anything else via pyproj."""
    compact = re.sub(r"[\s_]+", " ", text).upper()
    zone = re.search(r"SWEREF ?99 (\d\d) ?(\d\d)", compact)
    if zone and zone.group(1) + zone.group(2) in _SWEREF_ZONES:
        return CRS.from_epsg(_SWEREF_ZONES[zone.group(1) + zone.group(2)])
    if re.search(r"SWEREF ?99 TM", compact):
        return CRS.from_epsg(3006)
    try:
        return CRS.from_wkt(text)
    except Exception as exc:  # pyproj raises CRSError
        raise ValueError(f"the .prj names a coordinate system that cannot be read: {exc}") from exc


def _max_abs_x(geoms: Iterable[BaseGeometry]) -> float:
    coords = [shapely.get_coordinates(g) for g in geoms]
    coords = [c for c in coords if len(c)]
    if not coords:
        return 0.0
    return float(np.abs(np.concatenate(coords)[:, 0]).max())


def _default_projected(municipality: dict[str, Any]) -> CRS:
    name = municipality.get("boundary_crs")
    if not name:
        raise ValueError(
            "the file names no coordinate system and its coordinates are projected (x > 180); "
            "add a .prj or a GeoJSON crs, or set boundary_crs for the municipality"
        )
    return crs_from_name(name)


def _to_wgs84(geoms: list[BaseGeometry], source: CRS) -> list[BaseGeometry]:
    if source.to_epsg() == WGS84 or source.equals(CRS.from_epsg(WGS84), ignore_axis_order=True):
        return geoms
    transformer = Transformer.from_crs(source, CRS.from_epsg(WGS84), always_xy=True)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return [shapely.transform(g, project) for g in geoms]


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def read_boundaries(data: bytes, filename: str, municipality: dict[str, Any]) -> BoundarySet:
    """Read a GeoJSON file or a zipped shapefile into today's districts (WGS84)."""
    if not data:
        raise ValueError(f"{filename}: the file is empty")
    lower = filename.casefold()
    if data[:4] == b"PK\x03\x04" or lower.endswith(".zip"):
        features, crs, crs_label, fmt = _read_shapefile_zip(data, filename)
    elif lower.endswith((".geojson", ".json")) or data.lstrip()[:1] in (b"{", b"\xef"):
        features, crs, crs_label, fmt = _read_geojson(data, filename)
    else:
        raise ValueError(f"{filename}: not a GeoJSON file or a zipped shapefile")
    if not features:
        raise ValueError(f"{filename}: no features")

    geoms = [g for g, _ in features]
    if crs is None:
        if _max_abs_x(geoms) > 180:
            crs = _default_projected(municipality)
            crs_label = f"EPSG:{crs.to_epsg()} (assumed: the file names no system)"
        else:
            crs = CRS.from_epsg(WGS84)
            crs_label = "EPSG:4326"
    geoms = _to_wgs84(geoms, crs)
    _check_in_sweden(geoms, filename)

    index = name_index(municipality)
    grouped: dict[str, list[BaseGeometry]] = {}
    for geom, (_, (number, properties)) in zip(geoms, features):
        try:
            code, text = district_for_properties(properties, index)
        except ValueError as exc:
            raise ValueError(f"{filename}: feature {number}: {exc}") from exc
        if code is None:
            what = repr(text) if text else f"with attributes {sorted((properties or {}).keys())}"
            raise ValueError(
                f"{filename}: feature {number} {what} maps to no district; "
                f"known names: {_known_names(municipality)}"
            )
        grouped.setdefault(code, []).append(geom)

    districts: dict[str, BaseGeometry] = {}
    for code in sorted(grouped):
        parts = [_polygonal(shapely.make_valid(g)) for g in grouped[code]]
        parts = [p for p in parts if not p.is_empty]
        if not parts:
            raise ValueError(f"{filename}: district {code} has no area")
        merged = _polygonal(shapely.make_valid(shapely.union_all(parts)))
        districts[code] = merged

    names = {d["code"]: d["name"] for d in municipality.get("districts", [])}
    version = hashlib.sha256(data).hexdigest()[:16]
    source = f"{PurePosixPath(filename).name} ({fmt}, {crs_label})"
    return BoundarySet(districts=districts, version=version, source=source, names=names)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the areas of a geometry (make_valid may leave lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    if geom.geom_type == "GeometryCollection":
        polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        return shapely.union_all(polys) if polys else shapely.Polygon()
    return shapely.Polygon()


def _check_in_sweden(geoms: list[BaseGeometry], filename: str) -> None:
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(geoms, dtype=object))
    x0, y0, x1, y1 = _SWEDEN
    if not (x0 <= minx and maxx <= x1 and y0 <= miny and maxy <= y1):
        raise ValueError(
            f"{filename}: the areas do not lie in Sweden once read as WGS84 "
            f"(bounds {minx:.4f},{miny:.4f},{maxx:.4f},{maxy:.4f}): wrong coordinate system?"
        )


Feature = tuple[BaseGeometry, tuple[int, dict[str, Any]]]


def _read_geojson(data: bytes, filename: str) -> tuple[list[Feature], CRS | None, str, str]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{filename}: not valid GeoJSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValueError(f"{filename}: not a GeoJSON object")
    if doc.get("type") == "FeatureCollection":
        raw_features = doc.get("features") or []
    elif doc.get("type") == "Feature":
        raw_features = [doc]
    else:
        raise ValueError(
            f"{filename}: expected a GeoJSON FeatureCollection, got type {doc.get('type')!r}"
        )
    crs: CRS | None = None
    label = ""
    crs_member = doc.get("crs")
    if isinstance(crs_member, dict):
        name = (crs_member.get("properties") or {}).get("name")
        if name:
            try:
                crs = crs_from_name(str(name))
            except Exception as exc:
                raise ValueError(f"{filename}: unknown crs {name!r}: {exc}") from exc
            label = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else str(name)
    features: list[Feature] = []
    for number, feature in enumerate(raw_features, start=1):
        if not isinstance(feature, dict) or feature.get("geometry") is None:
            raise ValueError(f"{filename}: feature {number} has no geometry")
        try:
            geom = shape(feature["geometry"])
        except Exception as exc:
            raise ValueError(f"{filename}: feature {number}: bad geometry: {exc}") from exc
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"{filename}: feature {number} is a {geom.geom_type}, not an area")
        features.append((geom, (number, feature.get("properties") or {})))
    return features, crs, label, "GeoJSON"


def _read_shapefile_zip(data: bytes, filename: str) -> tuple[list[Feature], CRS | None, str, str]:
    import shapefile  # pyshp

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{filename}: not a zip file: {exc}") from exc
    members = {
        name: info
        for name, info in ((i.filename, i) for i in archive.infolist())
        if not info.is_dir() and "__macosx" not in name.casefold()
    }
    shps = [n for n in members if n.casefold().endswith(".shp")]
    if len(shps) != 1:
        raise ValueError(f"{filename}: expected one .shp in the zip, found {len(shps)}")
    stem = shps[0][:-4]

    def member(ext: str) -> bytes | None:
        for name in members:
            if name[:-4] == stem and name.casefold().endswith(ext):
                if members[name].file_size > 512 * 1024 * 1024:
                    raise ValueError(f"{filename}: {name} is too large")
                return archive.read(name)
        return None

    shp, shx, dbf, prj, cpg = (member(e) for e in (".shp", ".shx", ".dbf", ".prj", ".cpg"))
    if dbf is None:
        raise ValueError(f"{filename}: the zip has no .dbf (the areas' names)")
    crs: CRS | None = None
    label = ""
    if prj:
        crs = crs_from_prj(prj.decode("latin-1"))
        label = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.name
    declared = _python_encoding(cpg.decode("ascii", "ignore")) if cpg else None
    encodings = [declared] if declared else ["utf-8", "latin-1"]

    last_error: Exception | None = None
    for encoding in encodings:
        try:
            reader = shapefile.Reader(
                shp=io.BytesIO(shp),  # type: ignore[arg-type]
                shx=io.BytesIO(shx) if shx else None,
                dbf=io.BytesIO(dbf),
                encoding=encoding,
            )
            field_names = [f[0] for f in reader.fields if f[0] != "DeletionFlag"]
            features: list[Feature] = []
            for number, item in enumerate(reader.iterShapeRecords(), start=1):
                geo = item.shape.__geo_interface__
                if geo.get("type") not in ("Polygon", "MultiPolygon"):
                    raise ValueError(
                        f"{filename}: feature {number} is a {geo.get('type')}, not an area"
                    )
                properties = dict(zip(field_names, list(item.record)))
                features.append((shape(geo), (number, properties)))
            return features, crs, label, "shapefile"
        except (UnicodeDecodeError, shapefile.ShapefileException) as exc:
            if "decode" not in str(exc).casefold() and not isinstance(exc, UnicodeDecodeError):
                raise ValueError(f"{filename}: cannot read the shapefile: {exc}") from exc
            # The text is not in this encoding: try the next one (UTF-8, then Latin-1).
            last_error = exc
            continue
        except ValueError:
            raise
        except Exception as exc:  # pyshp raises its own errors for broken files
            raise ValueError(f"{filename}: cannot read the shapefile: {exc}") from exc
    raise ValueError(f"{filename}: cannot decode the .dbf text: {last_error}")


def _python_encoding(name: str) -> str | None:
    """A .cpg's encoding name as Python knows it; None when empty or unknown."""
    text = name.strip().casefold()
    aliases = {
        "65001": "utf-8",
        "1252": "cp1252",
        "ansi 1252": "cp1252",
        "8859_1": "latin-1",
        "88591": "latin-1",
    }
    text = aliases.get(text, text)
    if not text:
        return None
    try:
        return codecs.lookup(text).name
    except LookupError:
        return None
