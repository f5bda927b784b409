"""Landlord and authority API keys: shown once, stored as a keyed hash, revocable, rate limited."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from sqlalchemy import select, text

from app.deps import AuthorityDep, LandlordDep
from app.security import apikeys
from app.security import service as accounts
from app.security.models import ApiKey
from app.security.ratelimit import RateLimiter
from tests.conftest import IS_POSTGRES


@pytest.fixture
def whoami(app):
    router = APIRouter()

    @router.get("/api/v1/test/whoami")
    def landlord_whoami(actor: LandlordDep) -> dict:
        return {"kind": actor.kind, "name": actor.name}

    @router.get("/api/v1/test/authority")
    def authority_whoami(actor: AuthorityDep) -> dict:
        return {"kind": actor.kind, "name": actor.name}

    app.include_router(router)
    return "/api/v1/test/whoami"


def test_key_format_and_hash():
    new = apikeys.generate_key("k" * 40)
    assert new.plaintext.startswith(f"vsl_{new.prefix}_")
    assert len(new.prefix) == 8
    assert apikeys.split_prefix(new.plaintext) == new.prefix
    assert new.key_hash == apikeys.key_hash("k" * 40, new.plaintext)
    assert new.plaintext not in new.key_hash
    assert not apikeys.matches("another-secret" * 3, new.plaintext, new.key_hash)


def test_only_the_hash_is_stored(db, landlord):
    with db() as session:
        stored = session.scalar(select(ApiKey).where(ApiKey.prefix == landlord.prefix))
        assert stored.key_hash != landlord.key
        assert landlord.key.split("_", 2)[2] not in stored.key_hash
        assert stored.last_used_at is None


def test_a_valid_key_authenticates_and_records_last_use(client, whoami, landlord, db):
    answer = client.get(whoami, headers=landlord.headers)
    assert answer.status_code == 200
    assert answer.json() == {"kind": "landlord", "name": "Bostadsbolaget AB"}
    with db() as session:
        assert session.scalar(select(ApiKey.last_used_at).where(ApiKey.prefix == landlord.prefix)) is not None


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Basic dXNlcjpwdw==", "Bearer vsl_00000000_nope", "Bearer not-a-key"],
)
def test_missing_or_invalid_keys_are_401(client, whoami, landlord, header):
    headers = {"Authorization": header} if header else {}
    answer = client.get(whoami, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_tampered_secret_with_a_real_prefix_is_401(client, whoami, landlord):
    tampered = landlord.key[:-2] + ("AA" if not landlord.key.endswith("AA") else "BB")
    assert client.get(whoami, headers={"Authorization": f"Bearer {tampered}"}).status_code == 401


def test_a_revoked_key_is_401(client, whoami, landlord, db):
    with db() as session:
        accounts.revoke_key(session, prefix=landlord.prefix)
    answer = client.get(whoami, headers=landlord.headers)
    assert answer.status_code == 401
    assert "revoked" in answer.json()["detail"]


def test_an_authority_key_is_not_a_landlord_key(client, whoami, db, settings):
    with db() as session:
        _authority, issued = accounts.create_authority(session, settings, name="Kronofogden")
    headers = {"Authorization": f"Bearer {issued.plaintext}"}
    assert client.get(whoami, headers=headers).status_code == 401
    assert client.get("/api/v1/test/authority", headers=headers).json() == {"kind": "authority", "name": "Kronofogden"}


def test_rate_limit_answers_429_with_retry_after(app, client, whoami, landlord):
    app.state.rate_limiter = RateLimiter(rate_per_second=1, burst=3)
    statuses = [client.get(whoami, headers=landlord.headers).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    answer = client.get(whoami, headers=landlord.headers)
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["type"].endswith("/rate-limited")


def test_token_bucket_refills_at_the_rate():
    now = [100.0]
    limiter = RateLimiter(rate_per_second=20, burst=20, clock=lambda: now[0])
    assert all(limiter.acquire("k") is None for _ in range(20))
    wait = limiter.acquire("k")
    assert wait == pytest.approx(0.05)
    now[0] += 1.0  # one second later: 20 more
    assert all(limiter.acquire("k") is None for _ in range(20))
    assert limiter.acquire("k") is not None
    assert limiter.acquire("other-key") is None  # buckets are per key


@pytest.mark.parametrize(
    ("org_number", "message"),
    [("556035-9556", "checksum"), ("12345", "NNNNNN-NNNN"), ("", "NNNNNN-NNNN")],
)
def test_landlord_org_numbers_are_validated(db, settings, org_number, message):
    with db() as session, pytest.raises(accounts.AccountError, match=message):
        accounts.create_landlord(session, settings, name="X", org_number=org_number)


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite has one writer: a second transaction cannot hold the row")
def test_a_key_in_use_by_a_concurrent_request_is_not_waited_for(engine, settings, db, landlord):
    """A concurrent request writing the key's last use holds its row until it commits: another
    request with the same key is authenticated without queueing behind it (and records nothing)."""
    with engine.connect() as holder:
        holder.execute(text("UPDATE api_keys SET last_used_at = now() - interval '1 hour' WHERE prefix = :p"),
                       {"p": landlord.prefix})  # the row is held until `holder` ends
        with db() as session:
            session.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting would fail the test, not hang it
            key = accounts.authenticate_key(session, settings, landlord.key)
            assert key is not None and key.prefix == landlord.prefix
        holder.rollback()
    with db() as session:  # the holder rolled back and this request skipped the row: no use recorded
        assert session.scalar(select(ApiKey.last_used_at).where(ApiKey.prefix == landlord.prefix)) is None
