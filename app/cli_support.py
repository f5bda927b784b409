"""What every `varsel` command shares: one unit of work per command, and messages for people.

Errors are printed as a sentence saying what to do next, with exit code 1 (2 for
bad usage); progress and notes go to standard error, so that standard output
carries only what a command is asked for (a key, a list, a file name).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from sqlalchemy.orm import Session

from app.config import ConfigurationError, Settings, check_production, get_settings
from app.db import make_engine, make_sessionmaker, transaction


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def info(message: str) -> None:
    typer.echo(message, err=True)


def ready(settings: Settings | None = None) -> Settings:
    """The settings, once they pass the production check `serve` makes; otherwise exit 1 naming what to change.

    Every command that reads or writes data comes through here (`unit_of_work` calls it; the
    commands that migrate or run jobs call it first), so that none of them runs in production
    with the demo secrets — which would encrypt identity numbers under a public key — or on SQLite.
    """
    settings = settings or get_settings()
    try:
        check_production(settings)
    except ConfigurationError as exc:
        fail(str(exc))
    return settings


@contextmanager
def unit_of_work(settings: Settings | None = None) -> Iterator[Session]:
    settings = ready(settings)
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()
