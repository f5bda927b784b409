from __future__ import annotations

from sqlalchemy import text

from app.config import Settings
from app.main import create_app
from fastapi.testclient import TestClient


def test_healthz(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_readyz_when_migrated(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "current"}}


def test_readyz_is_503_when_migrations_are_behind(client, engine):
    with engine.begin() as connection:
        (current,) = connection.execute(text("SELECT version_num FROM alembic_version")).one()
        connection.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"]["migrations"].startswith("pending")
    finally:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", scheduler_enabled=False)
    with TestClient(create_app(settings)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": "unreachable"}


def test_metrics_count_requests_by_route_template(client):
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no/such/page/19850412-1230")
    text_ = client.get("/metrics").text
    assert 'varsel_http_requests_total{method="GET",route="/healthz",status="200"} 2.0' in text_
    assert "varsel_http_request_duration_seconds_bucket" in text_
    assert "19850412" not in text_  # raw paths never become labels
