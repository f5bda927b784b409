"""`varsel keys rotate-data-key`: every identity number re-encrypted and every matching hash and tenancy key
recomputed under the new VARSEL_DATA_KEY — and afterwards repeats are still matched, retries still answer
200 and a reveal shows the same number."""

from __future__ import annotations

import base64
import copy
import os
from datetime import date, datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.cases.models import EvictionNotice
from app.cli import cli
from app.config import Settings, get_settings
from app.main import create_app
from app.notices.models import Notice, Tenant
from app.notices.schemas import EXAMPLE_NOTICE
from app.notices.service import tenancy_key
from app.security import service as accounts
from app.security.crypto import DataKey, decrypt, encrypt, key_id, matching_hash, sealed_prefix
from app.security.keyrotation import RotationRefused, remaining, rotate
from tests.conftest import TEST_PASSWORD
from tests.support.people import personnummer

OLD = base64.b64encode(b"old data key: 32 bytes exactly!!").decode()
NEW = base64.b64encode(b"new data key: 32 bytes exactly!!").decode()
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
ANNA = "19850412-1230"
BERIT = personnummer(date(1990, 6, 7))
CARL = personnummer(date(1970, 3, 3))  # no notice of his own: Kronofogden's notice finds him by address
runner = CliRunner()


def keyed(settings: Settings, data_key: str, previous: str | None = None) -> Settings:
    """The test settings under other data keys (built anew: the key ring is made when settings are read)."""
    fields = settings.model_dump(exclude={"data_key", "data_key_previous"})
    return Settings(**fields, data_key=data_key, data_key_previous=previous)


def notice(external_id: str, pin: str = ANNA, **changes) -> dict:
    body = copy.deepcopy(EXAMPLE_NOTICE)
    body.update(external_id=external_id, **changes)
    body["tenants"][0]["personal_identity_number"] = pin
    return body


def eviction(reference: str, pin: str) -> dict:
    return {"reference": reference, "eviction_at": "2027-01-14T09:00:00+01:00",
            "tenant": {"name": "Hyresgäst", "personal_identity_number": pin},
            "property": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm",
                         "apartment_number": "1102"},
            "landlord": {"name": "HSB Stockholm", "org_number": "702001-7781"}}


