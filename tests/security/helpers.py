"""Signing in as a browser does, for the security tests."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import TEST_PASSWORD

HTML = {"Accept": "text/html"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def login_form_token(client: TestClient) -> str:
    return _CSRF.search(client.get("/logga-in", headers=HTML).text).group(1)


def web_sign_in(client: TestClient, username: str, password: str = TEST_PASSWORD, next: str = "/"):
    """Post the sign-in form; returns the answer (303 on success, with the session cookie set)."""
    token = login_form_token(client)
    return client.post("/logga-in", data={"username": username, "password": password, "csrf_token": token,
                                          "next": next}, headers=HTML, follow_redirects=False)


def page_csrf(client: TestClient, path: str) -> str:
    """The CSRF token the signed-in user's pages carry (bound to the session)."""
    return _CSRF.search(client.get(path, headers=HTML).text).group(1)


def api_token(client: TestClient, username: str, password: str = TEST_PASSWORD) -> str:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
