"""The API documentation renders in a real browser with the network cut off: Swagger UI on /docs and
ReDoc on /redoc list the operations from Varsel's own files, ask no other host, and break no rule of
the pages' content security policy."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.conftest import screenshot

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture
def offline(browser):
    """A browser context whose every request to a host other than this machine is aborted (and noted)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_local(route):
        if urlparse(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page, outside, problems
    context.close()


def test_swagger_ui_lists_the_operations_offline(live_server, offline):
    page, outside, problems = offline
    page.goto(f"{live_server}/docs")
    page.wait_for_selector("text=sendNotice", timeout=20000)
    operations = page.locator(".opblock-summary-operation-id").all_inner_texts()
    assert {"sendNotice", "sendNoticeBatch", "listNotices", "getNotice", "reportNoticeEvent", "getQueue",
            "receiveEvictionNotice"} <= set(operations)
    assert page.get_by_role("button", name="Authorize").is_visible()  # the security schemes
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_selector("text=LandlordKey")
    assert page.locator("text=StaffToken").count() and page.locator("text=AuthorityKey").count()
    screenshot(page, "api-docs-swagger-ui")
    assert outside == []
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []


def test_redoc_lists_the_operations_offline(live_server, offline):
    page, outside, problems = offline
    page.goto(f"{live_server}/redoc")
    page.get_by_role("heading", name="Send an underrättelse").wait_for(timeout=20000)
    assert page.get_by_role("heading", name="The district's cases, most urgent first").is_visible()
    assert page.locator("[data-section-id]").count() > 10
    screenshot(page, "api-docs-redoc")
    assert outside == []
    # ReDoc's bundle names one outside address of its own, its logo in the "API docs by Redocly" line;
    # the policy refuses it before any request leaves (so `outside` stays empty), and nothing else.
    refused = [p for p in problems if "Content Security Policy" in p or "Refused" in p]
    assert all("https://cdn.redoc.ly/redoc/logo-mini.svg" in p and "img-src" in p for p in refused), refused
