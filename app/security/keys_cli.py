"""`varsel keys rotate-data-key`: move the stored data to a new VARSEL_DATA_KEY. Joined in `app/cli.py`."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli_support import fail, info, ready
from app.db import make_engine, make_sessionmaker
from app.security.keyrotation import DEFAULT_BATCH, RotationRefused, rotate

keys_cli = typer.Typer(help="The secret keys.", no_args_is_help=True)


@keys_cli.callback()
def _keys() -> None:
    """The secret keys."""


@keys_cli.command("rotate-data-key")
def rotate_data_key(
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=10_000,
                                            help="Rows per transaction")] = DEFAULT_BATCH,
) -> None:
    """Re-encrypt every identity number and recompute every matching hash and tenancy key under
    VARSEL_DATA_KEY, reading what is still sealed under VARSEL_DATA_KEY_PREVIOUS. Safe to stop and to
    run again: it goes on where it stopped. Keep VARSEL_DATA_KEY_PREVIOUS set afterwards (retries of
    earlier notices are recognised with it); see docs/operations.md, "Key rotation"."""
    settings = ready()
    engine = make_engine(settings.database_url)
    try:
        report = rotate(make_sessionmaker(engine), settings.data_key, batch=batch_size, progress=info)
    except RotationRefused as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    for name, count in report.resealed.items():
        typer.echo(f"{name}: {count} identity numbers re-encrypted")
    typer.echo(f"notices: {report.tenancy_keys} tenancy keys recomputed")
    if not report.complete:
        unreadable = ", ".join(f"{count} in {name}" for name, count in report.unreadable.items() if count)
        fail(f"{unreadable} could not be read with VARSEL_DATA_KEY or VARSEL_DATA_KEY_PREVIOUS; add the key that "
             "sealed them to VARSEL_DATA_KEY_PREVIOUS (comma-separated) and run this again")
    typer.echo(f"every identity number is sealed under data key {report.key_id}")