class World:
    """One landlord, Kronofogden and a handler, and the app under whichever keys a step runs with."""

    def __init__(self, settings, engine, db, landlord, authority_key):
        self.settings, self.engine, self.db = settings, engine, db
        self.landlord = landlord.headers
        self.authority = {"Authorization": f"Bearer {authority_key}"}

    def client(self, data_key: str, previous: str | None = None) -> TestClient:
        app = create_app(keyed(self.settings, data_key, previous), engine=self.engine)
        app.state.clock = lambda: NOW
        return TestClient(app)

    def handler(self, client: TestClient) -> dict[str, str]:
        answer = client.post("/api/v1/auth/token", data={"username": "h1", "password": TEST_PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def reveal(self, client: TestClient, external_id: str) -> str:
        with self.db() as session:
            row = session.scalar(select(Notice).where(Notice.external_id == external_id))
            case_id, tenant_id = row.case_id, row.tenants[0].id
        answer = client.post(f"/api/v1/cases/{case_id}/tenants/{tenant_id}/identity-number",
                             headers=self.handler(client))
        assert answer.status_code == 200, answer.text
        return answer.json()["personal_identity_number"]

    def case_of(self, external_id: str):
        with self.db() as session:
            return session.scalar(select(Notice.case_id).where(Notice.external_id == external_id))


@pytest.fixture
def world(settings, engine, db, landlord, make_user):
    make_user("h1", "handler", "sodermalm")
    with db() as session:
        _, issued = accounts.create_authority(session, settings, name="Kronofogden")
    return World(settings, engine, db, landlord, issued.plaintext)


@pytest.fixture
def rotation_env(env_settings, monkeypatch):
    def use(data_key: str, previous: str | None) -> None:
        monkeypatch.setenv("VARSEL_DATA_KEY", data_key)
        if previous is None:
            monkeypatch.delenv("VARSEL_DATA_KEY_PREVIOUS", raising=False)
        else:
            monkeypatch.setenv("VARSEL_DATA_KEY_PREVIOUS", previous)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def _before_rotation(world: World) -> dict[str, str]:
    """Data stored under the old key: notices, an event, Kronofogden's notice — and one identity number
    sealed as Varsel sealed them before key ids (`v1:`)."""
    with world.client(OLD) as client:
        assert client.post("/api/v1/notices", headers=world.landlord, json=notice("N-1")).status_code == 201
        assert client.post("/api/v1/notices", headers=world.landlord,
                           json=notice("N-2", BERIT, property={**EXAMPLE_NOTICE["property"],
                                                               "street_address": "Ringvägen 1",
                                                               "postal_code": "118 60"})).status_code == 201
        receipt = client.get("/api/v1/notices", headers=world.landlord, params={"external_id": "N-1"}).json()
        notice_id = receipt["items"][0]["id"]
        event = {"type": "payment_plan_agreed", "occurred_on": "2026-11-20"}
        assert client.post(f"/api/v1/notices/{notice_id}/events", headers=world.landlord,
                           json=event).status_code == 201
        assert client.post("/api/v1/kronofogden/eviction-notices", headers=world.authority,
                           json=eviction("KFM-1", ANNA)).status_code == 201
        revealed = world.reveal(client, "N-1")
    with world.db() as session:
        berit = session.scalar(select(Tenant).join(Notice).where(Notice.external_id == "N-2"))
        berit.pin_encrypted = _legacy_token(OLD, decrypt(DataKey(OLD), berit.pin_encrypted, context="tenant.pin"))
    return {"notice_id": notice_id, "revealed": revealed}


def _legacy_token(data_key: str, canonical: str) -> str:
    sealed = encrypt(data_key, canonical, context="tenant.pin")  # v2:<kid>:<payload> → v1:<payload>
    return "v1:" + sealed.split(":", 2)[2]


def test_after_rotation_repeats_match_retries_replay_and_reveals_agree(world, rotation_env, db):
    stored = _before_rotation(world)
    assert stored["revealed"] == ANNA

    rotation_env(NEW, OLD)
    result = runner.invoke(cli, ["keys", "rotate-data-key", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "tenants: 2 identity numbers re-encrypted" in result.stdout
    assert "Kronofogden's eviction notices: 1 identity numbers re-encrypted" in result.stdout
    assert "notices: 2 tenancy keys recomputed" in result.stdout
    assert f"every identity number is sealed under data key {key_id(NEW)}" in result.stdout
    assert "tenants: 1 of 2 identity numbers re-encrypted" in result.stderr  # progress, batch by batch

    new_only = DataKey(NEW)  # nothing below needs the old key any more
    with db() as session:
        for row, context in [*((t, "tenant.pin") for t in session.scalars(select(Tenant))),
                             *((e, "kronofogden.pin") for e in session.scalars(select(EvictionNotice)))]:
            assert row.pin_encrypted.startswith(sealed_prefix(NEW))
            assert row.pin_hash == matching_hash(NEW, decrypt(new_only, row.pin_encrypted, context=context))
        for row in session.scalars(select(Notice)):
            assert row.tenancy_key == tenancy_key(NEW, row.postal_code, row.street_address, row.apartment_number)
        assert remaining(session, new_only) == {"tenants": 0, "Kronofogden's eviction notices": 0}

    with world.client(NEW, previous=OLD) as client:
        # Retries of what was sent before the rotation replay: notice, event, Kronofogden's notice.
        assert client.post("/api/v1/notices", headers=world.landlord, json=notice("N-1")).status_code == 200
        assert client.post(f"/api/v1/notices/{stored['notice_id']}/events", headers=world.landlord,
                           json={"type": "payment_plan_agreed", "occurred_on": "2026-11-20"}).status_code == 200
        assert client.post("/api/v1/kronofogden/eviction-notices", headers=world.authority,
                           json=eviction("KFM-1", ANNA)).status_code == 200
        assert world.reveal(client, "N-1") == ANNA
        assert world.reveal(client, "N-2") == BERIT  # was sealed in the old format
        # A new notice for Anna joins her open case (matched by the recomputed hash) …
        assert client.post("/api/v1/notices", headers=world.landlord, json=notice("N-3")).status_code == 201
        assert world.case_of("N-3") == world.case_of("N-1")
        # … and Kronofogden's notice for someone else in her apartment, by the recomputed tenancy key.
        assert client.post("/api/v1/kronofogden/eviction-notices", headers=world.authority,
                           json=eviction("KFM-2", CARL)).status_code == 201
    annas_case = world.case_of("N-1")
    with db() as session:
        second = session.scalar(select(EvictionNotice).where(EvictionNotice.reference == "KFM-2"))
        assert (second.matched_by, second.case_id) == ("address", annas_case)

    again = runner.invoke(cli, ["keys", "rotate-data-key"])
    assert again.exit_code == 0, again.output
    assert "tenants: 0 identity numbers re-encrypted" in again.stdout
    assert "notices: 0 tenancy keys recomputed" in again.stdout


def test_without_the_previous_key_everything_but_old_retries_still_works(world, rotation_env):
    _before_rotation(world)
    rotation_env(NEW, OLD)
    assert runner.invoke(cli, ["keys", "rotate-data-key"]).exit_code == 0
    with world.client(NEW) as client:
        assert world.reveal(client, "N-1") == ANNA
        assert client.post("/api/v1/notices", headers=world.landlord, json=notice("N-3")).status_code == 201
        assert world.case_of("N-3") == world.case_of("N-1")
        # The fingerprint of a body sent before the rotation was made with the old key, and the body itself
        # is not stored: without VARSEL_DATA_KEY_PREVIOUS its identical retry is a conflict.
        assert client.post("/api/v1/notices", headers=world.landlord, json=notice("N-1")).status_code == 409
        assert client.post("/api/v1/notices", headers=world.landlord, json=notice("N-3")).status_code == 200


def test_an_interrupted_rotation_goes_on_where_it_stopped(world, sessions, db):
    _before_rotation(world)
    ring = DataKey(NEW, [OLD])
    lines: list[str] = []

    def stop_after_the_first_batch(line: str) -> None:
        lines.append(line)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate(sessions, ring, batch=1, progress=stop_after_the_first_batch)
    assert lines == ["tenants: 1 of 2 identity numbers re-encrypted"]
    with db() as session:
        assert remaining(session, ring) == {"tenants": 1, "Kronofogden's eviction notices": 1}
    report = rotate(sessions, ring, batch=1)
    assert report.resealed == {"tenants": 1, "Kronofogden's eviction notices": 1}
    assert report.complete
    with db() as session:
        assert remaining(session, ring) == {"tenants": 0, "Kronofogden's eviction notices": 0}


def test_a_value_sealed_under_a_key_not_given_is_reported_and_left_alone(world, rotation_env, db):
    _before_rotation(world)
    other = base64.b64encode(os.urandom(32)).decode()
    rotation_env(NEW, other)
    result = runner.invoke(cli, ["keys", "rotate-data-key"])
    assert result.exit_code == 1
    assert "2 in tenants, 1 in Kronofogden's eviction notices could not be read" in result.stderr
    with db() as session:
        tokens = session.scalars(select(Tenant.pin_encrypted)).all()
        assert not any(t.startswith(sealed_prefix(NEW)) for t in tokens)


def test_rotation_needs_the_previous_key(rotation_env):
    rotation_env(NEW, None)
    result = runner.invoke(cli, ["keys", "rotate-data-key"])
    assert result.exit_code == 1
    assert "set VARSEL_DATA_KEY_PREVIOUS to the data key in use until now" in result.stderr
    with pytest.raises(RotationRefused, match="VARSEL_DATA_KEY_PREVIOUS: a data key must be base64"):
        rotate(None, DataKey(NEW, ["not a key"]))
