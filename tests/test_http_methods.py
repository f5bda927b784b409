"""OPTIONS and 405 name every method an address allows (`Allow`), and HEAD works wherever GET does."""

from __future__ import annotations

import pytest

HTML = {"Accept": "text/html"}


@pytest.mark.parametrize(("path", "allowed"), [
    ("/api/v1/notices", "GET, HEAD, POST, OPTIONS"),  # two routes share the address
    ("/api/v1/notices/0b6c6c0e-0000-4000-8000-000000000000", "GET, HEAD, OPTIONS"),
    ("/api/v1/notices/batch", "GET, HEAD, POST, OPTIONS"),  # GET: /api/v1/notices/{notice_id} (404 there)
    ("/api/v1/queue", "GET, HEAD, OPTIONS"),
    ("/logga-in", "GET, HEAD, POST, OPTIONS"),
    ("/docs", "GET, HEAD, OPTIONS"),
    ("/static/htmx.min.js", "GET, HEAD, OPTIONS"),
])
def test_options_and_405_list_every_allowed_method(client, path, allowed):
    options = client.options(path)
    assert options.status_code == 204
    assert options.headers["allow"] == allowed
    assert options.content == b""
    refused = client.request("PATCH", path)
    assert refused.status_code == 405
    assert refused.headers["allow"] == allowed
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["status"] == 405


def test_options_on_an_unknown_address_is_404(client):
    assert client.options("/api/v1/nowhere").status_code == 404


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/logga-in", "/healthz", "/api/v1/openapi.json",
                                  "/static/htmx.min.js"])
def test_head_answers_with_the_get_headers_and_no_body(client, path):
    got = client.get(path, headers=HTML)
    head = client.head(path, headers=HTML)
    assert got.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]


def test_head_of_the_landlord_api_asks_for_the_key_like_get(client, landlord):
    assert client.head("/api/v1/notices").status_code == 401
    answer = client.head("/api/v1/notices", headers=landlord.headers)
    assert answer.status_code == 200 and answer.content == b""
    assert answer.headers["content-type"] == "application/json"
