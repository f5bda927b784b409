"""`varsel districts …`: the districts and the data to route by."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli_support import fail, info, unit_of_work
from app.config import get_settings
from app.routing.districts import current_districts

districts_cli = typer.Typer(help="Districts and the data to route by.", no_args_is_help=True)


@districts_cli.command("list")
def districts_list() -> None:
    """The current districts: code and name, one per line."""
    with unit_of_work() as session:
        districts = current_districts(session)
        if not districts:
            fail("no districts: run `varsel db upgrade` first")
        for district in districts:
            typer.echo(f"{district.code}\t{district.name}")


@districts_cli.command("import-boundaries")
def districts_import_boundaries(
    path: Annotated[Path, typer.Argument(help="GeoJSON, or the city's stadsdelsnämndsområde shapefile (zip)")],
) -> None:
    """Import district boundaries; former areas are mapped to today's districts."""
    from app.routing.service import import_boundaries

    if not path.is_file():
        fail(f"no file at {path}")
    settings = get_settings()
    info(f"reading {path} ({path.stat().st_size // 1024} KiB) …")
    try:
        with unit_of_work(settings) as session:
            result = import_boundaries(session, path.read_bytes(), path.name, settings.municipality)
    except ValueError as exc:
        fail(str(exc))
    if result.changed:
        typer.echo(f"boundaries version {result.version} imported: {result.count} districts; routing uses it now")
    else:
        typer.echo(f"boundaries version {result.version} is already the active one; nothing changed")


@districts_cli.command("import-addresses")
def districts_import_addresses(
    path: Annotated[Path, typer.Argument(help="CSV with columns street,number,postal_code,district_code")],
) -> None:
    """Replace the city's address register (the most reliable routing method)."""
    from app.routing.service import import_addresses

    if not path.is_file():
        fail(f"no file at {path}")
    settings = get_settings()
    info(f"reading {path} …")
    try:
        with unit_of_work(settings) as session:
            result = import_addresses(session, path.read_text(encoding="utf-8-sig"), str(path), settings.municipality)
    except ValueError as exc:
        fail(str(exc))
    if result.changed:
        typer.echo(f"address register version {result.version} imported: {result.count} addresses")
    else:
        typer.echo(f"address register version {result.version} is already loaded; nothing changed")
