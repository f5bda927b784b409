"""Sign-in throttling: growing delays per username and per source address, no lockout (issue #11, item 3)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import Settings
from app.security.models import AuditEvent
from tests.conftest import TEST_PASSWORD
from tests.security.helpers import HTML, login_form_token

WRONG = "fel-lösenord-som-inte-stämmer"


def _token(client, username: str, password: str = WRONG):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def _from(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000))


def test_after_three_failures_each_attempt_waits_longer_up_to_a_minute(client, make_user, clock):
    make_user("sara", "handler", "sodermalm")
    for _ in range(2):
        assert _token(client, "sara").status_code == 401
    waits = []
    for _ in range(9):
        assert _token(client, "sara").status_code == 401  # checked: the previous wait was over
        refused = _token(client, "sara")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        waits.append(int(refused.headers["retry-after"]))
        clock.advance(seconds=waits[-1])
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_the_right_password_waits_out_the_delay_and_then_signs_in(client, make_user, clock):
    make_user("sara", "handler", "sodermalm")
    for _ in range(5):
        clock.advance(seconds=10)  # each guess after the previous wait
        assert _token(client, "sara").status_code == 401
    during = _token(client, "sara", TEST_PASSWORD)
    assert during.status_code == 429  # else the delay would cost a guesser nothing
    clock.advance(seconds=int(during.headers["retry-after"]))
    assert _token(client, "sara", TEST_PASSWORD).status_code == 200
    assert _token(client, "sara").status_code == 401  # the success cleared the username's count
    assert _token(client, "sara").status_code == 401


def test_five_wrong_passwords_do_not_shut_a_colleague_out_for_minutes(app, make_user, clock):
    make_user("sara", "handler", "sodermalm")
    prankster, sara = _from(app, "10.0.0.66"), _from(app, "10.0.0.7")
    for _ in range(5):
        prankster.post("/api/v1/auth/token", data={"username": "sara", "password": WRONG})
    refused = sara.post("/api/v1/auth/token", data={"username": "sara", "password": TEST_PASSWORD})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) <= 4  # seconds, not the five minutes of a lockout
    clock.advance(seconds=int(refused.headers["retry-after"]))
    assert sara.post("/api/v1/auth/token", data={"username": "sara", "password": TEST_PASSWORD}).status_code == 200


def test_one_password_sprayed_over_many_usernames_is_slowed_per_address(app, make_user, clock):
    make_user("sara", "handler", "sodermalm")
    sprayer = _from(app, "203.0.113.9")
    limit = app.state.settings.login_ip_max_failures
    for n in range(limit):
        answer = sprayer.post("/api/v1/auth/token", data={"username": f"user{n}", "password": WRONG})
        assert answer.status_code == 401
    refused = sprayer.post("/api/v1/auth/token", data={"username": "sara", "password": WRONG})
    assert refused.status_code == 429
    # The real user, from elsewhere, is not slowed by it.
    assert _from(app, "10.0.0.7").post("/api/v1/auth/token",
                                       data={"username": "sara", "password": TEST_PASSWORD}).status_code == 200
    # Another account's success from the same address does not reset the address's count.
    clock.advance(seconds=1)
    assert sprayer.post("/api/v1/auth/token", data={"username": "sara", "password": TEST_PASSWORD}).status_code == 200
    assert sprayer.post("/api/v1/auth/token", data={"username": "user99", "password": WRONG}).status_code == 401
    assert sprayer.post("/api/v1/auth/token", data={"username": "user98", "password": WRONG}).status_code == 429


def test_failures_are_forgotten_after_the_window(client, make_user, clock):
    make_user("sara", "handler", "sodermalm")
    for _ in range(3):
        _token(client, "sara")
    clock.advance(seconds=client.app.state.settings.login_window_seconds + 1)
    for _ in range(2):
        assert _token(client, "sara").status_code == 401
    assert _token(client, "sara").status_code == 401


def test_the_sign_in_page_says_how_long_to_wait_in_swedish(client, make_user):
    make_user("sara", "handler", "sodermalm")
    for _ in range(3):
        _token(client, "sara")
    csrf = login_form_token(client)
    answer = client.post("/logga-in", headers=HTML,
                         data={"username": "sara", "password": TEST_PASSWORD, "csrf_token": csrf})
    assert answer.status_code == 429
    assert "För många misslyckade inloggningar. Vänta 1 sekund och försök sedan igen." in answer.text
    assert answer.headers["retry-after"] == "1"


def test_failed_sign_ins_and_issued_tokens_are_audited_without_the_password(client, make_user, db):
    make_user("sara", "handler", "sodermalm")
    _token(client, "sara")
    _token(client, "nosuchuser")
    assert _token(client, "sara", TEST_PASSWORD).status_code == 200
    csrf = login_form_token(client)
    client.post("/logga-in", headers=HTML, data={"username": "sara", "password": WRONG, "csrf_token": csrf})
    with db() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor_kind, e.details) for e in events] == [
            ("auth.sign_in_failed", "anonymous", {"via": "api", "reason": "wrong_password", "username": "sara"}),
            ("auth.sign_in_failed", "anonymous", {"via": "api", "reason": "unknown_user"}),
            ("auth.token_issued", "staff", None),
            ("auth.sign_in_failed", "anonymous", {"via": "web", "reason": "wrong_password", "username": "sara"}),
        ]
        sara = events[2].object_id
        assert [e.object_id for e in events] == [sara, None, sara, sara]
        assert events[2].actor_name == "sara" and events[0].ip == "testclient"
        assert events[0].district_id is not None  # the district's managers see attempts on their staff
        for event in events:
            row = {c.name: getattr(event, c.name) for c in AuditEvent.__table__.columns}
            assert WRONG not in repr(row) and TEST_PASSWORD not in repr(row) and "nosuchuser" not in repr(row)


def test_the_old_lockout_setting_still_sets_the_window():
    assert Settings(login_lockout_seconds=300).login_window_seconds == 300
    assert Settings().login_window_seconds == 900
