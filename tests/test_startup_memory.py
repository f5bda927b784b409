"""The server's start-up settles the memory once the routing data is loaded (`app/startup.py`):
what lives as long as the process is frozen out of the garbage collector's way, the routing data
(boundaries, address register) included, which the first notice used to load. A test's app is not
settled (frozen objects are never collected, and a test run makes many apps)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app import startup
from app.routing.districts import load_municipality, seed_districts


def _settles(app, monkeypatch) -> list[bool]:
    """Each call of settle_memory during the app's start-up: was the router loaded by then?"""
    calls: list[bool] = []
    monkeypatch.setattr(startup, "settle_memory", lambda: calls.append(app.state.routers._router is not None))
    return calls


def test_the_servers_app_settles_its_memory_after_loading_the_routing_data(app, db, monkeypatch):
    with db() as session:
        seed_districts(session, load_municipality("stockholm"))
    setattr(app.state, startup.SETTLE_AFTER_STARTUP, True)  # as app/asgi.py sets it
    calls = _settles(app, monkeypatch)

    with TestClient(app):
        pass

    assert calls == [True]


def test_an_app_not_made_by_the_servers_entry_point_is_not_settled(app, monkeypatch):
    calls = _settles(app, monkeypatch)

    with TestClient(app):
        pass

    assert calls == []


def test_a_start_up_that_cannot_load_the_routing_data_still_starts_and_settles(app, monkeypatch):
    setattr(app.state, startup.SETTLE_AFTER_STARTUP, True)
    calls = _settles(app, monkeypatch)

    def unavailable(_session):
        raise RuntimeError("the database is not there yet")

    monkeypatch.setattr(app.state.routers, "get", unavailable)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200

    assert calls == [False]
