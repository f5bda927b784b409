"""VARSEL_METRICS_TOKEN: /metrics for the operator's scraper only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.notices.conftest import assert_problem

TOKEN = "scrape-7d0c1f0e5b9a4c3e8f21"


@pytest.fixture
def guarded(settings, engine):
    with TestClient(create_app(settings.model_copy(update={"metrics_token": TOKEN}), engine=engine)) as client:
        yield client


def test_without_a_token_set_metrics_are_open(client):
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
                                           "Bearer "])
def test_with_a_token_set_anything_but_that_bearer_token_is_a_401_problem(guarded, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    answer = guarded.get("/metrics", headers=headers)
    body = assert_problem(answer, 401, "unauthorized")
    assert "VARSEL_METRICS_TOKEN" in body["detail"]
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "varsel_http_requests_total" not in answer.text


def test_the_scraper_with_the_token_reads_the_metrics(guarded):
    answer = guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert "varsel_http_requests_total" in answer.text


def test_health_checks_stay_open_for_the_platform(guarded):
    assert guarded.get("/healthz").status_code == 200
    assert guarded.get("/readyz").status_code == 200
