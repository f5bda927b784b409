"""The `varsel` command: operations for the people who run Varsel.

Each command is one unit of work (one transaction). Errors are printed as a
sentence saying what to do next, with exit code 1 (2 for bad usage).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from app import migrate
from app.cli_examples import add_examples
from app.cli_support import fail, info, ready, unit_of_work
from app.config import ConfigurationError, Settings, get_settings
from app.notices.cli import authorities_import_evictions
from app.reports.cli import reports_cli
from app.routing.cli import districts_cli
from app.routing.districts import load_municipality, seed_districts
from app.security.audit_cli import audit_cli
from app.security.cli import authorities_cli, landlords_cli, users_cli
from app.security.keys_cli import keys_cli
from app.security.landlord_users_cli import landlord_users_cli

cli = typer.Typer(help="Varsel — eviction-prevention early warning.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_cli = typer.Typer(help="The database.", no_args_is_help=True)
jobs_cli = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
authorities_cli.command("import-evictions")(authorities_import_evictions)
cli.add_typer(db_cli, name="db")
cli.add_typer(landlords_cli, name="landlords")
landlords_cli.add_typer(landlord_users_cli, name="users")
cli.add_typer(authorities_cli, name="authorities")
cli.add_typer(users_cli, name="users")
cli.add_typer(districts_cli, name="districts")
cli.add_typer(jobs_cli, name="jobs")
cli.add_typer(reports_cli, name="reports")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(keys_cli, name="keys")


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("varsel")
    except PackageNotFoundError:  # a source tree that was never installed
        return "unknown (not installed)"


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"varsel {package_version()}")
        raise typer.Exit()


@cli.callback()
def _setup(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Logs go to standard error, so that standard output carries only what a command prints (keys, files)."""
    from app.logging import configure_logging

    settings = get_settings()
    configure_logging(json_logs=settings.json_logs, level=settings.log_level)


def upgrade_database(settings: Settings) -> int:
    """Migrate to head and load the municipality's data pack: its districts, and its
    district boundaries unless the operator's own are in use. Returns districts added."""
    from app.routing.service import active_boundaries, import_pack_boundaries

    migrate.upgrade(ready(settings).database_url)
    with unit_of_work(settings) as session:
        added = seed_districts(session, load_municipality(settings.municipality))
        boundaries = import_pack_boundaries(session, settings.municipality)
        active = active_boundaries(session)
        if boundaries is not None and boundaries.changed:
            info(f"district boundaries: the data pack's version {boundaries.version} imported")
        elif active is not None:
            info(f"district boundaries: version {active.version} ({active.source}) in use")
    return added


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Run the migrations and load the municipality's data pack (districts, district boundaries)."""
    settings = get_settings()
    added = upgrade_database(settings)
    info(f"database is at the newest schema; {added} district rows added")


@jobs_cli.command("list")
def jobs_list() -> None:
    """The scheduled jobs and when they run."""
    from app.jobs.registry import JOBS

    for job in JOBS:
        typer.echo(f"{job.name}\t{job.schedule_description}")


@jobs_cli.command("run")
def jobs_run(name: Annotated[str | None, typer.Argument(help="The job (see `varsel jobs list`)")] = None) -> None:
    """Run one scheduled job now, once. Without a name: the jobs there are."""
    from app.jobs.registry import job_named, run_job_once

    if name is None:
        info("name the job to run, e.g. `varsel jobs run sweep-deadlines`; the jobs are:")
        jobs_list()
        return
    if job_named(name) is None:
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

    from app import http_workers

    settings = ready()
    if workers > 1 and settings.is_sqlite:
        fail("several workers need PostgreSQL; SQLite runs as a single process")
    # proxy_headers=False: the app applies X-Forwarded-* itself, from VARSEL_FORWARDED_ALLOW_IPS
    # (app/main.py); uvicorn's copy would trust only 127.0.0.1, whatever the setting says.
    options: dict[str, Any] = {"host": host, "port": port, "workers": workers, "log_config": None,
                               "access_log": False, "proxy_headers": False}
    if workers > 1:
        http_workers.run(uvicorn.Config("app.asgi:app", **options))  # its connections without Nagle's delay
    else:
        uvicorn.run("app.asgi:app", **options)


@cli.command()
def demo(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    seed_only: Annotated[bool, typer.Option("--seed-only", help="Seed the demo data and exit")] = False,
) -> None:
    """A local instance with demo data on SQLite; prints URLs and credentials last, and keeps
    them in VARSEL_STORAGE_DIR/demo-credentials.txt."""
    from app.calendar import local_today
    from app.demo import seed_demo, write_credentials, write_fresh_examples

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
    storage = Path(settings.storage_dir).resolve()  # paths in the hint work from any directory
    examples = write_fresh_examples(storage, local_today())
    text = credentials.describe(f"http://{host}:{port}", examples)
    saved = write_credentials(storage, text)
    closing = f"(Also in {saved}, readable by you only.)\n"
    if seed_only:
        typer.echo(text + closing)
        return
    import uvicorn

    from app.main import create_app

    # proxy_headers=False: the app applies X-Forwarded-* itself (app/main.py), as under `serve`.
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port, log_config=None,
                                           access_log=False, proxy_headers=False))
    threading.Thread(target=_announce_when_quiet, args=(server, text + closing), daemon=True,
                     name="demo-announce").start()
    server.run()


class _LastLogLine(logging.Handler):
    """Remembers when the last log line was written."""

    def __init__(self) -> None:
        super().__init__()
        self.at = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        self.at = time.monotonic()


DEMO_QUIET_SECONDS = 1.5
DEMO_ANNOUNCE_LATEST_SECONDS = 20.0


def _announce_when_quiet(server: Any, text: str) -> None:
    """Print the URLs and credentials once the server runs and its start-up lines (migrations,
    the scheduler's first runs, the first letters rendered) have stopped, so they stay on screen."""
    lines = _LastLogLine()
    logging.getLogger().addHandler(lines)
    try:
        started = time.monotonic()
        while not server.should_exit:
            now = time.monotonic()
            if server.started and (now - lines.at >= DEMO_QUIET_SECONDS
                                   or now - started >= DEMO_ANNOUNCE_LATEST_SECONDS):
                typer.echo(text)
                return
            time.sleep(0.1)
    finally:
        logging.getLogger().removeHandler(lines)


def _demo_environment(settings: Settings) -> Settings:
    """Point the demo at a local population register (the boundaries come with the data pack)."""
    from app.demo import write_demo_register

    updates: dict[str, object] = {}
    if settings.population_register_file is None and settings.population_register_url is None:
        path = write_demo_register(Path(settings.storage_dir))
        updates["population_register_file"] = path
        info(f"demo: population register from {path}")
    return settings.model_copy(update=updates)


add_examples(cli)  # last: after every module has registered its commands


def main() -> None:
    from notifications.pdf import PdfUnavailable

    try:
        cli()
    except (ConfigurationError, PdfUnavailable) as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
