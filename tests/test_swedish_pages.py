"""No English word, raw code or UUID on any staff page of a seeded demo (issue #13: "Swedish everywhere").

The demo with its twelve months of history is seeded once into a database of this
module's own; then the handler, the manager, the admin, the intake role and a joint
assessor each fetch every staff page the application's route table has (GET, HTML),
with the path parameters filled from the demo (a case of each kind, a closed one, a
landlord …) and the pages' own query variants (the queue's views, a search, the
banners after a form). What a person can read — the text, and the title, aria-label,
placeholder, alt and button values — must hold none of the vocabulary's codes
(`rent_arrears`, `case.view` …), none of the English words below and no UUID.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.cases.models import Case, PaymentCommitment, TimelineEvent
from app.cli import upgrade_database
from app.cli_support import unit_of_work
from app.config import Settings
from app.db import utcnow
from app.demo import DEMO_LANDLORDS, DEMO_PASSWORD, seed_demo
from app.households.models import JointAssessmentPart
from app.main import create_app
from app.notices.models import Notice
from app.reports.month import Month
from app.routing.models import District
from app.security.models import Landlord
from app.vocabulary import LABELS, QueueView, Word, codes
from notifications.models import OutboxMessage
from tests.security.matrix.test_route_table import route_table

HTML = {"Accept": "text/html"}
ROLES = {"handler": "handlaggare.sodermalm", "manager": "chef.sodermalm", "admin": "admin", "intake": "mottagning",
         "joint_assessor": "barn.sodermalm", "handler-enskede": "handlaggare.enskede"}

# Pages that are not the staff's: their own audience and rules (the landlord portal has its own tests), the
# API's viewers, the machine endpoints, signing in through the identity provider, and files that are no page.
NOT_STAFF_PAGES = re.compile(r"^/(api/|docs|redoc|healthz|readyz|metrics|hyresvard|logga-in/oidc)|\.pdf$")

# TEMPORARY: pages being rewritten on other branches right now, failing this scan today; the lead removes each
# entry once that branch is merged and the page passes (non-strict xfail: a fixed page does not fail the run).
# What the scan found, on the demo with one failed mail and one failed letter (`_failed_messages`):
# - /granskning: raw audit actions (case.view, case.contact, notice.event.rent_paid, audit.read …), object ids as
#   UUIDs, landlord-event and role codes in the details (rent_paid, tenant_served, intake …);
# - /admin: the failed messages' channel and template codes and their English error text ("no recipient address").
# The overview, the user and landlord-user pages pass today.
BEING_REWRITTEN: dict[str, str] = {}

# Words that must not be read on a staff page (whole words, as written: "Page" but not "Pagetown"). Not "status":
# it is a Swedish word as well ("deras status och tidsfrister"); a raw status shows as its code ("pending" …).
ENGLISH = ("Error", "error", "Failed", "failed", "ambiguous", "postal code", "not verified", "None", "True", "False",
           "true", "false", "null", "undefined", "NaN", "Submit", "Save", "Cancel", "Search", "Page", "Next",
           "Previous", "Back", "Close", "Delete", "Edit", "Sign in", "Log in", "Logout", "Home", "deadline",
           "Deadline", "pending", "routed", "received", "unknown", "Unknown", "Not Found",
           "Forbidden", "Internal Server Error", "Method Not Allowed", "estimated", "reason", "district", "method",
           "confidence", "certain", "high", "medium", "low", "the", "with", "not", "invalid", "missing",
           "unavailable", "refused", "address")
# Codes that are Swedish words too, or shown as the label itself: the queue's view slugs are Swedish by design,
# "Sms"/"Normal" are labels, "admin" is a username of the demo.
NOT_CODES = {"normal", "admin", "sms", "info"} | set(codes(QueueView))
AUDIT_ACTION = re.compile(r"(?<![\w@.-])(case|notice|user|landlord|landlord_user|api_key|report|audit|session|"
                          r"population_register|district|outbox|key|queue|authority)\.[a-z_]+(?:\.[a-z_]+)*(?![\w@-])")
# Any other code in snake_case (a message template, a job, a setting): no Swedish word is written so.
SNAKE_CASE = re.compile(r"(?<![\w@./-])[a-z]+(?:_[a-z0-9]+)+(?![\w@/-])")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ONLY_REDIRECTS = {"/"}  # each role's start page (README "Staff"), read under its own path
# Swedish formats: money with a space every three digits and no öre when whole ("4 200 kr", not "4200.00 kr"),
# and the singular after 1 ("1 vardag", not "1 vardagar").
UNFORMATTED_MONEY = re.compile(r"(?<![\d.,])(?:\d{4,}(?:[.,]\d{2})?|\d+[.,]00) kr\b")
WRONG_PLURAL = re.compile(r"(?<![\d.,])1 (vardagar|dagar|ärenden|tidsfrister|veckor|månader)\b")
READABLE_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "aria-description", "data-tooltip")


def _vocabulary_codes() -> set[str]:
    found = set()
    for word in LABELS:
        assert issubclass(word, Word)
        found |= {code for code in codes(word) if code not in NOT_CODES}
    return found


CODES = sorted(_vocabulary_codes(), key=len, reverse=True)
CODE = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, CODES)) + r")(?![\w-])")
ENGLISH_WORD = re.compile(r"(?<![\wåäöÅÄÖ])(" + "|".join(map(re.escape, ENGLISH)) + r")(?![\wåäöÅÄÖ])")


class _Readable(HTMLParser):
    """What a person reads on the page: text outside script and style, and the readable attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        values = dict(attrs)
        self.parts += [values[name] or "" for name in READABLE_ATTRIBUTES if values.get(name)]
        if tag == "input" and values.get("type") in ("submit", "button", "reset") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def readable_text(html: str) -> str:
    parser = _Readable()
    parser.feed(html)
    return "\n".join(parser.parts)


