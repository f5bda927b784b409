"""One row of the authorisation matrix: a route, who may call it, and what a successful call looks like."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.security.matrix.world import Actor, World

# The sets of actors the rows are written with (names from world.ACTORS).
HOME_READERS = frozenset({"handler", "manager", "assessor"})  # the case's district; the assessor's unit is asked
WORKERS = frozenset({"handler", "manager"})  # who works a case of their own district
OUT_OF_SCOPE_READERS = frozenset({"handler-farsta", "manager-farsta", "assessor-farsta", "assessor-elderly"})
STAFF = frozenset({"handler", "handler-farsta", "manager", "manager-farsta", "assessor", "assessor-farsta",
                   "assessor-elderly", "intake", "admin"})


@dataclass(frozen=True)
class Cell:
    """One call: who makes it, on which target (the path's parameters)."""

    actor: Actor
    params: dict[str, str]
    world: World

    def url(self, path: str) -> str:
        return path.format(**self.params)


@dataclass(frozen=True)
class Entry:
    method: str
    path: str  # the route's path template, exactly as the application declares it
    allowed: frozenset[str]  # these succeed; every other staff actor gets 404, the rest 401 or the sign-in page
    ok: int  # the status of an allowed call
    # The path parameters of a target the call is allowed on (an open case for "close", a closed one for
    # "reopen" …), so that a refusal can only come from the role or the scope, never from the state.
    target: Callable[[World], dict[str, str]] = lambda world: {}
    # The call changes its target: each allowed caller gets a new one from `target`.
    fresh: bool = False
    body: Callable[[Cell], dict[str, Any]] | None = None  # JSON for the API, form fields for pages
    query: dict[str, str] | None = None
    # Lists filtered by scope: these callers get 200, but without what `shows` names.
    hidden: frozenset[str] = frozenset()
    shows: Callable[[Cell], str] | None = None  # what an allowed caller sees (and a hidden one must not)
    location: Callable[[Cell], str] | None = None  # where an allowed 303 leads
    media_type: str | None = None  # of an allowed answer, when it is not the route kind's usual one

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_page(self) -> bool:
        return not self.path.startswith("/api/")

    def __post_init__(self) -> None:
        unknown = (self.allowed | self.hidden) - STAFF
        assert not unknown, f"{self.key}: not staff actors: {sorted(unknown)}"
        both = self.allowed & self.hidden
        assert not both, f"{self.key}: both allowed and hidden: {sorted(both)}"
        assert self.shows is not None or not self.hidden, f"{self.key}: a hidden caller must be shown to miss something"
        assert (self.ok == 303) == (self.location is not None), f"{self.key}: a 303 names where it leads"
