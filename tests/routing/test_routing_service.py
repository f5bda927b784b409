"""Routing with stored data: the import commands, VARSEL_DISTRICT_BOUNDARIES, and manual routing."""

from __future__ import annotations

import copy
import threading
import time
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.db import transaction
from app.main import create_app
from app.notices.schemas import EXAMPLE_NOTICE
from app.routing.models import AddressRegisterEntry, BoundaryVersion
from tests.conftest import IS_POSTGRES
from tests.routing.geodata import BOUNDARIES_FILE

runner = CliRunner()
NOW = datetime(2026, 11, 20, 8, 14, 3, tzinfo=timezone.utc)


def body(external_id: str, **prop) -> dict:
    notice = copy.deepcopy(EXAMPLE_NOTICE)
    notice["external_id"] = external_id
    notice["property"] = {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm",
                          "apartment_number": "1102", **prop}
    return notice


@pytest.fixture(autouse=True)
def pinned(app):
    app.state.clock = lambda: NOW


def test_import_boundaries_from_a_file_then_coordinates_route_by_polygon(
        env_settings, client, landlord, db):
    result = runner.invoke(cli, ["districts", "import-boundaries", str(BOUNDARIES_FILE)])
    assert result.exit_code == 0, result.output
    assert "imported: 11 districts" in result.stdout
    again = runner.invoke(cli, ["districts", "import-boundaries", str(BOUNDARIES_FILE)])
    assert "already the active one" in again.stdout
    with db() as session:
        assert session.scalar(select(func.count()).select_from(BoundaryVersion)) == 1
    client.app.state.routers.invalidate()
    # Postal code 121 xx is ambiguous; the coordinates (Hammarbyhöjden, Skarpnäck side) decide.
    answer = client.post("/api/v1/notices", headers=landlord.headers,
                         json=body("B-1", street_address="Finn Malmgrens väg 5", postal_code="121 32",
                                   coordinates={"lat": 59.29405, "lon": 18.10405}))
    assert answer.status_code == 201, answer.text
    assert answer.json()["district"] is not None
    with db() as session:
        from app.notices.models import Notice

        routing = session.scalar(select(Notice.routing))
    assert routing["method"] == "boundaries"
    assert routing["confidence"] == "high"
    assert "boundaries:" in routing["data_version"]


def test_import_addresses_then_the_register_wins(env_settings, client, landlord, db, tmp_path):
    csv = tmp_path / "adresser.csv"
    csv.write_text("street;number;postal_code;district_code\nGötgatan;30;11846;skarpnack\nRingvägen;1;11726;sodermalm\n",
                   encoding="utf-8")
    result = runner.invoke(cli, ["districts", "import-addresses", str(csv)])
    assert result.exit_code == 0, result.output
    assert "imported: 2 addresses" in result.stdout
    with db() as session:
        assert session.scalar(select(func.count()).select_from(AddressRegisterEntry)) == 2
    client.app.state.routers.invalidate()
    answer = client.post("/api/v1/notices", headers=landlord.headers, json=body("R-1", coordinates=None))
    assert answer.json()["district"] == {"code": "skarpnack", "name": "Skarpnäck"}


def test_import_addresses_with_an_unknown_district_says_which(env_settings, tmp_path):
    csv = tmp_path / "adresser.csv"
    csv.write_text("street,number,postal_code,district_code\nGötgatan,30,11846,narnia\n", encoding="utf-8")
    result = runner.invoke(cli, ["districts", "import-addresses", str(csv)])
    assert result.exit_code == 1
    assert "unknown district codes narnia" in result.stderr


def test_varsel_district_boundaries_is_imported_at_start(settings, engine, db):
    configured = settings.model_copy(update={"district_boundaries": BOUNDARIES_FILE})
    with TestClient(create_app(configured, engine=engine)):
        pass
    with db() as session:
        assert session.scalar(select(func.count()).select_from(BoundaryVersion)) == 1


