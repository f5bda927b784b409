"""Behind a reverse proxy: the audit log and the sign-in throttle record the client, not the proxy.

`VARSEL_FORWARDED_ALLOW_IPS` names the proxies whose `X-Forwarded-For` is believed (uvicorn's
ProxyHeadersMiddleware, applied by `create_app`); from anyone else the header is ignored, or a
client could write any address it likes into the audit log.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import migrate
from app.config import Settings
from app.db import make_engine, make_sessionmaker, transaction
from app.main import create_app
from app.routing.districts import load_municipality, seed_districts
from app.security import service as accounts
from app.security.models import AuditEvent, LoginThrottle
from tests.conftest import TEST_PASSWORD

PROXY = "10.0.0.5"
CLIENT = "203.0.113.7"


def _sign_in(client: TestClient, password: str = TEST_PASSWORD, **headers: str):
    return client.post("/api/v1/auth/token", data={"username": "sara", "password": password},
                       headers={"X-Forwarded-For": CLIENT, **headers})


def _audited_ips(db, action: str) -> list[str | None]:
    with db() as session:
        return list(session.scalars(select(AuditEvent.ip).where(AuditEvent.action == action)))


def _app_behind(settings: Settings, engine, trusted: str):
    return create_app(settings.model_copy(update={"forwarded_allow_ips": trusted}), engine=engine)


def test_a_trusted_proxy_passes_on_the_clients_address(settings, engine, make_user, db):
    make_user("sara", "handler", "sodermalm")
    with TestClient(_app_behind(settings, engine, "10.0.0.0/8"), client=(PROXY, 50000)) as client:
        assert _sign_in(client).status_code == 200
        assert _sign_in(client, password="fel-lösenord-helt-klart").status_code == 401
    assert _audited_ips(db, "auth.token_issued") == [CLIENT]
    assert _audited_ips(db, "auth.sign_in_failed") == [CLIENT]
    with db() as session:
        assert session.get(LoginThrottle, f"ip:{CLIENT}") is not None
        assert session.get(LoginThrottle, f"ip:{PROXY}") is None


def test_from_an_untrusted_address_the_header_is_ignored(settings, engine, make_user, db):
    make_user("sara", "handler", "sodermalm")
    # The default trusts 127.0.0.1 only: a proxy elsewhere (or a client writing the header itself) is
    # recorded as what it is.
    assert settings.forwarded_allow_ips == "127.0.0.1"
    with TestClient(create_app(settings, engine=engine), client=(PROXY, 50000)) as client:
        assert _sign_in(client).status_code == 200
        assert _sign_in(client, password="fel-lösenord-helt-klart").status_code == 401
    assert _audited_ips(db, "auth.token_issued") == [PROXY]
    with db() as session:
        assert session.get(LoginThrottle, f"ip:{PROXY}") is not None
        assert session.get(LoginThrottle, f"ip:{CLIENT}") is None


def test_an_empty_setting_trusts_no_proxy(settings, engine, make_user, db):
    make_user("sara", "handler", "sodermalm")
    with TestClient(_app_behind(settings, engine, ""), client=("127.0.0.1", 50000)) as client:
        assert _sign_in(client).status_code == 200
    assert _audited_ips(db, "auth.token_issued") == ["127.0.0.1"]


def test_the_forwarded_scheme_is_taken_from_a_trusted_proxy_only(settings, engine):
    seen: list[str] = []
    app = _app_behind(settings, engine, PROXY)

    @app.get("/scheme-probe")
    def probe(request: Request) -> dict[str, str]:
        seen.append(request.url.scheme)
        return {}

    with TestClient(app, client=(PROXY, 50000)) as client:
        client.get("/scheme-probe", headers={"X-Forwarded-Proto": "https"})
    with TestClient(app, client=("10.9.9.9", 50000)) as client:
        client.get("/scheme-probe", headers={"X-Forwarded-Proto": "https"})
    assert seen == ["https", "http"]


# --------------------------------------------------------------------------- `varsel serve`, a real process


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve_and_sign_in(tmp_path, trusted: str) -> str | None:
    """Start `varsel serve` with VARSEL_FORWARDED_ALLOW_IPS=`trusted`, sign in from 127.0.0.1 with an
    X-Forwarded-For header, and return the address the audit log recorded."""
    url = f"sqlite:///{tmp_path}/serve.db"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        seed_districts(session, load_municipality("stockholm"))
        accounts.create_user(session, username="sara", role="handler", password=TEST_PASSWORD,
                             district_code="sodermalm")
    port = _free_port()
    env = {**os.environ, "VARSEL_DATABASE_URL": url, "VARSEL_STORAGE_DIR": str(tmp_path / "files"),
           "VARSEL_SCHEDULER_ENABLED": "false", "VARSEL_FORWARDED_ALLOW_IPS": trusted,
           "FORWARDED_ALLOW_IPS": "*"}  # uvicorn's own variable must not matter: the app decides
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[1]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz within 30 s"
            time.sleep(0.2)
        answer = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/token",
                            data={"username": "sara", "password": TEST_PASSWORD},
                            headers={"X-Forwarded-For": CLIENT}, timeout=10)
        assert answer.status_code == 200, answer.text
    finally:
        process.terminate()
        process.communicate(timeout=15)
    with transaction(sessions) as session:
        ip = session.scalar(select(AuditEvent.ip).where(AuditEvent.action == "auth.token_issued"))
    engine.dispose()
    return ip


@pytest.mark.parametrize(("trusted", "recorded"), [("127.0.0.1", CLIENT), ("10.0.0.1", "127.0.0.1")])
def test_varsel_serve_believes_exactly_the_configured_proxies(tmp_path, trusted, recorded):
    assert _serve_and_sign_in(tmp_path, trusted) == recorded