def leaks(text: str) -> list[str]:
    found = [f"code {m}" for m in CODE.findall(text)]
    found += [f"audit action {m.group(0)}" for m in AUDIT_ACTION.finditer(text)]
    found += [f"code {m}" for m in SNAKE_CASE.findall(text)]
    found += [f"format {m.group(0)}" for m in UNFORMATTED_MONEY.finditer(text)]
    found += [f"format {m.group(0)}" for m in WRONG_PLURAL.finditer(text)]
    found += [f"English {m}" for m in ENGLISH_WORD.findall(text)]
    uuids = sorted(set(UUID.findall(text)))
    found += [f"UUID {m}" for m in uuids[:3]] + ([f"… {len(uuids) - 3} more UUIDs"] if len(uuids) > 3 else [])
    return sorted(set(found))


def test_the_scanner_finds_what_it_looks_for():
    page = ('<html><head><title>Ärende</title><style>.status{}</style><script>var x = null;</script></head><body>'
            '<p>Obetald hyra</p><input placeholder="Search"><span title="rent_arrears">x</span>'
            '<p>postal code 117 28: ambiguous</p><td>case.view</td><a href="/arenden/3f1c2d4e-1111-2222-3333-'
            '444455556666">Öppna</a><p>3f1c2d4e-1111-2222-3333-444455556666</p></body></html>')
    found = leaks(readable_text(page))
    assert "English Search" in found and "code rent_arrears" in found and "audit action case.view" in found
    assert "English postal code" in found and "English ambiguous" in found
    assert "code new_cases_digest" in leaks("Mejl new_cases_digest: no recipient address")
    assert leaks("Skuld 4200.00 kr, 1 vardagar kvar") == ["format 1 vardagar", "format 4200.00 kr"]
    assert not leaks("Skuld 4 200 kr, 16 900 kr, 1 vardag kvar, 11 vardagar kvar")
    assert found.count("UUID 3f1c2d4e-1111-2222-3333-444455556666") == 1  # the visible one, not the link
    assert not [f for f in found if "null" in f or "status" in f]  # scripts and styles are not read
    assert not leaks(readable_text("<p>Obetald hyra, Hyran betald, Söndag, Normal prioritet, 4 200 kr</p>"))