def test_unroutable_notices_go_to_intake_and_are_routed_by_hand(client, landlord, staff_headers):
    answer = client.post("/api/v1/notices", headers=landlord.headers,
                         json=body("U-1", street_address="Okänd väg 1", postal_code="121 32", coordinates=None))
    assert answer.status_code == 201
    receipt = answer.json()
    assert receipt["district"] is None
    assert receipt["status"] == "received"
    intake = staff_headers("mottagning", "intake")
    handler = staff_headers("h1", "handler", "skarpnack")
    assert client.get("/api/v1/queue", headers=handler).json()["items"] == []
    items = client.get("/api/v1/intake", headers=intake).json()["items"]
    assert [i["notice_id"] for i in items] == [receipt["id"]]
    assert items[0]["routing"]["method"] == "manual"
    assert items[0]["routing"]["reason"] == "postal_ambiguous"
    # handlers cannot see the intake list, and intake cannot route to a district that does not exist
    assert client.get("/api/v1/intake", headers=handler).status_code == 404
    bad = client.post(f"/api/v1/intake/{receipt['id']}/route", headers=intake, json={"district": "narnia"})
    assert bad.status_code == 422
    routed = client.post(f"/api/v1/intake/{receipt['id']}/route", headers=intake, json={"district": "skarpnack"})
    assert routed.status_code == 200, routed.text
    assert routed.json()["district"] == {"code": "skarpnack", "name": "Skarpnäck"}
    [item] = client.get("/api/v1/queue", headers=handler).json()["items"]
    assert item["district"] == {"code": "skarpnack", "name": "Skarpnäck"}
    case = client.get(f"/api/v1/cases/{item['case_id']}", headers=handler).json()
    assert case["notices"][0]["routing"]["manual"]["by"] == "mottagning"
    assert "routed_manually" in [e["type"] for e in case["timeline"]]
    # routed: gone from intake, and the landlord's receipt now says routed
    assert client.get("/api/v1/intake", headers=intake).json()["items"] == []
    assert client.get(f"/api/v1/notices/{receipt['id']}", headers=landlord.headers).json()["status"] == "routed"
    again = client.post(f"/api/v1/intake/{receipt['id']}/route", headers=intake, json={"district": "farsta"})
    assert again.status_code == 404


def test_outside_municipality_names_the_municipality(client, landlord, db):
    answer = client.post("/api/v1/notices", headers=landlord.headers,
                         json=body("S-1", street_address="Råsundavägen 1", postal_code="169 70", city="Solna",
                                   coordinates=None))
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"].endswith("/outside-municipality")
    assert "Solna" in problem["detail"]
    assert "social welfare committee" in problem["detail"]
    with db() as session:
        from app.notices.models import Notice

        assert session.scalar(select(func.count()).select_from(Notice)) == 0


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite: a read takes the database's write lock (BEGIN IMMEDIATE)")
def test_the_router_provider_does_not_hold_its_lock_while_it_waits_for_the_database(settings, sessions):
    # A request holding SQLite's write lock may ask the provider next; a provider that waited for the
    # database while holding its own lock would wait for that request, and that request for it.
    from app.routing.service import RouterProvider

    provider = RouterProvider(settings.municipality)
    holder = sessions()
    holder.execute(select(func.count()).select_from(BoundaryVersion))  # BEGIN IMMEDIATE: the write lock
    done = threading.Event()

    def asks() -> None:
        with transaction(sessions) as session:
            provider.get(session)
        done.set()

    asker = threading.Thread(target=asks)
    asker.start()
    try:
        time.sleep(0.3)  # the asker now waits for the database
        assert not done.is_set()
        assert provider._lock.acquire(timeout=1), "the provider held its lock while waiting for the database"
        provider._lock.release()
    finally:
        holder.commit()
        holder.close()
        asker.join(timeout=10)
    assert done.is_set()
