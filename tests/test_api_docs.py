"""The API documentation pages: `/docs` (Swagger UI) and `/redoc` (ReDoc) from vendored files, naming
no outside host, under a policy that allows scripts from Varsel only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.http_security import DOCS_POLICY

REPO = Path(__file__).resolve().parents[1]
STATIC = REPO / "app" / "web" / "static"
VENDORED = (STATIC / "VENDORED.txt").read_text(encoding="utf-8")
OPENAPI = "/api/v1/openapi.json"


# --------------------------------------------------------------------------- the pages


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_name_no_outside_host_and_load_only_varsels_own_files(client, page):
    answer = client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert not re.search(r"(https?:)?//", html), "the page names another host"
    assert "<script>" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/apidocs/") for a in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert served.content == (STATIC / asset.removeprefix("/static/")).read_bytes()
    assert OPENAPI in html


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_policy_allows_scripts_from_varsel_only(client, page):
    policy = client.get(page).headers["content-security-policy"]
    assert policy == DOCS_POLICY
    rules = dict(rule.split(" ", 1) for rule in policy.split("; "))
    assert rules["script-src"] == "'self'"
    assert rules["default-src"] == "'none'" and rules["connect-src"] == "'self'"
    assert "http" not in policy and "unsafe-eval" not in policy


def test_the_vendored_viewers_are_pinned_with_their_licences():
    for name, version, files in [
        ("Swagger UI", "5.35.0", ["swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css",
                                  "swagger-ui/LICENSE.txt", "swagger-ui/NOTICE.txt"]),
        ("ReDoc", "2.5.4", ["redoc/redoc.standalone.js", "redoc/LICENSE.txt"]),
    ]:
        assert f"{name} {version}" in VENDORED
        for file in files:
            assert (STATIC / "apidocs" / file).is_file(), file
    assert "Apache License" in (STATIC / "apidocs/swagger-ui/LICENSE.txt").read_text(encoding="utf-8")
    assert "MIT License" in (STATIC / "apidocs/redoc/LICENSE.txt").read_text(encoding="utf-8")
