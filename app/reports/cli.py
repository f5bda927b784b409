"""`varsel reports monthly --month YYYY-MM [--district CODE] --format pdf|csv|html|json --output FILE`.

Joined to the `varsel` command in `app/cli.py`.
Progress goes to standard error ("computing…", "rendering…", "wrote FILE (N KiB)"),
so standard output stays clean. Without `--district`: the whole city.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from app.cli_support import fail, info, unit_of_work
from app.files import write_private
from app.reports.render import FORMATS

reports_cli = typer.Typer(help="Monthly summaries for managers (no personal data).", no_args_is_help=True)


@reports_cli.callback()
def _reports() -> None:
    """Monthly summaries for managers (no personal data)."""


@reports_cli.command("monthly")
def monthly(
    month: Annotated[str, typer.Option(help="The calendar month, YYYY-MM (Europe/Stockholm)")],
    output: Annotated[Path, typer.Option(help="The file to write")],
    format: Annotated[str, typer.Option("--format", help="pdf, csv, html or json")] = "pdf",  # noqa: A002
    district: Annotated[str | None, typer.Option(help="District code (`varsel districts list`); "
                                                      "omit for the whole city")] = None,
) -> None:
    """Write one month's summary for a district, or for the whole city, to a file."""
    from app.config import get_settings
    from app.db import utcnow
    from app.reports.render import render
    from app.reports.summary import Month, compute_summary
    from app.routing.districts import district_by_code, load_municipality

    if format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}", code=2)
    try:
        wanted = Month.parse(month)
    except ValueError as exc:
        fail(f"--month {exc}", code=2)
    now = utcnow()
    if wanted > Month.of(now):
        fail("--month must not be after the current month", code=2)
    if output.parent and not output.parent.exists():
        fail(f"no folder {output.parent} to write into")
    settings = get_settings()
    municipality = load_municipality(settings.municipality)["name"]
    info(f"computing {wanted} for {district or 'the whole city'}…")
    with unit_of_work(settings) as session:
        scope = None
        if district is not None:
            scope = district_by_code(session, district)
            if scope is None:
                fail(f"no district {district!r}; see `varsel districts list`")
        summary = compute_summary(session, wanted, scope, now=now, municipality=municipality)
    info(f"rendering {format}…")
    data = render(summary, format)
    write_private(output, data)
    info(f"wrote {output} ({max(1, math.ceil(len(data) / 1024))} KiB)")
