"""`varsel landlords …`, `varsel authorities create` and `varsel users …`: who may use Varsel."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from app.cli_support import fail, info, unit_of_work
from app.config import get_settings
from app.security import service as accounts
from app.security import users
from app.security.actors import Actor
from app.security.models import User
from app.security.passwords import WeakPassword

landlords_cli = typer.Typer(help="Landlords (housing companies) and their API keys.", no_args_is_help=True)
keys_cli = typer.Typer(help="A landlord's API keys.", no_args_is_help=True)
authorities_cli = typer.Typer(help="Authorities that post to Varsel (Kronofogden).", no_args_is_help=True)
users_cli = typer.Typer(help="Staff users.", no_args_is_help=True)
landlords_cli.add_typer(keys_cli, name="keys")


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
    test: Annotated[bool, typer.Option("--test", help="A test key: its notices are validated and answered like "
                                       "real ones, but never routed to staff, counted or messaged; deleted "
                                       "after 30 days")] = False,
) -> None:
    """Create another API key for a landlord (for rotation), or a test key for its integrator."""
    settings = get_settings()
    try:
        with unit_of_work(settings) as session:
            issued = accounts.create_landlord_key(session, settings, org_number=org_number, test=test)
            kind = "test key" if test else "key"
            info(f"{kind} prefix {issued.api_key.prefix} created; shown once:")
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
    password = _password_from_stdin() if password_stdin else None
    try:
        with unit_of_work() as session:
            user = users.create(
                session, _cli_actor(), username=username, role=role, password=password, district_code=district,
                unit=unit, email=email, full_name=name, phone=phone,
            )
            typer.echo(f"user {user.username} ({user.role}{', ' + district if district else ''}) created")
    except (accounts.AccountError, WeakPassword) as exc:
        fail(str(exc))


USER_COLUMNS = ("username", "role", "district", "unit", "active", "last_sign_in")


@users_cli.command("list")
def users_list() -> None:
    """Every staff user, tab-separated with a header line; the last sign-in in UTC."""
    with unit_of_work() as session:
        rows = [_user_row(user) for user in users.list_users(session)]
    typer.echo("\t".join(USER_COLUMNS))
    for row in rows:
        typer.echo("\t".join(row))


def _user_row(user: User) -> tuple[str, ...]:
    last = user.last_sign_in_at.strftime("%Y-%m-%dT%H:%M:%SZ") if user.last_sign_in_at else "-"
    return (user.username, user.role, user.district.code if user.district else "-", user.unit or "-",
            "yes" if user.active else "no", last)


@users_cli.command("deactivate")
def users_deactivate(username: str) -> None:
    """Take a user's access away at once: sign-in refused, every token and session ended."""
    try:
        with unit_of_work() as session:
            user = users.deactivate(session, _cli_actor(), username)
            typer.echo(f"user {user.username} deactivated; their tokens and sessions have ended")
    except accounts.AccountError as exc:
        fail(str(exc))


@users_cli.command("activate")
def users_activate(username: str) -> None:
    """Let a deactivated user sign in again (nothing from before comes back to life)."""
    try:
        with unit_of_work() as session:
            user = users.activate(session, _cli_actor(), username)
            typer.echo(f"user {user.username} activated")
    except accounts.AccountError as exc:
        fail(str(exc))


@users_cli.command("set-password")
def users_set_password(
    username: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input")] = False,
) -> None:
    """Give a user a new password (from standard input); every token and session of theirs ends."""
    if not password_stdin:
        fail("give the password on standard input with --password-stdin (never on the command line)", code=2)
    password = _password_from_stdin()
    try:
        with unit_of_work() as session:
            user = users.set_password(session, _cli_actor(), username, password)
            typer.echo(f"user {user.username} has a new password; their tokens and sessions have ended")
    except (accounts.AccountError, WeakPassword) as exc:
        fail(str(exc))


def _password_from_stdin() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("no password on standard input")
    return password


def _cli_actor() -> Actor:
    """Who did it, for the audit log: the operating-system account that ran the command."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(kind="system", id=None, name=f"cli:{who}"[:200])


# --- landlords list, landlords keys list ---------------------------------------------------------
# Local imports: these commands are appended to this module, and its imports stay as they were.


@landlords_cli.command("list")
def landlords_list() -> None:
    """The landlords: organisationsnummer, name and active API keys, one per line (tab-separated)."""
    from sqlalchemy import and_, func, select

    from app.security.models import ApiKey, Landlord

    with unit_of_work() as session:
        rows = session.execute(
            select(Landlord.org_number, Landlord.name, func.count(ApiKey.id))
            .outerjoin(ApiKey, and_(ApiKey.landlord_id == Landlord.id, ApiKey.revoked_at.is_(None)))
            .group_by(Landlord.id, Landlord.org_number, Landlord.name)
            .order_by(Landlord.name, Landlord.org_number)
        ).all()
    if not rows:
        info("no landlords yet; create one with `varsel landlords create`")
        return
    info("organisationsnummer\tname\tactive API keys")
    for org_number, name, active_keys in rows:
        typer.echo(f"{org_number}\t{name}\t{active_keys}")


@keys_cli.command("list")
def keys_list(
    org_number: Annotated[str, typer.Option("--org-number", help="The landlord's organisationsnummer")],
) -> None:
    """A landlord's API keys: prefix, created, last used, revoked (UTC), kind (live or test). Never the key."""
    from datetime import datetime

    from sqlalchemy import select

    from app.identity import IdentityNumberError, parse_org_number
    from app.security.models import ApiKey, Landlord

    try:
        canonical = parse_org_number(org_number)
    except IdentityNumberError as exc:
        fail(f"organisationsnummer: {exc}")

    def when(moment: datetime | None) -> str:
        return f"{moment:%Y-%m-%d %H:%M:%S}" if moment is not None else "-"

    with unit_of_work() as session:
        landlord = session.scalar(select(Landlord).where(Landlord.org_number == canonical))
        if landlord is None:
            fail(f"no landlord has organisationsnummer {canonical}; see `varsel landlords list`")
        keys = list(session.scalars(select(ApiKey).where(ApiKey.landlord_id == landlord.id)
                                    .order_by(ApiKey.created_at, ApiKey.prefix)))
        info(f"API keys of {landlord.name} ({canonical}): prefix\tcreated\tlast used\trevoked (UTC)\tkind")
        for key in keys:
            # The kind last: scripts that read the first four columns keep working.
            kind = "test" if key.test else "live"
            typer.echo(f"{key.prefix}\t{when(key.created_at)}\t{when(key.last_used_at)}\t{when(key.revoked_at)}\t"
                       f"{kind}")
