"""The `varsel` command: operations for the people who run Varsel.

Each command is one unit of work (one transaction). Errors are printed as a
sentence saying what to do next, with exit code 1 (2 for bad usage).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from sqlalchemy.orm import Session

from app import migrate
from app.config import ConfigurationError, Settings, check_production, get_settings
from app.db import make_engine, make_sessionmaker, transaction
from app.routing.districts import current_districts, load_municipality, seed_districts
from app.reports.cli import reports_cli
from app.security import service as accounts
from app.security.passwords import WeakPassword

cli = typer.Typer(help="Varsel — eviction-prevention early warning.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_cli = typer.Typer(help="The database.", no_args_is_help=True)
landlords_cli = typer.Typer(help="Landlords (housing companies) and their API keys.", no_args_is_help=True)
keys_cli = typer.Typer(help="A landlord's API keys.", no_args_is_help=True)
authorities_cli = typer.Typer(help="Authorities that post to Varsel (Kronofogden).", no_args_is_help=True)
users_cli = typer.Typer(help="Staff users.", no_args_is_help=True)
districts_cli = typer.Typer(help="Districts and the data to route by.", no_args_is_help=True)
jobs_cli = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(landlords_cli, name="landlords")
landlords_cli.add_typer(keys_cli, name="keys")
cli.add_typer(authorities_cli, name="authorities")
cli.add_typer(users_cli, name="users")
cli.add_typer(districts_cli, name="districts")
cli.add_typer(jobs_cli, name="jobs")
cli.add_typer(reports_cli, name="reports")


@cli.callback()
def _setup() -> None:
    """Logs go to standard error, so that standard output carries only what a command prints (keys, files)."""
    from app.logging import configure_logging

    settings = get_settings()
    configure_logging(json_logs=settings.json_logs, level=settings.log_level)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def info(message: str) -> None:
    typer.echo(message, err=True)


@contextmanager
def unit_of_work(settings: Settings | None = None) -> Iterator[Session]:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def upgrade_database(settings: Settings) -> int:
    """Migrate to head and seed the municipality's districts. Returns districts added."""
    migrate.upgrade(settings.database_url)
    with unit_of_work(settings) as session:
        return seed_districts(session, load_municipality(settings.municipality))


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Run the migrations and seed the municipality's districts."""
    settings = get_settings()
    added = upgrade_database(settings)
    info(f"database is at the newest schema; {added} district rows added")


@landlords_cli.command("create")
def landlords_create(
    name: Annotated[str, typer.Option(help="The housing company's name")],
    org_number: Annotated[str, typer.Option("--org-number", help="Organisationsnummer NNNNNN-NNNN")],
) -> None:
    """Create a landlord and its first API key (printed once, on the last line)."""
    settings = get_settings()
    try:
        with unit_of_work(settings) as session:
            landlord, issued = accounts.create_landlord(session, settings, name=name, org_number=org_number)
            info(f"landlord {landlord.name} ({landlord.org_number}) created; key prefix {issued.api_key.prefix}")
            info("The key is shown once. Give it to the landlord's integrator over a safe channel:")
    except accounts.AccountError as exc:
        fail(str(exc))
    typer.echo(issued.plaintext)


@keys_cli.command("create")
def keys_create(
    org_number: Annotated[str, typer.Option("--org-number", help="The landlord's organisationsnummer")],
) -> None:
    """Create another API key for a landlord (for rotation)."""
    settings = get_settings()
    try:
        with unit_of_work(settings) as session:
            issued = accounts.create_landlord_key(session, settings, org_number=org_number)
            info(f"key prefix {issued.api_key.prefix} created; shown once:")
    except accounts.AccountError as exc:
        fail(str(exc))
    typer.echo(issued.plaintext)


