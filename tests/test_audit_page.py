"""The audit log page (#13.4): actions in Swedish, times in Stockholm, people by name, cases by number."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.calendar import STOCKHOLM
from app.cases.models import Case
from app.notices.schemas import EXAMPLE_NOTICE
from app.security import service as accounts
from app.security.models import AuditEvent
from tests.conftest import TEST_PASSWORD
from tests.security.helpers import HTML, api_token, bearer, web_sign_in

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html.split("</header>")[1])


@pytest.fixture
def viewed(client, landlord, db):
    """A Södermalm case its handler Sara Lind has opened and searched for; a manager and an admin."""
    with db() as session:
        accounts.create_user(session, username="sara", role="handler", password=TEST_PASSWORD,
                             district_code="sodermalm", full_name="Sara Lind")
        accounts.create_user(session, username="chef", role="manager", password=TEST_PASSWORD,
                             district_code="sodermalm")
        accounts.create_user(session, username="admin", role="admin", password=TEST_PASSWORD)
    assert client.post("/api/v1/notices", headers=landlord.headers, json=EXAMPLE_NOTICE).status_code == 201
    sara = bearer(api_token(client, "sara"))
    with db() as session:
        case = session.scalar(select(Case))
    assert client.get(f"/api/v1/cases/{case.id}", headers=sara).status_code == 200
    assert client.get("/api/v1/queue", headers=sara, params={"q": "Götgatan"}).status_code == 200
    return case


def test_a_manager_reads_actions_in_swedish_people_by_name_and_cases_by_number(client, viewed, db):
    assert web_sign_in(client, "chef").status_code == 303
    page = client.get("/granskning", headers=HTML).text
    visible = _visible(page)
    assert "Öppnade ärendet" in visible and "Sökte i kön" in visible
    assert "Sara Lind" in visible and "Loggade in i API:et" in visible
    assert "chef" in visible  # no full name: the username
    assert f'<a href="/arenden/{viewed.id}">{viewed.number}</a>' in page
    # No code, no raw id, no English actor kind where people read.
    for raw in ("case.view", "case.search", "auth.token_issued", "staff", "(landlord)", "system"):
        assert raw not in visible, raw
    assert not UUID.search(visible), UUID.search(visible)


def test_times_are_in_stockholm(client, viewed, db):
    with db() as session:
        at = session.scalar(select(AuditEvent.at).where(AuditEvent.action == "case.view"))
    assert web_sign_in(client, "chef").status_code == 303
    page = client.get("/granskning", headers=HTML).text
    local, utc = at.astimezone(STOCKHOLM), at.astimezone(STOCKHOLM).utcoffset()
    assert utc  # Stockholm is never UTC: the two renderings differ
    assert local.strftime("%Y-%m-%d kl. %H.%M") in page
    row = next(r for r in page.split("<tr>") if "Öppnade ärendet" in r)
    assert local.strftime("kl. %H.%M") in row and at.strftime("kl. %H.%M") not in row


def test_an_admin_sees_the_case_number_without_a_link_and_every_district(client, viewed):
    assert web_sign_in(client, "admin").status_code == 303
    page = client.get("/granskning", headers=HTML).text
    assert f"Ärende {viewed.number}" in _visible(page).replace("  ", " ")
    assert f'href="/arenden/{viewed.id}"' not in page  # an admin never opens cases
    assert "Skickade in en underrättelse" in page and "Bostadsbolaget AB (hyresvärd, via API)" in page


def test_a_case_number_finds_the_cases_events(client, viewed):
    assert web_sign_in(client, "chef").status_code == 303
    page = client.get("/granskning", headers=HTML, params={"object_id": viewed.number}).text
    rows = [r for r in page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>") if r.strip()]
    assert rows and all(viewed.number in r for r in rows)
    assert any("Öppnade ärendet" in r for r in rows) and not any("Sökte i kön" in r for r in rows)
    by_id = client.get("/granskning", headers=HTML, params={"object_id": str(viewed.id)}).text
    assert by_id.count("Öppnade ärendet") == page.count("Öppnade ärendet")


def test_another_districts_manager_sees_none_of_it(client, viewed, make_user):
    make_user("farsta-chef", "manager", "farsta")
    assert web_sign_in(client, "farsta-chef").status_code == 303
    page = client.get("/granskning", headers=HTML).text
    assert viewed.number not in page and "Sara Lind" not in page


@pytest.mark.parametrize(("kind", "name", "shown"), [
    ("system", "varsel", "Varsel (automatiskt)"),
    ("anonymous", "anonymous", "Okänd (ej inloggad)"),
    ("landlord", "Bostadsbolaget AB", "Bostadsbolaget AB (hyresvärd, via API)"),
    ("landlord_user", "Bostadsbolaget AB (hyror@bostadsbolaget.example)",
     "Bostadsbolaget AB (hyror@bostadsbolaget.example), hyresvärdsportalen"),
    ("authority", "Kronofogden", "Kronofogden (myndighet)"),
    ("staff", "borttagen", "borttagen"),  # a user no longer there: the name recorded
])
def test_every_kind_of_actor_is_named_in_swedish(kind, name, shown):
    from types import SimpleNamespace

    from app.web.audit_pages import _who

    assert _who(SimpleNamespace(actor_kind=kind, actor_name=name, actor_id=None), {}) == shown
