"""Security headers on every answer: pages, the staff API, reveals, reports, receipts, errors, /docs."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.config import Settings
from app.http_security import API_POLICY, PDF_POLICY, STRICT_POLICY, SecurityHeadersMiddleware
from app.main import create_app
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL, TEST_PASSWORD
from tests.notices.conftest import notice_body
from tests.support.people import personnummer

NOW = datetime(2026, 11, 20, 8, 14, 3, tzinfo=timezone.utc)
TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"
HTML = {"Accept": "text/html"}


def policy(answer) -> dict[str, str]:
    directives = [d.strip() for d in answer.headers["content-security-policy"].split(";")]
    return {d.split(" ", 1)[0]: d.partition(" ")[2] for d in directives if d}


def assert_common(answer, *, cached: bool = False) -> None:
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert policy(answer)["frame-ancestors"] == "'none'"
    if not cached:
        assert answer.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in answer.headers  # development


@pytest.fixture
def case(app, client, landlord, staff_headers):
    """A Södermalm case with a tenant's identity number; a handler's API headers and web session."""
    app.state.clock = lambda: NOW
    body = notice_body({"tenants[0].personal_identity_number": personnummer(date(1985, 4, 12))})
    receipt = client.post("/api/v1/notices", json=body, headers=landlord.headers)
    assert receipt.status_code == 201
    headers = staff_headers("sara", "handler", "sodermalm")
    case_id = client.get("/api/v1/queue", headers=headers).json()["items"][0]["case_id"]
    tenant_id = client.get(f"/api/v1/cases/{case_id}", headers=headers).json()["tenants"][0]["id"]
    return {"receipt": receipt, "headers": headers, "case_id": case_id, "tenant_id": tenant_id}


def web_sign_in(client, username: str) -> str:
    form = client.get("/logga-in", headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    client.post("/logga-in", data={"username": username, "password": TEST_PASSWORD, "csrf_token": csrf},
                headers=HTML, follow_redirects=False)
    page = client.get("/ko", headers=HTML)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_staff_pages_get_the_strict_policy_and_are_not_cached(client, case):
    csrf = web_sign_in(client, "sara")
    for path in ("/logga-in", "/ko", f"/arenden/{case['case_id']}"):
        answer = client.get(path, headers=HTML)
        assert answer.status_code == 200, path
        assert answer.headers["content-security-policy"] == STRICT_POLICY
        assert_common(answer)
    rules = policy(client.get("/ko", headers=HTML))
    assert rules["script-src"] == "'self'" and rules["style-src"] == "'self'"
    assert "unsafe-inline" not in STRICT_POLICY and "unsafe-eval" not in STRICT_POLICY

    # The htmx reveal of an identity number, a fragment of personal data.
    reveal = client.post(f"/arenden/{case['case_id']}/personnummer/{case['tenant_id']}",
                         data={"csrf_token": csrf}, headers={**HTML, "HX-Request": "true"})
    assert reveal.status_code == 200 and "19850412-" in reveal.text
    assert_common(reveal)


def test_the_staff_api_and_the_identity_number_reveal_are_data_not_pages(client, case):
    for answer in (client.get("/api/v1/queue", headers=case["headers"]),
                   client.get(f"/api/v1/cases/{case['case_id']}", headers=case["headers"]),
                   client.post(f"/api/v1/cases/{case['case_id']}/tenants/{case['tenant_id']}/identity-number",
                               headers=case["headers"])):
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"] == API_POLICY
        assert policy(answer)["default-src"] == "'none'" and "script-src" not in policy(answer)
        assert_common(answer)


def test_landlord_receipts_are_not_cached(client, case, landlord):
    assert_common(case["receipt"])
    assert case["receipt"].headers["content-security-policy"] == API_POLICY
    notice_id = case["receipt"].json()["id"]
    assert_common(client.get(f"/api/v1/notices/{notice_id}", headers=landlord.headers))


def test_reports_as_html_may_style_themselves_but_run_nothing_and_pdfs_open_in_the_viewer(client, staff_headers,
                                                                                          app):
    app.state.clock = lambda: NOW
    manager = staff_headers("chef", "manager", "sodermalm")
    html = client.get("/api/v1/reports/monthly?month=2026-10&format=html", headers=manager)
    assert html.status_code == 200 and "<style>" in html.text
    rules = policy(html)
    assert rules["style-src"] == "'unsafe-inline'" and rules["default-src"] == "'none'" and "script-src" not in rules
    assert_common(html)
    pdf = client.get("/api/v1/reports/monthly?month=2026-10&format=pdf", headers=manager)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # Chromium shows a PDF in a page of its own making: a stricter policy would block its viewer.
    assert pdf.headers["content-security-policy"] == PDF_POLICY
    assert_common(pdf)


def test_error_answers_carry_the_headers_too(app, client):
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/api/v1/test/boom")
    def boom() -> None:
        raise RuntimeError("crash")

    app.include_router(router)
    for answer, status in ((client.get("/api/v1/queue"), 401), (client.get("/no/such/page"), 404),
                           (client.get("/api/v1/test/boom"), 500)):
        assert answer.status_code == status
        assert_common(answer)


def test_static_assets_may_be_cached_but_are_never_sniffed(client):
    answer = client.get("/static/htmx.min.js")
    assert answer.status_code == 200
    assert "no-store" not in answer.headers.get("cache-control", "")
    assert_common(answer, cached=True)


def test_operations_endpoints_are_not_cached(client):
    for path in ("/healthz", "/readyz", "/metrics"):
        assert_common(client.get(path))


def test_docs_load_scripts_from_varsel_only_and_run_no_inline_script(client):
    # Swagger UI and ReDoc are vendored (app/web/static/apidocs/): no CDN, no inline script, no hash needed.
    for page in ("/docs", "/redoc"):
        answer = client.get(page)
        assert answer.status_code == 200
        assert_common(answer)
        rules = policy(answer)
        assert rules["script-src"] == "'self'"
        assert not re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", answer.text)
        assert "cdn" not in answer.headers["content-security-policy"]
        assert rules["connect-src"] == "'self'"  # "try it out" calls Varsel itself
    assert client.get("/api/v1/openapi.json").headers["content-security-policy"] == API_POLICY


def test_templates_have_no_inline_script_style_or_event_handler():
    # The strict policy would block them: the pages would break in the browser, not in these tests.
    for template in TEMPLATES.glob("*.html"):
        source = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), template.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", source), template.name


def test_hsts_is_sent_when_asked_for_and_only_then():
    def hello(_request):
        return PlainTextResponse("hej")

    for hsts in (True, False):
        inner = Starlette(routes=[Route("/", hello)])
        with TestClient(SecurityHeadersMiddleware(inner, hsts=hsts)) as client:
            answer = client.get("/")
        assert ("strict-transport-security" in answer.headers) is hsts
        if hsts:
            assert answer.headers["strict-transport-security"].startswith("max-age=31536000")


@pytest.mark.postgres_only
def test_production_sends_hsts(engine):
    assert IS_POSTGRES
    settings = Settings(env="production", database_url=TEST_DATABASE_URL, scheduler_enabled=False,
                        secret_key="s" * 48, data_key=base64.b64encode(b"p" * 32).decode(), log_json=False)
    with TestClient(create_app(settings, engine=engine)) as client:
        answer = client.get("/healthz")
    assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