# --------------------------------------------------------------------------- the demo and its pages

def _staff_page_paths() -> list[str]:
    app = create_app(Settings(database_url="sqlite:///:memory:", scheduler_enabled=False))
    paths = {key.split(" ", 1)[1] for key in route_table(app) if key.startswith("GET ")}
    return sorted(p for p in paths if not NOT_STAFF_PAGES.search(p))


STAFF_PAGES = _staff_page_paths()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder: Path = tmp_path_factory.mktemp("scan")
    settings = Settings(database_url=f"sqlite:///{folder}/demo.db", storage_dir=folder / "files",
                        scheduler_enabled=False, log_json=False, rate_limit_per_second=1000, rate_limit_burst=1000)
    upgrade_database(settings)
    with unit_of_work(settings) as session:
        seed_demo(session, settings, progress=lambda _message: None)
    with unit_of_work(settings) as session:
        _failed_messages(session)
        targets = _targets(session)
    yield {"settings": settings, **targets}


def _failed_messages(session: Any) -> None:
    """A mail and a letter that failed for good, as the admin page lists them (the channels' own error texts)."""
    for channel, error in (("email", "no recipient address"), ("letter", "the case is gone (purged)")):
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.channel == channel).limit(1))
        message.status, message.attempts, message.last_error = "failed", message.max_attempts, error


def _targets(session: Any) -> dict[str, Any]:
    """Cases of Södermalm that show much: joint assessment, commitment, closed, manual routing, disturbance."""
    sodermalm = session.scalar(select(District).where(District.code == "sodermalm"))
    mine = select(Case).where(Case.district_id == sodermalm.id).order_by(Case.opened_at.desc())
    joint = session.scalar(mine.where(Case.status == "open", Case.id.in_(select(JointAssessmentPart.case_id))))
    committed = session.scalar(mine.where(Case.id.in_(select(PaymentCommitment.case_id))))
    closed = session.scalar(mine.where(Case.status == "closed"))
    disturbance = session.scalar(mine.where(Case.id.in_(select(Notice.case_id).where(
        Notice.kind == "disturbance_termination"))))
    evicted = session.scalar(mine.where(Case.outcome == "evicted"))
    enskede = session.scalar(select(District.id).where(District.code == "enskede-arsta-vantor"))
    by_hand = session.scalar(select(Case).where(Case.district_id == enskede, Case.id.in_(
        select(TimelineEvent.case_id).where(TimelineEvent.type == "routed_manually"))).order_by(Case.opened_at))
    landlord = session.scalar(select(Landlord).where(Landlord.name == DEMO_LANDLORDS[0][0]))
    cases = [c for c in (joint, committed, closed, disturbance, evicted, by_hand) if c is not None]
    assert len(cases) == 6 and session.scalar(select(func.count()).select_from(Case)) > 100
    return {"cases": [(c.id, c.number) for c in cases], "org": landlord.org_number,
            "month": str(Month.of(utcnow() - timedelta(days=31)))}


def _urls(path: str, demo: dict[str, Any]) -> list[str]:
    """The concrete addresses of a page: its parameters from the demo, and its query variants."""
    fillers = {"org": [demo["org"]], "month": [demo["month"]], "code": ["sodermalm"], "district": ["sodermalm"],
               "unit": ["children_families"], "case_id": [str(case_id) for case_id, _ in demo["cases"]]}
    names = re.findall(r"{(\w+)}", path)
    missing = [n for n in names if n not in fillers]
    assert not missing, f"{path}: say in _urls which demo value fills {missing}"
    urls = [path]
    for name in names:
        urls = [u.replace("{" + name + "}", value) for u in urls for value in fillers[name]]
    if path == "/ko":
        number = demo["cases"][0][1]
        urls += ["/ko?status=closed", "/ko?status=all", "/ko?q=Exempelsson", "/ko?q=Götgatan", "/ko?flag=children",
                 "/ko?kind=disturbance_warning", "/ko?assigned=none", "/ko?assigned=me", f"/ko?q={number}",
                 f"/ko?ok=tagit&arende={number}", "/ko?ok=tilldelade&antal=2&till=handlaggare.sodermalm"]
        urls += [f"/ko?vy={view.value}" for view in QueueView]
    if path == "/arenden/{case_id}":
        urls += [f"{urls[0]}?ok={ok}" for ok in ("tilldelat", "kontakt", "atagande", "hushall", "avslutat",
                                                  "budget", "oppnat", "bedomning")]
    if path == "/manuell-fordelning":
        urls += ["/manuell-fordelning?ok=sodermalm"]
    return urls