@keys_cli.command("revoke")
def keys_revoke(prefix: Annotated[str, typer.Option(help="The key's prefix (the 8 characters after 'vsl_')")]) -> None:
    """Revoke an API key at once."""
    try:
        with unit_of_work() as session:
            key = accounts.revoke_key(session, prefix=prefix)
            typer.echo(f"key {key.prefix} revoked at {key.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
    except accounts.AccountError as exc:
        fail(str(exc))


@authorities_cli.command("create")
def authorities_create(name: Annotated[str, typer.Option(help="e.g. Kronofogden")]) -> None:
    """Create an authority (if new) and an API key for it (printed once, on the last line)."""
    settings = get_settings()
    with unit_of_work(settings) as session:
        authority, issued = accounts.create_authority(session, settings, name=name)
        info(f"authority {authority.name}: key prefix {issued.api_key.prefix} created; shown once:")
    typer.echo(issued.plaintext)


@users_cli.command("create")
def users_create(
    username: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="handler, manager, joint_assessor, intake or admin")],
    district: Annotated[str | None, typer.Option(help="District code (see `varsel districts list`)")] = None,
    unit: Annotated[str | None, typer.Option(help="elderly_care, disability or children_families")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    name: Annotated[str | None, typer.Option(help="Full name, shown to colleagues and in acknowledgements")] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input")] = False,
) -> None:
    """Create a staff user. The password is read from standard input, never from the command line."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("no password on standard input")
    try:
        with unit_of_work() as session:
            user = accounts.create_user(
                session, username=username, role=role, password=password, district_code=district,
                unit=unit, email=email, full_name=name, phone=phone,
            )
            typer.echo(f"user {user.username} ({user.role}{', ' + district if district else ''}) created")
    except (accounts.AccountError, WeakPassword) as exc:
        fail(str(exc))


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


@authorities_cli.command("import-evictions")
def authorities_import_evictions(
    path: Annotated[Path, typer.Argument(help="Kronofogden's eviction notices: a JSON array or JSON Lines")],
    authority: Annotated[str, typer.Option(help="The authority the file came from")] = "Kronofogden",
) -> None:
    """Import Kronofogden's "underrättelser om avhysning" from a file (the path beside the API).

    Each notice is imported on its own: a bad one is reported and the others go in.
    """
    from pydantic import ValidationError
    from sqlalchemy import select

    from app.cases.kronofogden import EvictionNoticeIn, receive
    from app.db import utcnow
    from app.errors import Problem
    from app.routing.service import RouterProvider
    from app.security.actors import Actor
    from app.security.models import Authority
    from integrations.kronofogden.files import parse_eviction_notice_file

    if not path.is_file():
        fail(f"no file at {path}")
    try:
        entries = parse_eviction_notice_file(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        fail(f"{path}: {exc}")
    settings = get_settings()
    routers = RouterProvider(settings.municipality)
    created = replayed = failed = 0
    with unit_of_work(settings) as session:
        record = session.scalar(select(Authority).where(Authority.name == authority))
        if record is None:
            fail(f"no authority named {authority!r}; create it with `varsel authorities create --name`")
        actor = Actor(kind="authority", id=record.id, name=record.name)
    for index, entry in enumerate(entries, start=1):
        try:
            with unit_of_work(settings) as session:
                _notice, new = receive(session, routers, actor, EvictionNoticeIn.model_validate(entry), utcnow(),
                                       settings.data_key)
            created += int(new)
            replayed += int(not new)
        except (ValidationError, Problem) as exc:
            failed += 1
            reason = exc.detail if isinstance(exc, Problem) else f"{exc.error_count()} invalid fields"
            info(f"notice {index}/{len(entries)}: not imported: {reason}")
        if index % 50 == 0:
            info(f"… {index}/{len(entries)}")
    typer.echo(f"{created} imported, {replayed} already known, {failed} refused")
    if failed:
        raise typer.Exit(1)


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
    settings = get_settings()
    result = run_job_once(settings, name)
    typer.echo(f"{name}: {result}")


@cli.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only)")] = 1,
) -> None:
    """Run the web server (and the scheduler, unless VARSEL_SCHEDULER_ENABLED=false)."""
    import uvicorn

    settings = get_settings()
    try:
        check_production(settings)
    except ConfigurationError as exc:
        fail(str(exc))
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
