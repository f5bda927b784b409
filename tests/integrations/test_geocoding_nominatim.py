"""The Nominatim client against a real local server answering as Nominatim's search API
does (`format=jsonv2`, `addressdetails=1`): the structured query, the quality judgement,
retries, timeouts and the spacing the usage policy asks for."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from app.config import Settings
from integrations.errors import IntegrationRejected
from integrations.geocoding.factory import geocoder_for, geocoder_from_settings
from integrations.geocoding.http import HttpGeocoder
from integrations.geocoding.nominatim import NominatimGeocoder
from integrations.geocoding.protocol import Geocoder, GeocodeResult, GeocoderUnavailable
from tests.support.httpserver import LocalHTTPServer, RecordedRequest, Reply

STREET = "Götgatan 30"
POSTAL = "118 46"
CITY = "Stockholm"
AGENT = "Varsel/test (+https://varsel.stockholm.example)"

# Places as Nominatim 4.x/5.x answers them with format=jsonv2 and addressdetails=1.
HOUSE = {
    "place_id": 181234567, "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
    "osm_type": "node", "osm_id": 2409876543, "lat": "59.3139120", "lon": "18.0718350",
    "category": "place", "type": "house", "place_rank": 30, "importance": 0.00000999999999995,
    "addresstype": "place", "name": "",
    "display_name": "30, Götgatan, Södermalm, Södermalms stadsdelsområde, Stockholm, Stockholms kommun, "
                    "Stockholms län, 118 46, Sverige",
    "address": {"house_number": "30", "road": "Götgatan", "suburb": "Södermalm",
                "city_district": "Södermalms stadsdelsområde", "city": "Stockholm",
                "municipality": "Stockholms kommun", "county": "Stockholms län", "ISO3166-2-lvl4": "SE-AB",
                "postcode": "118 46", "country": "Sverige", "country_code": "se"},
    "boundingbox": ["59.3138620", "59.3139620", "18.0717850", "18.0718850"],
}
ROAD = {
    "place_id": 181000111, "licence": HOUSE["licence"], "osm_type": "way", "osm_id": 4040404,
    "lat": "59.3122513", "lon": "18.0734470", "category": "highway", "type": "secondary", "place_rank": 26,
    "importance": 0.0533, "addresstype": "road", "name": "Götgatan",
    "display_name": "Götgatan, Södermalm, Södermalms stadsdelsområde, Stockholm, Stockholms kommun, "
                    "Stockholms län, 118 46, Sverige",
    "address": {"road": "Götgatan", "suburb": "Södermalm", "city": "Stockholm", "postcode": "118 46",
                "country": "Sverige", "country_code": "se"},
    "boundingbox": ["59.3038", "59.3201", "18.0702", "18.0772"],
}
POSTCODE = {
    "place_id": 181999000, "licence": HOUSE["licence"], "lat": "59.3141", "lon": "18.0730",
    "category": "place", "type": "postcode", "place_rank": 21, "importance": 0.00001,
    "addresstype": "postcode", "name": "118 46", "display_name": "118 46, Stockholm, Sverige",
    "address": {"postcode": "118 46", "city": "Stockholm", "country": "Sverige", "country_code": "se"},
    "boundingbox": ["59.3091", "59.3191", "18.0680", "18.0780"],
}


@pytest.fixture(scope="module")
def _server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer(lambda _: Reply(500)) as server:
        yield server


@pytest.fixture
def server(_server: LocalHTTPServer) -> LocalHTTPServer:
    _server.requests.clear()
    return _server


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 6))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scripted(*replies: Reply):
    queue = list(replies)

    def handler(_: RecordedRequest) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def query(request: RecordedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.path).query)


def nominatim(server: LocalHTTPServer, **options) -> NominatimGeocoder:
    options.setdefault("user_agent", AGENT)
    options.setdefault("min_interval_s", 0)
    options.setdefault("sleep", Sleeps())
    return NominatimGeocoder(server.url, **options)


def test_an_exact_house_number_match_is_routable_and_the_query_is_structured(server) -> None:
    server.handler = scripted(Reply(200, [HOUSE]))
    with nominatim(server, email="it-drift@stockholm.example") as geocoder:
        result = geocoder.locate(STREET, POSTAL, CITY)
    assert result == GeocodeResult(lat=59.313912, lon=18.071835, quality="address")
    assert result.routable is True
    request = server.requests[0]
    assert request.method == "GET"
    assert urlsplit(request.path).path == "/search"
    assert query(request) == {
        "street": ["Götgatan 30"], "postalcode": ["118 46"], "city": ["Stockholm"], "country": ["se"],
        "countrycodes": ["se"], "format": ["jsonv2"], "addressdetails": ["1"], "limit": ["3"],
        "email": ["it-drift@stockholm.example"],
    }
    assert request.headers["user-agent"] == AGENT
    assert "authorization" not in request.headers


def test_a_street_only_match_is_not_routable(server) -> None:
    server.handler = scripted(Reply(200, [ROAD]))
    with nominatim(server) as geocoder:
        result = geocoder.locate("Götgatan 301", POSTAL, CITY)
    assert result == GeocodeResult(lat=59.3122513, lon=18.073447, quality="street")
    assert result.routable is False


def test_another_house_on_the_street_is_not_routable(server) -> None:
    other = copy.deepcopy(HOUSE)
    other["address"]["house_number"] = "32"
    server.handler = scripted(Reply(200, [other]))
    with nominatim(server) as geocoder:
        assert geocoder.locate(STREET, POSTAL, CITY).quality == "street"


def test_the_same_number_in_another_postcode_is_not_routable(server) -> None:
    server.handler = scripted(Reply(200, [HOUSE]))
    with nominatim(server) as geocoder:
        assert geocoder.locate(STREET, "118 60", CITY).quality == "street"


def test_a_postcode_area_is_not_routable(server) -> None:
    server.handler = scripted(Reply(200, [POSTCODE]))
    with nominatim(server) as geocoder:
        result = geocoder.locate("Okändgatan 7", POSTAL, CITY)
    assert result == GeocodeResult(lat=59.3141, lon=18.073, quality="postal_code")
    assert result.routable is False


def test_the_best_place_wins_and_letters_are_compared_as_the_router_does(server) -> None:
    house = copy.deepcopy(HOUSE)
    house["address"]["house_number"] = "30A"
    server.handler = scripted(Reply(200, [ROAD, POSTCODE, house]))
    with nominatim(server) as geocoder:
        assert geocoder.locate("Götgatan 30 a", POSTAL, CITY) == GeocodeResult(59.313912, 18.071835, "address")


def test_no_result_is_none_and_is_cached(server) -> None:
    server.handler = scripted(Reply(200, []))
    with nominatim(server) as geocoder:
        assert geocoder.locate("Okändgatan 1", "999 99", CITY) is None
        assert geocoder.locate("okändgatan  1", "99999", "STOCKHOLM") is None
    assert len(server.requests) == 1


def test_a_5xx_then_the_answer(server) -> None:
    server.handler = scripted(Reply(502, b"<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}),
                              Reply(200, [HOUSE]))
    sleeps = Sleeps()
    with nominatim(server, retries=2, backoff_s=0.1, sleep=sleeps) as geocoder:
        assert geocoder.locate(STREET, POSTAL, CITY).quality == "address"
    assert len(server.requests) == 2
    assert sleeps == [0.1]


def test_a_timeout_is_retried_then_unavailable_and_not_cached(server) -> None:
    server.handler = scripted(Reply(200, [HOUSE], delay_s=0.6))
    with nominatim(server, timeout=0.2, retries=1) as geocoder:
        with pytest.raises(GeocoderUnavailable) as caught:
            geocoder.locate(STREET, POSTAL, CITY)
        assert str(caught.value) == "geocoder (Nominatim) search: did not answer in time after 2 attempts"
        assert "Götgatan" not in str(caught.value)
        server.handler = scripted(Reply(200, [HOUSE]))
        assert geocoder.locate(STREET, POSTAL, CITY).quality == "address"
    assert len(server.requests) == 3


def test_a_bad_query_is_rejected_without_retry(server) -> None:
    server.handler = scripted(Reply(400, {"error": {"code": 400, "message": "Parameter 'format' must be one of: "
                                                                          "xml, json, jsonv2, geojson, geocodejson"}}))
    with nominatim(server) as geocoder:
        with pytest.raises(IntegrationRejected) as caught:
            geocoder.locate(STREET, POSTAL, CITY)
    assert caught.value.status_code == 400
    assert len(server.requests) == 1


@pytest.mark.parametrize("body", [b"<xml/>", {"error": "x"}, [{"lat": "north", "lon": "18.0", "place_rank": 30,
                                                               "address": {"house_number": "30"}}],
                                  [{"lat": "259.3", "lon": "18.0"}]])
def test_an_answer_off_the_format_is_unavailable(server, body) -> None:
    server.handler = scripted(Reply(200, body))
    with nominatim(server) as geocoder:
        with pytest.raises(GeocoderUnavailable):
            geocoder.locate(STREET, POSTAL, CITY)
    assert len(server.requests) == 1


def test_requests_are_spaced_as_the_usage_policy_asks(server) -> None:
    server.handler = scripted(Reply(200, [HOUSE]))
    clock, sleeps = Clock(), Sleeps()
    with nominatim(server, min_interval_s=1.0, clock=clock, sleep=sleeps) as geocoder:
        geocoder.locate("Götgatan 1", POSTAL, CITY)
        clock.now += 0.25
        geocoder.locate("Götgatan 2", POSTAL, CITY)
        geocoder.locate("Götgatan 1", POSTAL, CITY)  # cached: no request, no wait
    assert len(server.requests) == 2
    assert sleeps == [0.75]


def test_the_setting_chooses_nominatim_and_the_default_stays_varsels_protocol(server, monkeypatch) -> None:
    base = Settings(geocoder_url=server.url, public_base_url="https://varsel.stockholm.example")
    assert isinstance(geocoder_for(base), HttpGeocoder)
    assert geocoder_for(Settings()) is None
    monkeypatch.setenv("VARSEL_GEOCODER_PROTOCOL", "nominatim")
    monkeypatch.setenv("VARSEL_GEOCODER_URL", server.url)
    monkeypatch.setenv("VARSEL_GEOCODER_EMAIL", "it-drift@stockholm.example")
    monkeypatch.setenv("VARSEL_PUBLIC_BASE_URL", "https://varsel.stockholm.example")
    geocoder = geocoder_for(Settings())
    assert isinstance(geocoder, NominatimGeocoder)
    assert isinstance(geocoder, Geocoder)
    server.handler = scripted(Reply(200, [HOUSE]))
    assert geocoder.locate(STREET, POSTAL, CITY).routable
    request = server.requests[0]
    assert request.headers["user-agent"].startswith("Varsel/")
    assert request.headers["user-agent"].endswith("(+https://varsel.stockholm.example)")
    assert query(request)["email"] == ["it-drift@stockholm.example"]
    geocoder.close()


def test_an_unknown_protocol_is_refused() -> None:
    with pytest.raises(ValueError, match="one of varsel, nominatim"):
        geocoder_from_settings("http://127.0.0.1:9", None, protocol="google")
    with pytest.raises(ValueError):
        Settings(geocoder_protocol="google")
