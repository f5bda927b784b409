"""Where a sign-in may send the browser afterwards: a path on this site, nothing else (issue #11, item 4)."""

from __future__ import annotations

import pytest

from app.web.common import safe_next
from tests.security.helpers import web_sign_in

ELSEWHERE = [
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/%2F/evil.example",
    "/%2Fevil.example",
    "/%2fevil.example",
    "/%252Fevil.example",  # encoded twice
    "/%5Cevil.example",
    "/%5cevil.example",
    "/ko\\..\\..\\evil",
    "/\t/evil.example",
    "/\n/evil.example",
    "/%09/evil.example",
    "/%0d%0aSet-Cookie:%20x=1",
    "/ko\x00",
    "/ko\x7f",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    " //evil.example",
    "",
    None,
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("value", ELSEWHERE)
def test_anything_that_could_leave_the_site_becomes_the_start_page(value):
    assert safe_next(value) == "/"


@pytest.mark.parametrize("value", ["/ko", "/arenden/3f1c?flik=tidslinje", "/ko?q=a%2Fb", "/granskning?object_id=x"])
def test_a_path_on_this_site_is_kept_as_it_is(value):
    assert safe_next(value) == value


@pytest.mark.parametrize("value", ["//evil.example/x", "/\\evil.example", "/%2F%2Fevil.example"])
def test_the_local_sign_in_never_sends_anyone_elsewhere(client, make_user, value):
    make_user("sara", "handler", "sodermalm")
    answer = web_sign_in(client, "sara", next=value)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ko"  # the role's start page, not the link's target
