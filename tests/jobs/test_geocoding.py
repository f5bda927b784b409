"""Notices no local method could route are geocoded after commit, and routed by polygon when found."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.notices.models import Notice
from app.notices.schemas import EXAMPLE_NOTICE
from app.jobs.geocoding import geocode_unrouted
from app.routing.service import RouterProvider, import_boundaries
from integrations.geocoding.http import HttpGeocoder
from tests.routing.geodata import BOUNDARIES_FILE
from tests.support.httpserver import LocalHTTPServer, Reply

NOW = datetime(2026, 11, 20, 8, 14, 3, tzinfo=timezone.utc)


def _unroutable(app, client, landlord) -> str:
    app.state.clock = lambda: NOW
    body = copy.deepcopy(EXAMPLE_NOTICE)
    body["property"] = {"street_address": "Finn Malmgrens väg 5", "postal_code": "121 32", "city": "Johanneshov",
                        "apartment_number": "1001"}
    answer = client.post("/api/v1/notices", json=body, headers=landlord.headers)
    assert answer.status_code == 201 and answer.json()["district"] is None
    return answer.json()["id"]


def test_an_exact_geocoder_hit_routes_the_notice(app, client, landlord, db, sessions, staff_headers):
    with db() as session:
        import_boundaries(session, BOUNDARIES_FILE.read_bytes(), BOUNDARIES_FILE.name, "stockholm")
    notice_id = _unroutable(app, client, landlord)

    def geocoder(request):
        assert request.path.startswith("/v1/search?")
        return Reply(200, {"results": [{"lat": 59.29405, "lon": 18.10405, "quality": "address"}]})

    with LocalHTTPServer(geocoder) as server:
        result = geocode_unrouted(sessions, HttpGeocoder(server.url, retries=0), RouterProvider("stockholm"), now=NOW)
        assert len(server.requests) == 1
    assert result.routed == 1
    with db() as session:
        notice = session.scalar(select(Notice))
        assert notice.district.code == "skarpnack"
        assert notice.routing["method"] == "geocoder"
        assert notice.case.district_id == notice.district_id
    receipt = client.get(f"/api/v1/notices/{notice_id}", headers=landlord.headers).json()
    assert receipt["status"] == "routed"
    handler = staff_headers("h1", "handler", "skarpnack")
    assert len(client.get("/api/v1/queue", headers=handler).json()["items"]) == 1
    # asked once: a second run makes no call
    with LocalHTTPServer(geocoder) as server:
        geocode_unrouted(sessions, HttpGeocoder(server.url, retries=0), RouterProvider("stockholm"), now=NOW)
        assert server.requests == []


def test_a_street_level_hit_is_not_enough_and_the_notice_stays_with_intake(app, client, landlord, db, sessions):
    _unroutable(app, client, landlord)
    reply = Reply(200, {"results": [{"lat": 59.29405, "lon": 18.10405, "quality": "street"}]})
    with LocalHTTPServer(lambda r: reply) as server:
        result = geocode_unrouted(sessions, HttpGeocoder(server.url, retries=0), RouterProvider("stockholm"), now=NOW)
    assert (result.routed, result.still_unrouted) == (0, 1)
    with db() as session:
        notice = session.scalar(select(Notice))
        assert notice.district_id is None
        assert notice.routing["geocoded"]["quality"] == "street"


def test_without_a_geocoder_nothing_is_asked(sessions):
    assert geocode_unrouted(sessions, None, RouterProvider("stockholm"), now=NOW).routed == 0


def test_the_job_asks_nominatim_when_the_setting_says_so(env_settings, monkeypatch, app, client, landlord, db):
    with db() as session:
        import_boundaries(session, BOUNDARIES_FILE.read_bytes(), BOUNDARIES_FILE.name, "stockholm")
    _unroutable(app, client, landlord)
    place = {"place_id": 1, "osm_type": "node", "osm_id": 2, "lat": "59.2940500", "lon": "18.1040500",
             "category": "place", "type": "house", "place_rank": 30, "addresstype": "place", "name": "",
             "display_name": "5, Finn Malmgrens väg, Hammarbyhöjden, Stockholm, 121 32, Sverige",
             "address": {"house_number": "5", "road": "Finn Malmgrens väg", "suburb": "Hammarbyhöjden",
                         "city": "Stockholm", "postcode": "121 32", "country": "Sverige", "country_code": "se"}}
    with LocalHTTPServer(lambda r: Reply(200, [place])) as server:
        monkeypatch.setenv("VARSEL_GEOCODER_PROTOCOL", "nominatim")
        monkeypatch.setenv("VARSEL_GEOCODER_URL", server.url)
        get_settings.cache_clear()
        result = CliRunner().invoke(cli, ["jobs", "run", "geocode-unrouted"])
        assert result.exit_code == 0, result.output
        assert [r.path.split("?")[0] for r in server.requests] == ["/search"]
    assert "1 routed by geocoding" in result.stdout
    with db() as session:
        notice = session.scalar(select(Notice))
        assert notice.district.code == "skarpnack"
        assert notice.routing["method"] == "geocoder"