@pytest.fixture(scope="module")
def browsers(demo: dict[str, Any]) -> Iterator[dict[str, TestClient]]:
    app = create_app(demo["settings"])
    clients = {}
    for role, username in ROLES.items():
        client = TestClient(app)
        client.__enter__()
        form = client.get("/logga-in", headers=HTML)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        answer = client.post("/logga-in", data={"username": username, "password": DEMO_PASSWORD,
                                                "csrf_token": csrf}, headers=HTML, follow_redirects=False)
        assert answer.status_code == 303, (role, answer.text)
        clients[role] = client
    clients["anonymous"] = TestClient(app).__enter__()
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


def _params() -> list[Any]:
    marks = {path: pytest.mark.xfail(reason=reason, strict=False) for path, reason in BEING_REWRITTEN.items()}
    return [pytest.param(path, marks=marks[path]) if path in marks else path for path in STAFF_PAGES]


@pytest.mark.parametrize("path", _params())
def test_a_staff_page_speaks_swedish_only(path: str, demo: dict[str, Any], browsers: dict[str, TestClient]):
    """Each role's view of the page; where a role may not open it, the page it gets instead (the sign-in
    page, "not found") is read as well."""
    shown = followed = 0
    found: dict[str, list[str]] = {}
    for role, client in browsers.items():
        for url in _urls(path, demo):
            answer = client.get(url, headers=HTML, follow_redirects=False)
            if answer.is_redirect:
                if not answer.headers["location"].startswith("/logga-in"):
                    continue  # another staff page: read under its own path
                answer = client.get(answer.headers["location"], headers=HTML)
            elif answer.status_code == 200:
                shown += 1
            pages = [(url, answer)]
            more = re.search(r'<a href="(/ko\?[^"]*cursor=[^"]+)"', answer.text) if url.startswith("/ko") else None
            if more:  # the queue's next page
                following = html.unescape(more.group(1))
                pages.append((following, client.get(following, headers=HTML)))
                followed += 1
            for where, shown_page in pages:
                if shown_page.headers.get("content-type", "").startswith("text/html"):
                    problems = leaks(readable_text(shown_page.text))
                    if problems:
                        found[f"{role} {where} ({shown_page.status_code})"] = problems
    assert shown or path in ONLY_REDIRECTS, f"no role could open {path}: fill its parameters in _urls"
    assert followed or path != "/ko", "the demo's closed cases fill more than one page of the queue"
    assert not found, "\n".join(f"{where}: {', '.join(what)}" for where, what in found.items())


def test_a_failed_sign_in_is_told_in_swedish(demo: dict[str, Any]):
    with TestClient(create_app(demo["settings"])) as client:
        form = client.get("/logga-in?next=/ko", headers=HTML)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        answer = client.post("/logga-in", data={"username": "handlaggare.sodermalm", "password": "fel-lösenord-1",
                                                "csrf_token": csrf}, headers=HTML)
    assert answer.status_code in (400, 401, 422) and "Logga in" in answer.text
    assert not leaks(readable_text(form.text)) and not leaks(readable_text(answer.text))


def test_the_scan_covers_the_pages_it_should():
    assert {"/ko", "/arenden/{case_id}", "/arenden/{case_id}/avsluta", "/manuell-fordelning", "/gemensam-bedomning",
            "/logga-in", "/"} <= set(STAFF_PAGES)
    assert not set(BEING_REWRITTEN) - set(STAFF_PAGES), "an entry for a page that is gone"
