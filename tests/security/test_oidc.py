"""Sign-in through the city's identity provider, against a real local OpenID Connect server."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from app.main import create_app
from app.security.models import AuditEvent, User
from app.web import oidc
from tests.support.httpserver import LocalHTTPServer, Reply


@pytest.fixture
def identity_provider():
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
    issued: dict = {"claims": {}}

    def handler(request):
        if request.path == "/.well-known/openid-configuration":
            return Reply(200, {"issuer": server.url, "authorization_endpoint": f"{server.url}/authorize",
                               "token_endpoint": f"{server.url}/token", "jwks_uri": f"{server.url}/jwks"})
        if request.path == "/jwks":
            return Reply(200, {"keys": [key.as_dict(private=False)]})
        if request.path == "/token":
            form = parse_qs(request.body.decode())
            assert form["grant_type"] == ["authorization_code"] and form["code"] == ["the-code"]
            assert form["code_verifier"][0]
            token = jwt.encode({"alg": "RS256", "kid": "test-key"}, issued["claims"], key)
            return Reply(200, {"access_token": "at", "token_type": "Bearer", "id_token": token})
        return Reply(404, {})

    server = LocalHTTPServer(handler)
    with server:
        oidc._discovery_cache.clear()
        yield server, issued
    oidc._discovery_cache.clear()


def _client(settings, engine, server):
    configured = settings.model_copy(update={"oidc_issuer": server.url, "oidc_client_id": "varsel",
                                             "oidc_client_secret": "s3cret", "public_base_url": "http://testserver"})
    return TestClient(create_app(configured, engine=engine), follow_redirects=False)


def _start(client) -> dict:
    answer = client.get("/logga-in/oidc?next=/ko")
    assert answer.status_code == 303
    query = parse_qs(urlparse(answer.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://testserver/logga-in/oidc/callback"]
    return {k: v[0] for k, v in query.items()}


def test_a_known_user_signs_in_through_the_identity_provider(settings, engine, make_user, identity_provider):
    server, issued = identity_provider
    make_user("sara", "handler", "sodermalm")
    with _client(settings, engine, server) as client:
        assert "Logga in med stadens inloggning" in client.get("/logga-in").text
        query = _start(client)
        issued["claims"] = {"iss": server.url, "aud": "varsel", "exp": int(time.time()) + 300,
                            "iat": int(time.time()), "sub": "abc", "nonce": query["nonce"],
                            "preferred_username": "sara"}
        answer = client.get(f"/logga-in/oidc/callback?code=the-code&state={query['state']}")
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/ko"
        assert client.get("/ko", headers={"Accept": "text/html"}).status_code == 200


@pytest.mark.parametrize("tamper", ["nonce", "aud", "user", "state"])
def test_what_does_not_verify_signs_nobody_in(settings, engine, make_user, identity_provider, tamper):
    server, issued = identity_provider
    make_user("sara", "handler", "sodermalm")
    with _client(settings, engine, server) as client:
        query = _start(client)
        issued["claims"] = {"iss": server.url, "aud": "other-app" if tamper == "aud" else "varsel",
                            "exp": int(time.time()) + 300, "sub": "abc",
                            "nonce": "replayed" if tamper == "nonce" else query["nonce"],
                            "preferred_username": "nobody" if tamper == "user" else "sara"}
        state = "forged" if tamper == "state" else query["state"]
        answer = client.get(f"/logga-in/oidc/callback?code=the-code&state={state}")
        assert answer.status_code in (401, 403)
        assert "varsel_session" not in answer.cookies


def test_without_configuration_there_is_no_oidc(client):
    assert client.get("/logga-in/oidc").status_code == 404


@pytest.mark.parametrize("next_", ["//evil.example/x", "/\\evil.example", "/%2F%2Fevil.example", "https://evil.example"])
def test_after_the_identity_provider_nobody_is_sent_to_another_site(settings, engine, make_user, identity_provider,
                                                                    next_):
    server, issued = identity_provider
    make_user("sara", "handler", "sodermalm")
    with _client(settings, engine, server) as client:
        answer = client.get("/logga-in/oidc", params={"next": next_})
        assert answer.status_code == 303
        query = {k: v[0] for k, v in parse_qs(urlparse(answer.headers["location"]).query).items()}
        issued["claims"] = {"iss": server.url, "aud": "varsel", "exp": int(time.time()) + 300,
                            "iat": int(time.time()), "sub": "abc", "nonce": query["nonce"],
                            "preferred_username": "sara"}
        answer = client.get(f"/logga-in/oidc/callback?code=the-code&state={query['state']}")
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/"
        assert "varsel_session" in answer.cookies  # signed in, and kept on this site


def test_a_deactivated_user_is_not_signed_in_through_the_identity_provider(settings, engine, make_user, db,
                                                                          identity_provider):
    server, issued = identity_provider
    make_user("sara", "handler", "sodermalm")
    with db() as session:
        session.scalar(select(User).where(User.username == "sara")).active = False
    with _client(settings, engine, server) as client:
        query = _start(client)
        issued["claims"] = {"iss": server.url, "aud": "varsel", "exp": int(time.time()) + 300,
                            "iat": int(time.time()), "sub": "abc", "nonce": query["nonce"],
                            "preferred_username": "sara"}
        answer = client.get(f"/logga-in/oidc/callback?code=the-code&state={query['state']}")
        assert answer.status_code == 403
        assert "varsel_session" not in answer.cookies
    with db() as session:
        refused = session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed"))
        assert refused.details == {"via": "oidc", "reason": "inactive", "username": "sara"}
