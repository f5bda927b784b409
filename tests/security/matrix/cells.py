"""Making each call of a row and judging its answer against the rule of rule 4 (DESIGN.md).

Allowed: the row's success status (and, for a redirect, where it leads).
Another role, or a district or unit outside the scope: 404 — problem+json from
the API, the HTML "Sidan finns inte" page from a page — never 403, never 200
with the thing in it. No staff credentials: 401 problem+json from the API,
the sign-in page (303 to /logga-in?next=…) from a page.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import httpx

from tests.security.matrix.entry import Cell, Entry
from tests.security.matrix.world import ACTORS, Actor, World

PROBLEM = "application/problem+json"


def call(world: World, entry: Entry, cell: Cell) -> httpx.Response:
    body = entry.body(cell) if entry.body else None
    url = cell.url(entry.path)
    if entry.is_page:
        browser = world.browser(cell.actor)
        form = {**(body or {}), **({"csrf_token": browser.csrf} if browser.csrf else {})}
        return browser.client.request(entry.method, url, params=entry.query, data=form or None,
                                      headers=browser.headers, follow_redirects=False)
    return world.client.request(entry.method, url, params=entry.query, json=body,
                                headers=world.api_headers(cell.actor), follow_redirects=False)


def _media(answer: httpx.Response) -> str:
    return answer.headers.get("content-type", "").split(";")[0]


def _expected_media(entry: Entry) -> str:
    return entry.media_type or ("text/html" if entry.is_page else "application/json")


def judge(entry: Entry, cell: Cell, answer: httpx.Response) -> list[str]:
    """What is wrong with this answer (nothing: an empty list)."""
    name = cell.actor.name
    shown = entry.shows(cell) if entry.shows else None
    if name in entry.allowed:
        wrong = _status(answer, entry.ok)
        if not wrong and entry.ok == 303:
            wrong += _location(answer, entry.location(cell))
        if not wrong and entry.ok in (200, 201):
            wrong += _media_is(answer, _expected_media(entry))
            if shown is not None and shown not in answer.text:
                wrong.append(f"allowed, but the answer does not show {shown!r}")
    elif name in entry.hidden:
        wrong = _status(answer, 200) or _media_is(answer, _expected_media(entry))
        if not wrong and shown in answer.text:
            wrong.append(f"outside the scope, yet the list shows {shown!r}")
    elif not cell.actor.staff:
        if entry.is_page:
            # A page comes back to itself (its query too) after signing in; a form's post (no Referer here) to
            # the start page.
            back = cell.url(entry.path) + (f"?{urlencode(entry.query)}" if entry.query else "") \
                if entry.method == "GET" else "/"
            wrong = _status(answer, 303) or _location(answer, f"/logga-in?next={quote(back)}")
        else:
            wrong = _status(answer, 401) or _media_is(answer, PROBLEM)
            if not wrong and answer.headers.get("www-authenticate") != "Bearer":
                wrong.append("401 without 'WWW-Authenticate: Bearer'")
    else:
        wrong = _status(answer, 404)
        if not wrong and entry.is_page:
            wrong = _media_is(answer, "text/html") or ([] if "Sidan finns inte" in answer.text
                                                       else ["404 without the 'Sidan finns inte' page"])
        elif not wrong:
            wrong = _media_is(answer, PROBLEM)
        if shown is not None and shown in answer.text:
            wrong.append(f"refused, yet the answer shows {shown!r}")
    return [f"{name} ({_who(cell.actor)}): {w}" for w in wrong] + (
        [f"    answer: {answer.status_code} {_media(answer)} {answer.text[:300]!r}"] if wrong else [])


def _status(answer: httpx.Response, expected: int) -> list[str]:
    return [] if answer.status_code == expected else [f"expected {expected}, got {answer.status_code}"]


def _location(answer: httpx.Response, expected: str) -> list[str]:
    got = answer.headers.get("location")
    return [] if got == expected else [f"expected a redirect to {expected!r}, got {got!r}"]


def _media_is(answer: httpx.Response, expected: str) -> list[str]:
    return [] if _media(answer) == expected else [f"expected {expected}, got {_media(answer)!r}"]


def _who(actor: Actor) -> str:
    if not actor.staff:
        return "no staff credentials"
    return ", ".join(str(part) for part in (actor.role, actor.district, actor.unit) if part)


def run_row(world: World, entry: Entry) -> list[str]:
    """Every actor's call of one row; the refused ones first, on a target the allowed could act on."""
    shared = entry.target(world)
    # Credentials first: signing in writes rows, and the refused calls must be seen writing none.
    for actor in ACTORS:
        if entry.is_page:
            world.browser(actor)
        else:
            world.api_headers(actor)
    refused = [a for a in ACTORS if a.name not in entry.allowed | entry.hidden]
    failures: list[str] = []
    before = world.row_counts()
    for actor in refused:
        cell = Cell(actor, shared, world)
        failures += judge(entry, cell, call(world, entry, cell))
    after = world.row_counts()
    changed = {table: (before[table], after[table]) for table in before if before[table] != after[table]}
    if changed:
        failures.append(f"refused calls changed rows (table: before, after): {changed}")
    for actor in ACTORS:
        if actor.name in entry.hidden:
            cell = Cell(actor, shared, world)
            failures += judge(entry, cell, call(world, entry, cell))
    for actor in ACTORS:
        if actor.name in entry.allowed:
            cell = Cell(actor, entry.target(world) if entry.fresh else shared, world)
            failures += judge(entry, cell, call(world, entry, cell))
    return failures
