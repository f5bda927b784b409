"""Stockholm's boundaries ship in the data pack: `varsel db upgrade` stores them, so a
fresh install routes by coordinates — and never replaces boundaries the operator imported."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.main import create_app
from app.notices.models import Notice
from app.notices.schemas import EXAMPLE_NOTICE
from app.routing.models import BoundaryVersion
from app.routing.service import PACK_SOURCE_PREFIX, import_boundaries, pack_boundaries_file
from tests.routing.geodata import BOUNDARIES_FILE, boundaries_bytes

runner = CliRunner()
PACK_VERSION_SOURCE = f"{PACK_SOURCE_PREFIX}stockholm/stockholm-districts-2023.geojson"


def upgrade() -> str:
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return result.stderr


def versions(db) -> list[tuple[str, bool]]:
    with db() as session:
        rows = session.scalars(select(BoundaryVersion).order_by(BoundaryVersion.created_at))
        return [(row.source, row.active) for row in rows]


def another_file(tmp_path: Path, name: str) -> Path:
    """The same polygons under another name: other bytes, so another version."""
    doc = json.loads(boundaries_bytes())
    doc["name"] = name
    path = tmp_path / f"{name}.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_the_pack_names_its_boundary_file():
    assert pack_boundaries_file("stockholm") == BOUNDARIES_FILE
    assert BOUNDARIES_FILE.is_file()
    attribution = (BOUNDARIES_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert "Stadsdelsnämndsområde 2020" in attribution
    assert "Stadsbyggnadskontoret" in attribution


def test_db_upgrade_stores_the_packs_boundaries_once(env_settings, db):
    assert versions(db) == []
    output = upgrade()
    assert versions(db) == [(PACK_VERSION_SOURCE, True)]
    assert "the data pack's version" in output and "imported" in output
    again = upgrade()
    assert versions(db) == [(PACK_VERSION_SOURCE, True)]
    assert f"({PACK_VERSION_SOURCE}) in use" in again


def test_db_upgrade_keeps_the_operators_imported_boundaries(env_settings, db, tmp_path):
    upgrade()
    operators = another_file(tmp_path, "stadsdelar-2027")
    imported = runner.invoke(cli, ["districts", "import-boundaries", str(operators)])
    assert imported.exit_code == 0, imported.output
    output = upgrade()
    assert versions(db) == [(PACK_VERSION_SOURCE, False), ("stadsdelar-2027.geojson", True)]
    assert "(stadsdelar-2027.geojson) in use" in output


def test_db_upgrade_keeps_boundaries_imported_before_any_pack(env_settings, db, tmp_path):
    """An install that imported the city's file before Varsel shipped a pack keeps it."""
    operators = another_file(tmp_path, "stadsdelsnamndsomraden")
    with db() as session:
        import_boundaries(session, operators.read_bytes(), operators.name, "stockholm")
    upgrade()
    assert versions(db) == [("stadsdelsnamndsomraden.geojson", True)]


def test_db_upgrade_follows_a_changed_pack_file(env_settings, db, tmp_path):
    """The active version came from an older pack; the pack's file has changed since: the new one wins."""
    older = another_file(tmp_path, "stockholm-districts-2019")
    with db() as session:
        import_boundaries(session, older.read_bytes(), older.name, "stockholm",
                          source=f"{PACK_SOURCE_PREFIX}stockholm/stockholm-districts-2019.geojson")
    upgrade()
    assert versions(db) == [(f"{PACK_SOURCE_PREFIX}stockholm/stockholm-districts-2019.geojson", False),
                            (PACK_VERSION_SOURCE, True)]


def test_after_db_upgrade_a_notice_with_coordinates_is_routed_by_polygon(env_settings, client, landlord, db):
    upgrade()
    notice = copy.deepcopy(EXAMPLE_NOTICE)
    notice["external_id"] = "PACK-1"
    # 121 xx is shared by Enskede-Årsta-Vantör and Skarpnäck: the postal-code table routes nowhere,
    # and there is no address register. Only the point (by the Globen arena) can decide.
    notice["property"] = {"street_address": "Arenavägen 61", "postal_code": "121 77", "city": "Johanneshov",
                          "apartment_number": "1201", "coordinates": {"lat": 59.2937, "lon": 18.0810}}
    answer = client.post("/api/v1/notices", headers=landlord.headers, json=notice)
    assert answer.status_code == 201, answer.text
    assert answer.json()["district"] == {"code": "enskede-arsta-vantor", "name": "Enskede-Årsta-Vantör"}
    with db() as session:
        routing = session.scalar(select(Notice.routing).where(Notice.external_id == "PACK-1"))
    assert routing["method"] == "boundaries"
    assert routing["confidence"] == "high"
    # The decision names the boundary version it used: the pack's.
    with db() as session:
        version = session.scalar(select(BoundaryVersion.version).where(BoundaryVersion.active.is_(True)))
    assert f"boundaries:{version}" in routing["data_version"]


def test_without_boundaries_the_same_notice_waits_for_manual_routing(client, landlord):
    """What the pack changes: with no boundaries stored, coordinates cannot route."""
    notice = copy.deepcopy(EXAMPLE_NOTICE)
    notice["external_id"] = "PACK-2"
    notice["property"] = {"street_address": "Arenavägen 61", "postal_code": "121 77", "city": "Johanneshov",
                          "coordinates": {"lat": 59.2937, "lon": 18.0810}}
    answer = client.post("/api/v1/notices", headers=landlord.headers, json=notice)
    assert answer.status_code == 201, answer.text
    assert answer.json()["district"] is None


def test_db_upgrade_keeps_boundaries_from_varsel_district_boundaries(env_settings, engine, db, tmp_path):
    upgrade()
    operators = another_file(tmp_path, "stadsdelar-fran-staden")
    with TestClient(create_app(env_settings.model_copy(update={"district_boundaries": operators}), engine=engine)):
        pass  # imported at start
    upgrade()
    assert versions(db) == [(PACK_VERSION_SOURCE, False), ("stadsdelar-fran-staden.geojson", True)]
