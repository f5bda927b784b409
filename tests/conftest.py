"""Test fixtures: a real database built by the migrations, emptied after each test.

The database comes from VARSEL_TEST_DATABASE_URL (a PostgreSQL URL in CI);
unset, a SQLite file in a temporary directory. The schema is built once per
run by `alembic upgrade head`, exactly as in production; after each test every
table is emptied and the municipality's districts are seeded again, so tests
see committed data as the application really writes it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import migrate
from app.config import Settings, get_settings
from app.db import make_engine, make_sessionmaker, transaction
from app.main import create_app
from app.models import Base
from app.routing.districts import load_municipality, seed_districts
from app.security import service as accounts

REPO = Path(__file__).resolve().parents[1]
# Stockholm's data pack: the districts and their boundaries ship with the code.
STOCKHOLM_PACK = REPO / "app" / "routing" / "data" / "stockholm"
BOUNDARIES_FILE = STOCKHOLM_PACK / "stockholm-districts-2023.geojson"
TEST_PASSWORD = "rätt-häftklammer-2026"


def _database_url() -> str:
    url = os.environ.get("VARSEL_TEST_DATABASE_URL")
    if url:
        return Settings(database_url=url).database_url  # normalises the driver
    directory = tempfile.mkdtemp(prefix="varsel-test-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return f"sqlite:///{directory}/test.db"


TEST_DATABASE_URL = _database_url()
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set VARSEL_TEST_DATABASE_URL (CI runs it)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def _reset_schema(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    engine = make_engine(TEST_DATABASE_URL)
    _reset_schema(engine)
    migrate.upgrade(TEST_DATABASE_URL)
    with transaction(make_sessionmaker(engine)) as session:
        seed_districts(session, load_municipality("stockholm"))
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" in request.fixturenames:
        engine: Engine = request.getfixturevalue("engine")
        _empty_all_tables(engine)
        with transaction(make_sessionmaker(engine)) as session:
            seed_districts(session, load_municipality("stockholm"))


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    return Settings(
        database_url=TEST_DATABASE_URL,
        scheduler_enabled=False,
        storage_dir=tmp_path / "files",
        log_json=False,
        rate_limit_per_second=1000,
        rate_limit_burst=1000,
    )


@pytest.fixture
def env_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The same settings through the environment, for the CLI and `get_settings()`."""
    monkeypatch.setenv("VARSEL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VARSEL_SCHEDULER_ENABLED", "false")
    monkeypatch.setenv("VARSEL_STORAGE_DIR", str(settings.storage_dir))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Callable[[], object]:
    """`with db() as session:` — one committed unit of work, for arranging and checking data."""
    return lambda: transaction(sessions)


@pytest.fixture
def app(settings: Settings, engine: Engine):
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class LandlordCredentials:
    id: uuid.UUID
    org_number: str
    key: str
    prefix: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}



@pytest.fixture
def make_landlord(db, settings: Settings) -> Callable[..., LandlordCredentials]:
    used: list[str] = []

    def make(name: str = "Bostadsbolaget AB", org_number: str | None = None) -> LandlordCredentials:
        org = org_number or next(n for n in _valid_org_numbers() if n not in used)
        used.append(org)
        with db() as session:
            landlord, issued = accounts.create_landlord(session, settings, name=name, org_number=org)
            return LandlordCredentials(landlord.id, landlord.org_number, issued.plaintext, issued.api_key.prefix)

    return make


def _valid_org_numbers() -> list[str]:
    return ["556035-9555", "556035-9811", "556036-0793", "556013-0683", "702001-7781", "212000-0142", "802002-4280"]


@pytest.fixture
def landlord(make_landlord) -> LandlordCredentials:
    return make_landlord()


@pytest.fixture
def make_user(db) -> Callable[..., str]:
    def make(username: str, role: str, district: str | None = None, unit: str | None = None,
             email: str | None = None) -> str:
        with db() as session:
            accounts.create_user(session, username=username, role=role, password=TEST_PASSWORD,
                                 district_code=district, unit=unit, email=email)
        return username

    return make


@pytest.fixture
def staff_headers(client: TestClient, make_user) -> Callable[..., dict[str, str]]:
    """Create a user and sign in through the API; returns the bearer headers."""

    def sign_in(username: str, role: str, district: str | None = None, unit: str | None = None,
                email: str | None = None) -> dict[str, str]:
        make_user(username, role, district, unit, email)
        answer = client.post("/api/v1/auth/token", data={"username": username, "password": TEST_PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return sign_in
