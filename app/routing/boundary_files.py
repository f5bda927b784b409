"""The boundary files Varsel reads: GeoJSON, and the city's shapefile in a zip — their features,
the coordinate system they name and the text encoding of their attributes. No geometry work here;
`boundaries.py` maps the features to districts.
"""

from __future__ import annotations

import codecs
import io
import json
import re
import zipfile
from typing import Any

from pyproj import CRS
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

WGS84 = 4326
# SWEREF 99 local zones by their central meridian (as a .prj or a CRS name gives it) → EPSG.
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


Feature = tuple[BaseGeometry, tuple[int, dict[str, Any]]]


def read_geojson(data: bytes, filename: str) -> tuple[list[Feature], CRS | None, str, str]:
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


def read_shapefile_zip(data: bytes, filename: str) -> tuple[list[Feature], CRS | None, str, str]:
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
