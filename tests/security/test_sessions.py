"""Web sessions live on the server: sign-out, idle and age end them wherever the cookie went (issue #11, item 2)."""

from __future__ import annotations

import hashlib
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.jobs.registry import run_job_once
from app.security.models import AuditEvent, LoginThrottle, WebSession
from tests.security.helpers import HTML, api_token, bearer, page_csrf, web_sign_in


def _signed_in(client, make_user, username="sara", role="handler", district="sodermalm") -> str:
    make_user(username, role, district)
    answer = web_sign_in(client, username)
    assert answer.status_code == 303, answer.text
    return client.cookies["varsel_session"]


def _copy(app, cookie: str) -> TestClient:
    """Another browser holding a copy of the cookie."""
    other = TestClient(app, follow_redirects=False)
    other.cookies.set("varsel_session", cookie)
    return other


def test_signing_out_ends_a_copied_cookie_for_pages_and_the_api(app, client, make_user, db):
    cookie = _signed_in(client, make_user)
    thief = _copy(app, cookie)
    assert thief.get("/ko", headers=HTML).status_code == 200
    assert thief.get("/api/v1/queue").status_code == 200

    answer = client.post("/logga-ut", data={"csrf_token": page_csrf(client, "/ko")}, follow_redirects=False)
    assert answer.status_code == 303

    refused = thief.get("/ko", headers=HTML)
    assert refused.status_code == 303
    assert refused.headers["location"] == "/logga-in?next=/ko&expired=1"
    assert thief.get("/api/v1/queue").status_code == 401
    with db() as session:
        assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "web.sign_out"))


def test_the_database_keeps_only_a_hash_of_the_cookie(client, make_user, db):
    cookie = _signed_in(client, make_user)
    with db() as session:
        row = session.scalars(select(WebSession)).one()
        assert row.secret_hash == hashlib.sha256(cookie.encode()).hexdigest()
        assert cookie not in (row.secret_hash, str(row.id))
        assert row.user_agent == "testclient" and row.ip == "testclient"


def test_a_session_ends_after_the_idle_timeout(client, make_user, clock):
    _signed_in(client, make_user)
    clock.advance(seconds=client.app.state.settings.session_idle_seconds - 120)
    assert client.get("/ko", headers=HTML, follow_redirects=False).status_code == 200  # still in use
    clock.advance(seconds=client.app.state.settings.session_idle_seconds - 120)
    assert client.get("/ko", headers=HTML, follow_redirects=False).status_code == 200  # idle counts from the last use
    clock.advance(seconds=client.app.state.settings.session_idle_seconds + 1)
    answer = client.get("/ko", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and "expired=1" in answer.headers["location"]


def test_a_session_in_constant_use_still_ends_at_its_absolute_lifetime(client, make_user, clock):
    _signed_in(client, make_user)
    ttl = client.app.state.settings.session_ttl_seconds
    used = 0
    while used + 600 < ttl:
        clock.advance(seconds=600)
        used += 600
        assert client.get("/api/v1/queue").status_code == 200
    clock.advance(seconds=ttl - used)
    assert client.get("/api/v1/queue").status_code == 401


def test_last_seen_is_written_at_most_once_a_minute(client, make_user, db, clock):
    _signed_in(client, make_user)
    with db() as session:
        signed_in_at = session.scalars(select(WebSession)).one().last_seen_at
    clock.advance(seconds=30)
    client.get("/api/v1/queue")
    with db() as session:
        assert session.scalars(select(WebSession)).one().last_seen_at == signed_in_at
    clock.advance(seconds=31)
    client.get("/api/v1/queue")
    with db() as session:
        assert session.scalars(select(WebSession)).one().last_seen_at == clock.now


def test_signing_in_again_clears_the_users_dead_sessions(app, client, make_user, db):
    _signed_in(client, make_user)
    client.post("/logga-ut", data={"csrf_token": page_csrf(client, "/ko")})
    assert web_sign_in(client, "sara").status_code == 303
    with db() as session:
        rows = session.scalars(select(WebSession)).all()
        assert len(rows) == 1 and rows[0].revoked_at is None


def test_the_api_wants_the_csrf_token_with_the_session_cookie_on_unsafe_methods(client, make_user):
    _signed_in(client, make_user)
    assert client.get("/api/v1/queue").status_code == 200  # a read needs no token
    assign = f"/api/v1/cases/{uuid.uuid4()}/assign"

    refused = client.post(assign, json={"username": "sara"})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "X-CSRF-Token" in refused.json()["detail"]
    assert client.post(assign, json={"username": "sara"}, headers={"X-CSRF-Token": "0" * 64}).status_code == 403

    csrf = page_csrf(client, "/ko")
    answer = client.post(assign, json={"username": "sara"}, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 404  # let in; the case does not exist


def test_a_bearer_token_needs_no_csrf_token(client, make_user):
    make_user("sara", "handler", "sodermalm")
    token = api_token(client, "sara")
    answer = client.post(f"/api/v1/cases/{uuid.uuid4()}/assign", json={"username": "sara"}, headers=bearer(token))
    assert answer.status_code == 404


def test_a_session_cookie_is_not_a_token_nor_the_other_way_round(app, client, make_user):
    cookie = _signed_in(client, make_user)
    token = api_token(client, "sara")
    stranger = TestClient(app)
    assert stranger.get("/api/v1/queue", headers=bearer(cookie)).status_code == 401
    stranger.cookies.set("varsel_session", token)
    assert stranger.get("/api/v1/queue").status_code == 401


def test_signing_in_again_in_the_same_browser_ends_its_previous_session(app, client, make_user):
    first = _signed_in(client, make_user)
    assert web_sign_in(client, "sara").status_code == 303
    assert client.cookies["varsel_session"] != first
    assert _copy(app, first).get("/api/v1/queue").status_code == 401
    assert client.get("/api/v1/queue").status_code == 200


def test_the_nightly_purge_forgets_ended_sessions_and_spent_sign_in_counts(app, client, make_user, db, clock,
                                                                          settings):
    make_user("bo", "intake")
    clock.advance(hours=-2)  # a failure two hours ago: spent
    TestClient(app, client=("10.9.9.9", 5000)).post("/api/v1/auth/token",
                                                    data={"username": "ghost", "password": "fel-lösenord-igen"})
    clock.advance(hours=2)
    assert web_sign_in(client, "bo").status_code == 303
    client.post("/logga-ut", data={"csrf_token": page_csrf(client, "/manuell-fordelning")})  # an ended session
    _signed_in(TestClient(app), make_user)  # a live one
    client.post("/api/v1/auth/token", data={"username": "sara", "password": "fel-lösenord-igen"})  # a fresh count
    with db() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 2
        assert session.scalar(select(func.count()).select_from(LoginThrottle)) == 4

    run_job_once(settings, "purge-expired")

    with db() as session:
        assert [s.revoked_at for s in session.scalars(select(WebSession))] == [None]
        assert sorted(session.scalars(select(LoginThrottle.key))) == ["ip:testclient", "user:sara"]
