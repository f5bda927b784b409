"""The `varsel` command: operations for the people who run Varsel.

Each command is one unit of work (one transaction). Errors are printed as a
sentence saying what to do next, with exit code 1 (2 for bad usage).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app import migrate
from app.cli_support import fail, info, ready, unit_of_work
from app.config import ConfigurationError, Settings, get_settings
from app.notices.cli import authorities_import_evictions
from app.reports.cli import reports_cli
from app.routing.cli import districts_cli
from app.routing.districts import load_municipality, seed_districts
from app.security.audit_cli import audit_cli
from app.security.cli import authorities_cli, landlords_cli, users_cli

cli = typer.Typer(help="Varsel — eviction-prevention early warning.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_cli = typer.Typer(help="The database.", no_args_is_help=True)
jobs_cli = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
authorities_cli.command("import-evictions")(authorities_import_evictions)
cli.add_typer(db_cli, name="db")
cli.add_typer(landlords_cli, name="landlords")
cli.add_typer(authorities_cli, name="authorities")
cli.add_typer(users_cli, name="users")
cli.add_typer(districts_cli, name="districts")
cli.add_typer(jobs_cli, name="jobs")
cli.add_typer(reports_cli, name="reports")
cli.add_typer(audit_cli, name="audit")


@cli.callback()
def _setup() -> None:
    """Logs go to standard error, so that standard output carries only what a command prints (keys, files)."""
    from app.logging import configure_logging

    settings = get_settings()
    configure_logging(json_logs=settings.json_logs, level=settings.log_level)


def upgrade_database(settings: Settings) -> int:
    """Migrate to head and seed the municipality's districts. Returns districts added."""
    migrate.upgrade(ready(settings).database_url)
    with unit_of_work(settings) as session:
        return seed_districts(session, load_municipality(settings.municipality))


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Run the migrations and seed the municipality's districts."""
    settings = get_settings()
    added = upgrade_database(settings)
    info(f"database is at the newest schema; {added} district rows added")


@jobs_cli.command("list")
def jobs_list() -> None:
    """The scheduled jobs and when they run."""
    import app.jobs  # noqa: F401 - registers the jobs
    from app.scheduler import JOBS

    for job in JOBS.values():
        typer.echo(f"{job.name}\t{job.schedule_description}")


@jobs_cli.command("run")
def jobs_run(name: str) -> None:
    """Run one scheduled job now, once."""
    import app.jobs  # noqa: F401 - registers the jobs
    from app.scheduler import JOBS, run_job_once

    if name not in JOBS:
        fail(f"no job named {name!r}; see `varsel jobs list`")
    result = run_job_once(ready(), name)
    typer.echo(f"{name}: {result}")


@cli.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only)")] = 1,
) -> None:
    """Run the web server (and the scheduler, unless VARSEL_SCHEDULER_ENABLED=false)."""
    import uvicorn

    settings = ready()
    if workers > 1 and settings.is_sqlite:
        fail("several workers need PostgreSQL; SQLite runs as a single process")
    uvicorn.run("app.asgi:app", host=host, port=port, workers=workers, log_config=None,
                access_log=False, proxy_headers=True)


@cli.command()
def demo(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    seed_only: Annotated[bool, typer.Option("--seed-only", help="Seed the demo data and exit")] = False,
) -> None:
    """A local instance with demo data on SQLite; prints URLs and credentials."""
    from app.demo import seed_demo

    settings = get_settings()
    if settings.env == "production":
        fail("the demo never runs in production mode")
    settings = _demo_environment(settings)
    upgrade_database(settings)
    if settings.district_boundaries is not None:
        from app.routing.service import import_boundaries

        with unit_of_work(settings) as session:
            path = settings.district_boundaries
            import_boundaries(session, path.read_bytes(), path.name, settings.municipality)
    with unit_of_work(settings) as session:
        credentials = seed_demo(session, settings, progress=info)
    typer.echo(credentials.describe(f"http://{host}:{port}"))
    if seed_only:
        return
    import uvicorn

    from app.main import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)


DEMO_BOUNDARIES = Path("..") / "shared" / "data" / "stockholm-districts-2023.geojson"


def _demo_environment(settings: Settings) -> Settings:
    """Point the demo at local data: the shared boundaries (when beside the checkout) and a demo register."""
    from app.demo import write_demo_register

    updates: dict[str, object] = {}
    if settings.district_boundaries is None and DEMO_BOUNDARIES.is_file():
        updates["district_boundaries"] = DEMO_BOUNDARIES.resolve()
        info(f"demo: district boundaries from {DEMO_BOUNDARIES}")
    if settings.population_register_file is None and settings.population_register_url is None:
        path = write_demo_register(Path(settings.storage_dir))
        updates["population_register_file"] = path
        info(f"demo: population register from {path}")
    return settings.model_copy(update=updates)


def main() -> None:
    try:
        cli()
    except ConfigurationError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
