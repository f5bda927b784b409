"""A verified API key is trusted by its process for KEY_CACHE_SECONDS, and no longer.

A revocation made elsewhere (the CLI, another worker: here a plain UPDATE, which no
cache of this process hears about) stops the key within that bound; the process that
revokes a key forgets it at once. The clock is injected, so the bound is tested exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from app.notices import service as notices
from app.security import apikeys
from app.security import service as accounts
from app.security.models import ApiKey
from tests.notices.conftest import notice_body

NOTICES = "/api/v1/notices"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _revoke_elsewhere(db, prefix: str) -> None:
    """As `varsel landlords keys revoke` in another process does: the row changes, this process's cache does not."""
    with db() as session:
        session.execute(update(ApiKey).where(ApiKey.prefix == prefix).values(revoked_at=datetime.now(UTC)))


def test_a_key_revoked_elsewhere_stops_working_within_the_bound(db, settings, landlord):
    clock = Clock()
    cache = apikeys.KeyCache(clock=clock)
    assert cache.ttl == apikeys.KEY_CACHE_SECONDS == 5.0
    with db() as session:
        first = accounts.verify_key(session, settings, landlord.key, cache)
    assert first is not None and first.owner_kind == "landlord" and first.owner_id == landlord.id

    _revoke_elsewhere(db, landlord.prefix)
    clock.now += apikeys.KEY_CACHE_SECONDS - 0.01
    with db() as session:  # still within the bound: trusted without a look-up
        assert accounts.verify_key(session, settings, landlord.key, cache) == first
    clock.now += 0.01
    with db() as session:  # the bound has passed: looked up again, and refused
        assert accounts.verify_key(session, settings, landlord.key, cache) is None
    with db() as session:  # a refusal is not remembered: the row decides again at once
        session.execute(update(ApiKey).where(ApiKey.prefix == landlord.prefix).values(revoked_at=None))
    with db() as session:
        assert accounts.verify_key(session, settings, landlord.key, cache) == first


def test_the_process_that_revokes_a_key_forgets_it_at_once(db, settings, landlord):
    cache = apikeys.VERIFIED  # the process's own cache, which revoke_key clears
    with db() as session:
        assert accounts.verify_key(session, settings, landlord.key, cache) is not None
    with db() as session:
        accounts.revoke_key(session, prefix=landlord.prefix)
    with db() as session:
        assert accounts.verify_key(session, settings, landlord.key, cache) is None


def test_a_wrong_secret_is_never_served_from_the_cache(db, settings, landlord):
    cache = apikeys.KeyCache(clock=Clock())
    with db() as session:
        assert accounts.verify_key(session, settings, landlord.key, cache) is not None
        tampered = landlord.key[:-2] + ("AA" if not landlord.key.endswith("AA") else "BB")
        assert accounts.verify_key(session, settings, tampered, cache) is None
        other = settings.model_copy(update={"secret_key": "another-secret-key-" + "x" * 32})
        assert accounts.verify_key(session, other, landlord.key, cache) is None


def test_over_http_the_revoked_key_is_refused_once_the_bound_has_passed(app, client, db, landlord):
    clock = Clock()
    app.state.key_cache = apikeys.KeyCache(clock=clock)
    assert client.post(NOTICES, json=notice_body(external_id="CACHE-1"), headers=landlord.headers).status_code == 201

    _revoke_elsewhere(db, landlord.prefix)
    clock.now += 1
    within = client.post(NOTICES, json=notice_body(external_id="CACHE-2"), headers=landlord.headers)
    assert within.status_code == 201  # the documented bound: up to KEY_CACHE_SECONDS
    clock.now += apikeys.KEY_CACHE_SECONDS
    after = client.post(NOTICES, json=notice_body(external_id="CACHE-3"), headers=landlord.headers)
    assert after.status_code == 401
    assert client.get(NOTICES, headers=landlord.headers).status_code == 401
    with db() as session:
        stored = session.scalars(select(notices.Notice.external_id).order_by(notices.Notice.external_id)).all()
    assert stored == ["CACHE-1", "CACHE-2"]


def test_a_cached_key_saves_its_look_up(app, client, landlord, engine):
    from sqlalchemy import event

    app.state.key_cache = apikeys.KeyCache(clock=Clock())
    statements: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    assert client.get(NOTICES, headers=landlord.headers).status_code == 200
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        assert client.get(NOTICES, headers=landlord.headers).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert not [s for s in statements if "api_keys" in s]
