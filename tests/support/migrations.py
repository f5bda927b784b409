"""A scratch database for a migration's test: a SQLite file, or on PostgreSQL (when the tests run
there) a schema of its own in the test database, dropped afterwards; the Alembic config for it and
values bound as the raw SQL of an old revision's tables needs them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from alembic.config import Config
from sqlalchemy import text

from app.db import make_engine
from tests.conftest import IS_POSTGRES, REPO, TEST_DATABASE_URL


@contextmanager
def scratch_database(directory: Path, name: str) -> Iterator[str]:
    """Its URL."""
    if not IS_POSTGRES:
        yield f"sqlite:///{directory}/{name}.db"
        return
    schema = f"{name}_{uuid.uuid4().hex[:8]}"
    engine = make_engine(TEST_DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    try:
        yield f"{TEST_DATABASE_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def alembic_config(url: str) -> Config:
    config = Config(str(REPO / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def bound(url: str, value: Any) -> Any:
    """A value for a raw statement: on SQLite as SQLAlchemy stores it (UUIDs as hex, times as naive UTC)."""
    if url.startswith("sqlite"):
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value
