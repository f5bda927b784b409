"""`varsel authorities import-evictions`: Kronofogden's notices from a file (intake beside the API)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli_support import fail, info, unit_of_work
from app.config import get_settings


def authorities_import_evictions(
    path: Annotated[Path, typer.Argument(help="Kronofogden's eviction notices: a JSON array or JSON Lines")],
    authority: Annotated[str, typer.Option(help="The authority the file came from")] = "Kronofogden",
) -> None:
    """Import Kronofogden's "underrättelser om avhysning" from a file (the path beside the API).

    Each notice is imported on its own: a bad one is reported and the others go in.
    """
    from pydantic import ValidationError
    from sqlalchemy import select

    from app.notices.kronofogden import EvictionNoticeIn, receive
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
