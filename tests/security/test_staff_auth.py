"""Staff passwords (argon2id), tokens, throttling, sessions and CSRF."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.security import service as accounts
from app.security.models import User
from app.security.passwords import WeakPassword, hash_password, verify_password
from app.security.tokens import csrf_token, csrf_valid, issue_token, read_token
from tests.conftest import TEST_PASSWORD


def test_passwords_are_argon2id_and_verify():
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "correct horse battery!")
    assert not verify_password(None, "anything")
    assert not verify_password("garbage", "anything")


def test_token_round_trip_and_expiry():
    user_id = uuid.uuid4()
    token = issue_token("s" * 40, user_id, 3)
    claims = read_token("s" * 40, token, max_age=3600)
    assert claims is not None and claims.user_id == user_id and claims.token_version == 3
    assert read_token("s" * 40, token, max_age=-1) is None  # expired
    assert read_token("t" * 40, token, max_age=3600) is None  # another secret
    assert read_token("s" * 40, token + "x", max_age=3600) is None  # tampered
    # a session cookie is not a token, nor the other way round: now sessions are rows,
    # see test_sessions.py::test_a_session_cookie_is_not_a_token_nor_the_other_way_round


def test_csrf_token_is_bound_to_the_session():
    session_id = str(uuid.uuid4())  # a web session row's id (sessions are server-side rows now)
    token = csrf_token("s" * 40, session_id)
    assert csrf_valid("s" * 40, session_id, token)
    assert not csrf_valid("s" * 40, "another-session", token)
    assert not csrf_valid("s" * 40, session_id, None)
    assert not csrf_valid("s" * 40, session_id, "")


def test_user_gets_a_token_and_it_works(client, make_user, app):
    make_user("handlaggare", "handler", "sodermalm")
    answer = client.post("/api/v1/auth/token", data={"username": "handlaggare", "password": TEST_PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    claims = read_token(app.state.settings.secret_key, body["access_token"], 3600)
    assert claims is not None


def test_wrong_password_is_401_problem(client, make_user):
    make_user("handlaggare", "handler", "sodermalm")
    answer = client.post("/api/v1/auth/token", data={"username": "handlaggare", "password": "wrong-password-x"})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "Wrong username or password"


def test_unknown_user_gets_the_same_answer(client):
    answer = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "whatever-123456"})
    assert answer.status_code == 401
    assert answer.json()["detail"] == "Wrong username or password"


def test_repeated_failures_are_throttled_even_for_the_right_password(client, make_user):
    # A growing delay after three failures (was: a lockout after five); see test_throttling.py.
    make_user("handlaggare", "handler", "sodermalm")
    for _ in range(3):
        assert client.post("/api/v1/auth/token",
                           data={"username": "handlaggare", "password": "wrong-password-x"}).status_code == 401
    answer = client.post("/api/v1/auth/token", data={"username": "handlaggare", "password": TEST_PASSWORD})
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 0


def test_deactivated_user_cannot_sign_in_and_old_tokens_die(client, make_user, db):
    make_user("handlaggare", "handler", "sodermalm")
    token = client.post("/api/v1/auth/token",
                        data={"username": "handlaggare", "password": TEST_PASSWORD}).json()["access_token"]
    with db() as session:
        user = session.scalar(select(User).where(User.username == "handlaggare"))
        user.active = False
        user.token_version += 1
    assert client.post("/api/v1/auth/token",
                       data={"username": "handlaggare", "password": TEST_PASSWORD}).status_code == 401


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "handler"}, "belongs to a district"),
        ({"role": "boss", "district_code": "sodermalm"}, "role must be one of"),
        ({"role": "handler", "district_code": "atlantis"}, "unknown district"),
        ({"role": "joint_assessor", "district_code": "sodermalm"}, "needs --unit"),
        ({"role": "joint_assessor", "district_code": "sodermalm", "unit": "police"}, "needs --unit"),
    ],
)
def test_user_creation_rules(db, kwargs, message):
    with db() as session, pytest.raises(accounts.AccountError, match=message):
        accounts.create_user(session, username="u1", password=TEST_PASSWORD, **kwargs)


def test_short_passwords_are_refused(db):
    with db() as session, pytest.raises(WeakPassword):
        accounts.create_user(session, username="u1", role="admin", password="short")


def test_duplicate_username_is_refused(db, make_user):
    make_user("handlaggare", "handler", "sodermalm")
    with db() as session, pytest.raises(accounts.AccountError, match="taken"):
        accounts.create_user(session, username="handlaggare", role="admin", password=TEST_PASSWORD)
