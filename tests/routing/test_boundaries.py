"""Reading boundary files: the data pack's GeoJSON, a SWEREF 99 GeoJSON and a zipped
shapefile of the former areas — all generated here from the pack's file."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapefile  # pyshp
import shapely
from pyproj import CRS, Transformer
from pyproj.enums import WktVersion
from shapely.geometry import box, shape
from shapely.geometry.polygon import orient

from app.routing.boundaries import BoundarySet, fold_name, read_boundaries
from app.routing.engine import Router, RoutingData
from app.routing.postal import PostalTable
from tests.routing.geodata import boundaries_bytes, municipality
from tests.routing.test_engine import ADDRESSES, STRADDLING

CODES = [
    "bromma",
    "enskede-arsta-vantor",
    "farsta",
    "hagersten-alvsjo",
    "hasselby-vallingby",
    "jarva",
    "kungsholmen",
    "norra-innerstaden",
    "skarholmen",
    "skarpnack",
    "sodermalm",
]
# Every labelled point of the engine tests, and its district.
POINTS = [(a[3], a[4], a[5]) for a in ADDRESSES] + [(s[3], s[4], s[5]) for s in STRADDLING]


# ---- helpers --------------------------------------------------------------------------------


def original_features() -> list[dict]:
    return json.loads(boundaries_bytes())["features"]


def router_for(boundary_set: BoundarySet) -> Router:
    return Router(
        RoutingData.build(
            boundaries=boundary_set.as_routing_boundaries(),
            boundaries_version=boundary_set.version,
            addresses=[],
            addresses_version="",
            postal_codes=PostalTable.empty(),
            municipality=municipality(),
        )
    )


def projector(epsg: int):
    transformer = Transformer.from_crs(4326, epsg, always_xy=True)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return lambda geom: shapely.transform(geom, project)


def split_in_two(geom, *, vertical: bool):
    """Cut a polygon in half along a line through its centroid (west/east or south/north)."""
    minx, miny, maxx, maxy = geom.bounds
    c = geom.centroid
    if vertical:
        first, second = (
            box(minx - 1, miny - 1, c.x, maxy + 1),
            box(c.x, miny - 1, maxx + 1, maxy + 1),
        )
    else:
        first, second = (
            box(minx - 1, miny - 1, maxx + 1, c.y),
            box(minx - 1, c.y, maxx + 1, maxy + 1),
        )
    return geom.intersection(first), geom.intersection(second)


def former_area_features() -> list[tuple[str, object]]:
    """(area name as a city file might write it, WGS84 geometry): 13 areas, as before 2023."""
    names = {
        "bromma": "Bromma",
        "enskede-arsta-vantor": "ENSKEDE-ÅRSTA-VANTÖR",
        "farsta": "Farsta stadsdelsnämndsområde",
        "hagersten-alvsjo": "Hägersten-Älvsjö",
        "hasselby-vallingby": "Hässelby-Vällingby",
        "kungsholmen": "Kungsholmens stadsdelsområde",
        "skarholmen": "Skärholmen",
        "skarpnack": "Skarpnäck",
        "sodermalm": "Södermalm",
    }
    areas = []
    for feature in original_features():
        code = feature["properties"]["code"]
        geom = shape(feature["geometry"])
        if code == "norra-innerstaden":
            west, east = split_in_two(geom, vertical=True)
            areas += [("Norrmalm", west), ("Östermalm", east)]
        elif code == "jarva":
            south, north = split_in_two(geom, vertical=False)
            areas += [("Spånga-Tensta", south), ("Rinkeby-Kista", north)]
        else:
            areas.append((names[code], geom))
    return areas


def shapefile_rings(geom) -> list[list[tuple[float, float]]]:
    """Rings for pyshp: outer rings clockwise, holes counter-clockwise."""
    rings = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        part = orient(part, sign=-1.0)
        rings.append([tuple(xy) for xy in part.exterior.coords])
        rings += [[tuple(xy) for xy in hole.coords] for hole in part.interiors]
    return rings


def build_shapefile_zip(
    folder: Path,
    *,
    epsg: int = 3011,
    field: str = "SDN_NAMN",
    encoding: str = "utf-8",
    prj: bool = True,
    cpg: bool = True,
    subfolder: str = "",
) -> bytes:
    project = projector(epsg)
    stem = folder / "Stadsdelsnamndsomrade"
    with shapefile.Writer(str(stem), shapeType=shapefile.POLYGON, encoding=encoding) as writer:
        writer.field(field, "C", size=60)
        writer.field("AREA_M2", "N", size=14, decimal=0)
        for name, geom in former_area_features():
            projected = project(geom)
            writer.poly(shapefile_rings(projected))
            writer.record(name, round(projected.area))
    if prj:
        stem.with_suffix(".prj").write_text(CRS.from_epsg(epsg).to_wkt(WktVersion.WKT1_ESRI))
    if cpg:
        stem.with_suffix(".cpg").write_text("UTF-8" if encoding == "utf-8" else "ISO-8859-1")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            path = stem.with_suffix(ext)
            if path.exists():
                archive.write(path, subfolder + path.name)
    data = buffer.getvalue()
    (folder / "Stadsdelsnamndsomrade_2020.zip").write_bytes(data)
    return data


def projected_geojson(epsg: int, crs_name: str | None) -> bytes:
    project = projector(epsg)
    doc = json.loads(boundaries_bytes())
    for feature in doc["features"]:
        feature["geometry"] = json.loads(shapely.to_geojson(project(shape(feature["geometry"]))))
    if crs_name is None:
        doc.pop("crs")
    else:
        doc["crs"] = {"type": "name", "properties": {"name": crs_name}}
    return json.dumps(doc).encode()


@pytest.fixture(scope="module")
def original() -> BoundarySet:
    return read_boundaries(boundaries_bytes(), "stockholm-districts-2023.geojson", municipality())


def assert_same_districts(read: BoundarySet, original: BoundarySet) -> None:
    assert sorted(read.districts) == CODES
    for code in CODES:
        a, b = read.districts[code], original.districts[code]
        assert a.is_valid
        assert a.geom_type in ("Polygon", "MultiPolygon")
        # Equal up to the reprojection round trip and the cut lines (< 1 part per million).
        assert a.symmetric_difference(b).area < b.area * 1e-6, code
    router, reference = router_for(read), router_for(original)
    for lat, lon, district in POINTS:
        assert router.district_at(lat, lon) == reference.district_at(lat, lon) == district


# ---- GeoJSON --------------------------------------------------------------------------------


def test_the_packs_geojson_gives_the_eleven_districts(original) -> None:
    data = boundaries_bytes()
    assert sorted(original.districts) == CODES
    assert original.version == hashlib.sha256(data).hexdigest()[:16]
    assert original.source == "stockholm-districts-2023.geojson (GeoJSON, EPSG:4326)"
    assert original.missing(municipality()) == []
    for feature in original_features():
        assert original.districts[feature["properties"]["code"]].equals(shape(feature["geometry"]))
    router = router_for(original)
    for lat, lon, district in POINTS:
        assert router.district_at(lat, lon) == district


def test_to_geojson_stores_wgs84_features_that_read_back_the_same(original) -> None:
    doc = original.to_geojson()
    assert doc["type"] == "FeatureCollection"
    assert doc["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"
    assert [f["properties"] for f in doc["features"]][:3] == [
        {"code": "bromma", "name": "Bromma"},
        {"code": "enskede-arsta-vantor", "name": "Enskede-Årsta-Vantör"},
        {"code": "farsta", "name": "Farsta"},
    ]
    again = read_boundaries(json.dumps(doc).encode(), "stored.geojson", municipality())
    for code in CODES:
        assert again.districts[code].equals(original.districts[code])


@pytest.mark.parametrize(
    "epsg, crs_name",
    [
        (3011, "urn:ogc:def:crs:EPSG::3011"),
        (3011, "EPSG:3011"),
        (3006, "urn:ogc:def:crs:EPSG::3006"),
    ],
)
def test_sweref99_geojson_is_reprojected(original, epsg, crs_name) -> None:
    read = read_boundaries(projected_geojson(epsg, crs_name), "sdn.geojson", municipality())
    assert read.source == f"sdn.geojson (GeoJSON, EPSG:{epsg})"
    assert_same_districts(read, original)


def test_projected_geojson_without_crs_uses_the_municipalitys_system(original) -> None:
    read = read_boundaries(projected_geojson(3011, None), "sdn.geojson", municipality())
    assert read.source == "sdn.geojson (GeoJSON, EPSG:3011 (assumed: the file names no system))"
    assert_same_districts(read, original)


def test_projected_geojson_without_crs_and_no_default_is_refused() -> None:
    pack = municipality()
    del pack["boundary_crs"]
    with pytest.raises(
        ValueError, match=r"names no coordinate system and its coordinates are projected"
    ):
        read_boundaries(projected_geojson(3011, None), "sdn.geojson", pack)


def test_a_wrongly_declared_system_is_caught() -> None:
    # SWEREF 99 TM coordinates declared as SWEREF 99 18 00 land far outside Sweden.
    with pytest.raises(ValueError, match=r"do not lie in Sweden once read as WGS84"):
        read_boundaries(projected_geojson(3006, "EPSG:3011"), "sdn.geojson", municipality())


def test_former_area_codes_map_to_todays_district(original) -> None:
    doc = json.loads(boundaries_bytes())
    for feature in doc["features"]:
        if feature["properties"]["code"] == "jarva":
            south, north = split_in_two(shape(feature["geometry"]), vertical=False)
            feature["geometry"] = json.loads(shapely.to_geojson(south))
            feature["properties"] = {"code": "spanga-tensta"}
            doc["features"].append(
                {
                    "type": "Feature",
                    "properties": {"code": "rinkeby-kista"},
                    "geometry": json.loads(shapely.to_geojson(north)),
                }
            )
            break
    read = read_boundaries(json.dumps(doc).encode(), "x.geojson", municipality())
    assert_same_districts(read, original)


def test_an_unknown_area_name_is_refused_with_the_known_names() -> None:
    doc = json.loads(boundaries_bytes())
    doc["features"][3]["properties"] = {"NAMN": "Gamla stan"}
    with pytest.raises(ValueError) as caught:
        read_boundaries(json.dumps(doc).encode(), "x.geojson", municipality())
    message = str(caught.value)
    assert message.startswith(
        "x.geojson: feature 4 'Gamla stan' maps to no district; known names: Bromma, "
    )
    assert "Norra innerstaden" in message and "Spånga-Tensta" in message


def test_attributes_naming_two_districts_are_refused() -> None:
    doc = json.loads(boundaries_bytes())
    doc["features"][0]["properties"] = {"code": "bromma", "name": "Kungsholmen"}
    with pytest.raises(ValueError, match=r"feature 1: feature attributes name different districts"):
        read_boundaries(json.dumps(doc).encode(), "x.geojson", municipality())


def test_a_feature_without_names_is_refused() -> None:
    doc = json.loads(boundaries_bytes())
    doc["features"][0]["properties"] = {"OBJECTID": 7}
    with pytest.raises(
        ValueError, match=r"feature 1 with attributes \['OBJECTID'\] maps to no district"
    ):
        read_boundaries(json.dumps(doc).encode(), "x.geojson", municipality())


def test_invalid_geometry_is_made_valid() -> None:
    # A bow-tie (self-intersecting) ring inside Bromma.
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[17.93, 59.33], [17.95, 59.35], [17.95, 59.33], [17.93, 59.35], [17.93, 59.33]]
        ],
    }
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"name": "Bromma"}, "geometry": bow_tie}],
    }
    read = read_boundaries(json.dumps(doc).encode(), "x.geojson", municipality())
    geom = read.districts["bromma"]
    assert geom.is_valid and geom.geom_type == "MultiPolygon"
    assert round(geom.area, 6) == 0.0002
    assert router_for(read).district_at(59.34, 17.935) == "bromma"


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"", "x.geojson", "x.geojson: the file is empty"),
        (b"{not json", "x.geojson", "x.geojson: not valid GeoJSON"),
        (
            b'{"type": "Point", "coordinates": [18, 59]}',
            "x.geojson",
            "expected a GeoJSON FeatureCollection",
        ),
        (b'{"type": "FeatureCollection", "features": []}', "x.geojson", "x.geojson: no features"),
        (
            (
                b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Bromma"},'
                b' "geometry": {"type": "Point", "coordinates": [17.9, 59.3]}}]}'
            ),
            "x.geojson",
            "feature 1 is a Point, not an area",
        ),
        (b"col1,col2\n", "x.csv", "x.csv: not a GeoJSON file or a zipped shapefile"),
        (b"PK\x03\x04broken", "x.zip", "x.zip: not a zip file"),
    ],
)
def test_bad_files_are_refused(data, filename, message) -> None:
    with pytest.raises(ValueError) as caught:
        read_boundaries(data, filename, municipality())
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "name, folded",
    [
        ("Östermalm", "ostermalm"),
        ("Spånga-Tensta", "spanga-tensta"),
        ("Norra innerstaden", "norra-innerstaden"),
        ("ENSKEDE-ÅRSTA-VANTÖR", "enskede-arsta-vantor"),
        ("Hägersten – Liljeholmen", "hagersten-liljeholmen"),
        ("  Skarpnäck_stadsdelsområde ", "skarpnack-stadsdelsomrade"),
    ],
)
def test_fold_name(name, folded) -> None:
    assert fold_name(name) == folded


# ---- zipped shapefiles ----------------------------------------------------------------------


def test_shapefile_zip_of_former_areas_in_sweref99_1800(tmp_path, original) -> None:
    data = build_shapefile_zip(tmp_path)
    read = read_boundaries(data, "Stadsdelsnamndsomrade_2020.zip", municipality())
    assert read.source == "Stadsdelsnamndsomrade_2020.zip (shapefile, EPSG:3011)"
    assert read.version == hashlib.sha256(data).hexdigest()[:16]
    assert_same_districts(read, original)


def test_shapefile_zip_in_sweref99_tm_with_another_name_field_in_a_folder(
    tmp_path, original
) -> None:
    data = build_shapefile_zip(
        tmp_path, epsg=3006, field="Sdn_omrade", subfolder="Stadsdelsnamndsomrade_2020/"
    )
    read = read_boundaries(data, "sdn.zip", municipality())
    assert read.source == "sdn.zip (shapefile, EPSG:3006)"
    assert_same_districts(read, original)


def test_shapefile_zip_without_prj_is_read_in_the_municipalitys_system(tmp_path, original) -> None:
    data = build_shapefile_zip(tmp_path, prj=False)
    read = read_boundaries(data, "sdn.zip", municipality())
    assert read.source == "sdn.zip (shapefile, EPSG:3011 (assumed: the file names no system))"
    assert_same_districts(read, original)


def test_latin1_dbf_without_cpg_is_decoded(tmp_path, original) -> None:
    data = build_shapefile_zip(tmp_path, encoding="latin-1", cpg=False)
    read = read_boundaries(data, "sdn.zip", municipality())
    assert_same_districts(read, original)


def test_shapefile_zip_without_dbf_or_with_two_shp_is_refused(tmp_path) -> None:
    data = build_shapefile_zip(tmp_path)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = {name: source.read(name) for name in source.namelist()}

    def rezip(files: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, content in files.items():
                archive.writestr(name, content)
        return buffer.getvalue()

    no_dbf = {k: v for k, v in members.items() if not k.endswith(".dbf")}
    with pytest.raises(ValueError, match="the zip has no .dbf"):
        read_boundaries(rezip(no_dbf), "sdn.zip", municipality())
    two = dict(members) | {"copy/other.shp": members["Stadsdelsnamndsomrade.shp"]}
    with pytest.raises(ValueError, match="expected one .shp in the zip, found 2"):
        read_boundaries(rezip(two), "sdn.zip", municipality())
