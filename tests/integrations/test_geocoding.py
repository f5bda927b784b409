"""The geocoder clients: the HTTP protocol against a real local server, the
cache, retries and timeouts, and the geocoder used when none is configured."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.errors import IntegrationRejected
from integrations.geocoding.factory import geocoder_from_settings
from integrations.geocoding.http import HttpGeocoder
from integrations.geocoding.null import NullGeocoder
from integrations.geocoding.protocol import Geocoder, GeocodeResult, GeocoderUnavailable
from tests.support.httpserver import LocalHTTPServer, RecordedRequest, Reply

STREET = "Götgatan 30"
POSTAL = "118 46"
CITY = "Stockholm"
FOUND = {"results": [{"lat": 59.3139, "lon": 18.0718, "quality": "address"}]}


@pytest.fixture(scope="module")
def _shared_server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer(lambda _: Reply(500)) as server:
        yield server


@pytest.fixture
def server(_shared_server: LocalHTTPServer) -> LocalHTTPServer:
    _shared_server.requests.clear()
    return _shared_server


class Sleeps(list):
    """Stands in for time.sleep: records the backoff delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scripted(*replies: Reply):
    """A handler answering with `replies` in order, then repeating the last one."""
    queue = list(replies)

    def handler(_: RecordedRequest) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def query(request: RecordedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.path).query)


def test_found_address_is_returned_and_the_query_follows_the_protocol(
    server: LocalHTTPServer,
) -> None:
    server.handler = scripted(Reply(200, FOUND))
    with HttpGeocoder(server.url) as geocoder:
        result = geocoder.locate(STREET, POSTAL, CITY)
    assert result == GeocodeResult(lat=59.3139, lon=18.0718, quality="address")
    assert result.routable is True
    assert len(server.requests) == 1
    request = server.requests[0]
    assert request.method == "GET"
    assert urlsplit(request.path).path == "/v1/search"
    assert query(request) == {
        "street": ["Götgatan 30"],
        "postal_code": ["118 46"],
        "city": ["Stockholm"],
    }
    assert "authorization" not in request.headers


def test_only_address_quality_is_routable(server: LocalHTTPServer) -> None:
    server.handler = scripted(
        Reply(200, {"results": [{"lat": 59.31, "lon": 18.07, "quality": "street"}]})
    )
    with HttpGeocoder(server.url) as geocoder:
        result = geocoder.locate(STREET, POSTAL, CITY)
    assert result == GeocodeResult(lat=59.31, lon=18.07, quality="street")
    assert result.routable is False


def test_the_api_key_is_sent_as_a_bearer_token(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, FOUND))
    with HttpGeocoder(server.url, api_key="s3cret-key") as geocoder:
        geocoder.locate(STREET, POSTAL, CITY)
    assert server.requests[0].headers["authorization"] == "Bearer s3cret-key"


@pytest.mark.parametrize("reply", [Reply(404, {"error": "not found"}), Reply(200, {"results": []})])
def test_not_found_is_none(server: LocalHTTPServer, reply: Reply) -> None:
    server.handler = scripted(reply)
    with HttpGeocoder(server.url) as geocoder:
        assert geocoder.locate("Okändgatan 1", "999 99", CITY) is None
    assert len(server.requests) == 1


def test_a_second_identical_lookup_is_served_from_the_cache(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, FOUND))
    with HttpGeocoder(server.url) as geocoder:
        first = geocoder.locate(STREET, POSTAL, CITY)
        second = geocoder.locate(STREET, POSTAL, CITY)
        # Whitespace and case do not make a different question.
        third = geocoder.locate("götgatan  30", "11846", "STOCKHOLM")
    assert first == second == third == GeocodeResult(59.3139, 18.0718, "address")
    assert len(server.requests) == 1


def test_not_found_is_cached_too(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(404))
    with HttpGeocoder(server.url) as geocoder:
        assert geocoder.locate("Okändgatan 1", "999 99", CITY) is None
        assert geocoder.locate("Okändgatan 1", "999 99", CITY) is None
    assert len(server.requests) == 1


def test_cache_entries_expire_after_the_ttl(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, FOUND))
    clock = Clock()
    with HttpGeocoder(server.url, cache_ttl_s=60, clock=clock) as geocoder:
        geocoder.locate(STREET, POSTAL, CITY)
        clock.now += 59
        geocoder.locate(STREET, POSTAL, CITY)
        assert len(server.requests) == 1
        clock.now += 2
        geocoder.locate(STREET, POSTAL, CITY)
    assert len(server.requests) == 2


