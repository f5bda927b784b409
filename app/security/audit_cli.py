"""`varsel audit verify`: is the audit log's chain whole? Joined to the `varsel` command in `app/cli.py`."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli_support import fail, ready, unit_of_work
from app.security.audit import chain_key, verify_chain

audit_cli = typer.Typer(help="The audit log.", no_args_is_help=True)


@audit_cli.callback()
def _audit() -> None:
    """The audit log."""


@audit_cli.command("verify")
def audit_verify(
    from_id: Annotated[int | None, typer.Option("--from-id", help="Start at this row and trust its link "
                                                                  "backwards (after a key rotation)")] = None,
) -> None:
    """Check every row against its keyed hash and the row before it; exit 1 at the first broken link."""
    settings = ready()
    with unit_of_work(settings) as session:
        report = verify_chain(session, chain_key(settings.secret_key), from_id=from_id)
    older = f"; {report.older} earlier rows predate the chain" if report.older else ""
    if not report.intact:
        fail(f"row {report.broken_id}: {report.problem}. The {report.chained} rows before it are intact{older}.")
    typer.echo(f"{report.chained} rows, chain intact{older}")
    if report.last_id is not None:
        # To notice later that rows were cut off the end, keep this line somewhere the database is not.
        typer.echo(f"last row {report.last_id}, hash {report.last_hash}")
