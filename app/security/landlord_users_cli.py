"""`varsel landlords users create`: a landlord-portal user, with a one-time sign-in link or a password."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli_support import fail, info, unit_of_work
from app.config import get_settings
from app.security import landlord_users
from app.security.cli import _cli_actor, _password_from_stdin
from app.security.passwords import WeakPassword
from app.security.service import AccountError

landlord_users_cli = typer.Typer(help="People at a landlord who use the landlord portal (/hyresvard).",
                                 no_args_is_help=True)


@landlord_users_cli.command("create")
def landlord_users_create(
    org_number: Annotated[str, typer.Option("--org-number", help="The landlord's organisationsnummer")],
    email: Annotated[str, typer.Option(help="The person's email address: their sign-in name")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read a password from standard input "
                                                 "instead of printing a one-time sign-in link")] = False,
) -> None:
    """Create a portal user for a landlord. Without --password-stdin the last line is a one-time sign-in link
    (valid for three days, used once to choose a password); give it to the person over a safe channel."""
    password = _password_from_stdin() if password_stdin else None
    settings = get_settings()
    try:
        with unit_of_work(settings) as session:
            created = landlord_users.create(session, settings, _cli_actor(), org_number=org_number, email=email,
                                            password=password)
            user = created.user
            info(f"portal user {user.email} created for {user.landlord.name} ({user.landlord.org_number})")
    except (AccountError, WeakPassword) as exc:
        fail(str(exc))
    if created.link is None:
        typer.echo(f"{user.email} signs in at {settings.public_base_url.rstrip('/')}/hyresvard/logga-in")
        return
    info("The sign-in link is shown once and works once, for three days:")
    typer.echo(created.link)