def test_the_cache_keeps_the_most_recently_used_entries(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, FOUND))
    with HttpGeocoder(server.url, cache_size=2) as geocoder:
        geocoder.locate("Götgatan 1", POSTAL, CITY)  # request 1
        geocoder.locate("Götgatan 2", POSTAL, CITY)  # request 2
        geocoder.locate("Götgatan 1", POSTAL, CITY)  # cached; now most recent
        geocoder.locate("Götgatan 3", POSTAL, CITY)  # request 3, evicts Götgatan 2
        geocoder.locate("Götgatan 1", POSTAL, CITY)  # still cached
        geocoder.locate("Götgatan 2", POSTAL, CITY)  # request 4
    assert [query(r)["street"][0] for r in server.requests] == [
        "Götgatan 1",
        "Götgatan 2",
        "Götgatan 3",
        "Götgatan 2",
    ]


def test_a_503_is_retried_then_the_answer_is_used(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(503), Reply(200, FOUND))
    sleeps = Sleeps()
    with HttpGeocoder(server.url, retries=2, backoff_s=0.1, sleep=sleeps) as geocoder:
        result = geocoder.locate(STREET, POSTAL, CITY)
    assert result == GeocodeResult(59.3139, 18.0718, "address")
    assert len(server.requests) == 2
    assert sleeps == [0.1]


def test_a_persistent_500_makes_the_geocoder_unavailable(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(500))
    sleeps = Sleeps()
    with HttpGeocoder(server.url, retries=2, backoff_s=0.1, sleep=sleeps) as geocoder:
        with pytest.raises(GeocoderUnavailable) as caught:
            geocoder.locate(STREET, POSTAL, CITY)
        assert str(caught.value) == "geocoder search: answered 500 after 3 attempts"
        # A failure is not cached: the next look-up asks again.
        server.handler = scripted(Reply(200, FOUND))
        assert geocoder.locate(STREET, POSTAL, CITY) == GeocodeResult(59.3139, 18.0718, "address")
    assert len(server.requests) == 4
    assert sleeps == [0.1, 0.2]


def test_a_slow_server_is_retried_then_unavailable(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, FOUND, delay_s=0.6))
    sleeps = Sleeps()
    with HttpGeocoder(server.url, timeout=0.2, retries=1, sleep=sleeps) as geocoder:
        with pytest.raises(GeocoderUnavailable) as caught:
            geocoder.locate(STREET, POSTAL, CITY)
    assert str(caught.value) == "geocoder search: did not answer in time after 2 attempts"
    assert len(server.requests) == 2
    assert sleeps == [0.1]


def test_a_client_error_is_rejected_without_retry(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(401, {"error": "bad key"}))
    sleeps = Sleeps()
    with HttpGeocoder(server.url, api_key="wrong", sleep=sleeps) as geocoder:
        with pytest.raises(IntegrationRejected) as caught:
            geocoder.locate(STREET, POSTAL, CITY)
    assert caught.value.status_code == 401
    assert len(server.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        {"result": []},
        {"results": [{"lat": "north", "lon": 18.0, "quality": "address"}]},
        {"results": [{"lat": 59.3, "lon": 18.0, "quality": "rooftop"}]},
        {"results": [{"lat": 259.3, "lon": 18.0, "quality": "address"}]},
    ],
)
def test_a_body_off_the_protocol_is_unavailable_without_retry(
    server: LocalHTTPServer, body: object
) -> None:
    server.handler = scripted(Reply(200, body))
    with HttpGeocoder(server.url, sleep=Sleeps()) as geocoder:
        with pytest.raises(GeocoderUnavailable):
            geocoder.locate(STREET, POSTAL, CITY)
    assert len(server.requests) == 1


def test_null_geocoder_makes_no_call(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, FOUND))
    geocoder = geocoder_from_settings(None, "a-key")
    assert isinstance(geocoder, NullGeocoder)
    assert isinstance(geocoder, Geocoder)
    assert geocoder.locate(STREET, POSTAL, CITY) is None
    assert geocoder_from_settings("", None).locate(STREET, POSTAL, CITY) is None
    assert server.requests == []


def test_factory_builds_the_http_client_when_a_url_is_set(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, FOUND))
    geocoder = geocoder_from_settings(server.url, "k")
    assert isinstance(geocoder, HttpGeocoder)
    assert isinstance(geocoder, Geocoder)
    assert geocoder.locate(STREET, POSTAL, CITY) == GeocodeResult(59.3139, 18.0718, "address")
    assert server.requests[0].headers["authorization"] == "Bearer k"
    geocoder.close()


def test_a_bad_url_is_refused() -> None:
    with pytest.raises(ValueError, match="must start with http"):
        HttpGeocoder("ftp://geocoder.example")
