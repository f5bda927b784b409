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

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from app.routing.boundary_files import WGS84, crs_from_name, read_geojson, read_shapefile_zip


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
        features, crs, crs_label, fmt = read_shapefile_zip(data, filename)
    elif lower.endswith((".geojson", ".json")) or data.lstrip()[:1] in (b"{", b"\xef"):
        features, crs, crs_label, fmt = read_geojson(data, filename)
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
