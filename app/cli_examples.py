"""An example under every `varsel` command's --help.

Kept in one table rather than beside each command, so that the commands stay in
their domains' modules (`app/security/cli.py`, `app/routing/cli.py`, …) and the
examples can be read, and kept pasteable, together. `add_examples` puts each into
its command's epilog unless the command has one of its own. The examples run as
written in a shell (values are examples; a password is read from a variable).
Rich renders the help: no square brackets here (they would be read as markup).
"""

from __future__ import annotations

import typer

EXAMPLES: dict[str, list[str]] = {
    "serve": ["varsel serve --host 0.0.0.0 --port 8000 --workers 4"],
    "demo": ["varsel demo", "varsel demo --seed-only"],
    "db upgrade": ["varsel db upgrade"],
    "audit verify": ["varsel audit verify", "varsel audit verify --from-id 120000"],
    "keys rotate-data-key": ["varsel keys rotate-data-key", "varsel keys rotate-data-key --batch-size 2000"],
    "landlords create": ['varsel landlords create --name "Stockholmshem AB" --org-number 556035-9555'],
    "landlords list": ["varsel landlords list"],
    "landlords keys create": ["varsel landlords keys create --org-number 556035-9555",
                              "varsel landlords keys create --org-number 556035-9555 --test"],
    "landlords keys list": ["varsel landlords keys list --org-number 556035-9555"],
    "landlords keys revoke": ["varsel landlords keys revoke --prefix 3f9c1a7e"],
    "landlords users create": [
        'echo "$PASSWORD" | varsel landlords users create --org-number 556035-9555 --email hyror@example.org '
        "--password-stdin"],
    "authorities create": ["varsel authorities create --name Kronofogden"],
    "authorities import-evictions": ["varsel authorities import-evictions avhysningar.jsonl"],
    "users create": [
        'echo "$PASSWORD" | varsel users create --username sara --role handler --district sodermalm '
        "--email sara@example.org --password-stdin"],
    "users list": ["varsel users list"],
    "users deactivate": ["varsel users deactivate sara"],
    "users activate": ["varsel users activate sara"],
    "users set-password": ['echo "$PASSWORD" | varsel users set-password sara --password-stdin'],
    "districts list": ["varsel districts list"],
    "districts import-boundaries": ["varsel districts import-boundaries Stadsdelsnamndsomrade_2020.zip"],
    "districts import-addresses": ["varsel districts import-addresses adressregister.csv"],
    "jobs list": ["varsel jobs list"],
    "jobs run": ["varsel jobs run sweep-deadlines", "varsel jobs run"],
    "reports monthly": [
        "varsel reports monthly --month 2026-10 --district sodermalm --format pdf --output oktober.pdf"],
}


def example_epilog(lines: list[str]) -> str:
    return "Example:\n\n" + "\n".join(f"  {line}" for line in lines)


def add_examples(app: typer.Typer, prefix: tuple[str, ...] = ()) -> None:
    """Give every command of `app` (and of its groups) its example, unless it has an epilog."""
    for command in app.registered_commands:
        name = command.name or (command.callback.__name__.replace("_", "-") if command.callback else "")
        path = " ".join((*prefix, name))
        if command.epilog is None and path in EXAMPLES:
            command.epilog = example_epilog(EXAMPLES[path])
    for group in app.registered_groups:
        if group.typer_instance is not None and group.name:
            add_examples(group.typer_instance, (*prefix, group.name))
