"""The landlord portal's tests: landlord users, a signed-in browser (TestClient), "today" pinned.

"Today" is 2026-11-20 in Stockholm, as in the landlord-API tests (tests/notices/conftest.py),
so that a notice sent by form and the same notice sent as JSON are judged on the same day.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from app.security import landlord_users
from app.security.actors import SYSTEM
from tests.conftest import TEST_PASSWORD
from tests.notices.conftest import NOW, Clock, row_counts  # noqa: F401 - a fixture for the portal's tests

PORTAL = "/hyresvard"


@pytest.fixture(autouse=True)
def clock(app) -> Clock:
    pinned = Clock(NOW)
    app.state.clock = pinned
    return pinned


@dataclass
class PortalAccount:
    email: str
    landlord_id: object
    org_number: str
    key_headers: dict[str, str]  # the same landlord's API key, to compare with what a key sees


@pytest.fixture
def make_portal_user(db, settings, make_landlord) -> Callable[..., PortalAccount]:
    def make(email: str = "hyror@bostadsbolaget.example", landlord=None, password: str | None = TEST_PASSWORD,
             name: str = "Bostadsbolaget AB") -> PortalAccount:
        landlord = landlord or make_landlord(name)
        with db() as session:
            landlord_users.create(session, settings, SYSTEM, org_number=landlord.org_number, email=email,
                                  password=password)
        return PortalAccount(email, landlord.id, landlord.org_number, landlord.headers)

    return make


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found[1]


def sign_in(client: TestClient, email: str, password: str = TEST_PASSWORD, next_path: str | None = None):
    form = client.get(f"{PORTAL}/logga-in", params={"next": next_path} if next_path else None)
    assert form.status_code == 200
    data = {"email": email, "password": password, "csrf_token": csrf_of(form.text)}
    if next_path:
        data["next"] = next_path
    return client.post(f"{PORTAL}/logga-in", data=data, follow_redirects=False)


@pytest.fixture
def portal(client, make_portal_user) -> tuple[TestClient, PortalAccount]:
    """A browser signed in to the portal as a landlord user."""
    account = make_portal_user()
    answer = sign_in(client, account.email)
    assert answer.status_code == 303, answer.text
    return client, account


def page_csrf(client: TestClient, path: str = f"{PORTAL}/ny") -> str:
    return csrf_of(client.get(path).text)


def form_of(body: dict, prefix: str = "") -> dict[str, str]:
    """A notice body as the portal's form posts it: one field per column, named with dots."""
    fields: dict[str, str] = {}
    for key, value in body.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            fields |= form_of(value, name + ".")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                fields |= form_of(item, f"{name}.{index}.")
        elif isinstance(value, bool):
            fields[name] = "true" if value else "false"
        elif value is not None:
            fields[name] = str(value)
    return fields


def send_form(client: TestClient, fields: dict[str, str], **changes: str):
    data = {**fields, **changes, "csrf_token": page_csrf(client)}
    return client.post(f"{PORTAL}/ny", data=data, follow_redirects=False)
