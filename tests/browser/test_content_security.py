"""The staff UI under its content security policy, in a real browser: nothing refused, htmx still works."""

from __future__ import annotations

from datetime import date

from tests.browser.conftest import watch_content_security
from tests.browser.test_staff_ui import district_with_cases, sign_in  # noqa: F401 - the fixture
from tests.support.people import personnummer


def test_the_pages_break_no_rule_and_the_identity_number_is_revealed_in_place(district_with_cases,  # noqa: F811
                                                                               live_server, page):
    refused = watch_content_security(page)

    sign_in(page, live_server)
    page.locator("table tbody tr").nth(0).get_by_role("link").click()
    page.wait_for_url(f"{live_server}/arenden/*")
    case_url = page.url
    masked = page.locator("span[id^=pin-]").first
    assert masked.inner_text().endswith("-****")

    with page.expect_response(lambda answer: "/personnummer/" in answer.url) as reveal:
        page.get_by_role("button", name="Visa hela personnumret för Anna Andersson").first.click()
    assert reveal.value.headers["cache-control"] == "no-store"

    # htmx swapped the number into the page: no navigation to the fragment, which is what happens
    # when the policy blocks htmx and the form posts the ordinary way.
    full = {personnummer(date(1985, 4, 12), "12" + suffix) for suffix in ("1", "2")}
    page.wait_for_function("document.querySelector('span[id^=pin-]').innerText.indexOf('*') < 0")
    assert page.url == case_url
    assert masked.inner_text() in full
    for path in ("/ko", "/logga-in"):
        page.goto(f"{live_server}{path}")
    assert refused == []
