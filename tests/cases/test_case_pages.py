"""The case page without a browser: the person first, each once; safe closing; reopening; banners in Swedish.

The clock is Friday 2026-11-20 09:14 in Stockholm (tests/cases/conftest.py).
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from app.cases.models import Case
from app.security import service as accounts
from app.security.models import AuditEvent
from tests.conftest import TEST_PASSWORD
from tests.security.helpers import HTML, page_csrf, web_sign_in
from tests.support.people import personnummer

ASA = personnummer(date(1962, 3, 14), "456")


@pytest.fixture
def sara(db):
    with db() as session:
        accounts.create_user(session, username="sara", role="handler", password=TEST_PASSWORD,
                             district_code="sodermalm", full_name="Sara Lind")
        accounts.create_user(session, username="omar", role="handler", password=TEST_PASSWORD,
                             district_code="sodermalm", full_name="Omar Said")
    return "sara"


@pytest.fixture
def signed_in(client, sara):
    assert web_sign_in(client, "sara").status_code == 303
    return client


def _case_id(db) -> str:
    with db() as session:
        return str(session.scalar(select(Case.id)))


def _text(page: str) -> str:
    """What a reader sees: the page without tags, scripts or attributes."""
    body = page.split("<main", 1)[1]
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))
    return re.sub(r" ([.,:;])", r"\1", text)


def _post(client, path: str, data: dict, csrf_from: str):
    return client.post(path, data={**data, "csrf_token": page_csrf(client, csrf_from)}, headers=HTML,
                       follow_redirects=False)


def test_the_person_comes_first_once_and_each_deadline_names_its_notice(signed_in, notice_body, send, db):
    tenant = {"name": "Åsa Öberg", "personal_identity_number": ASA}
    first = send(notice_body(tenants=[tenant]))
    second = send(notice_body(tenants=[tenant], sent_on="2026-11-19", tenant_served_on=None))
    case_id = _case_id(db)
    page = signed_in.get(f"/arenden/{case_id}", headers=HTML).text
    text = _text(page)
    # The summary before the deadlines: the tenant (once, though on two notices), address, debt and rent,
    # the landlord's contact, the next deadline.
    summary, rest = text.split("Tidsfrister", 1)
    for expected in ("Åsa Öberg", "Götgatan 30, 118 46 Stockholm", "Skuld 16 900 kr", "Månadshyra 8 450 kr",
                     "Kim Lind, 08-123 456 00", "Nästa tidsfrist", "Ingen tilldelad"):
        assert expected in summary, expected
    assert page.count("Visa hela personnumret för Åsa Öberg") == 1
    assert summary.count("Åsa Öberg") == 1
    # Two redemption periods: each says which notice it belongs to.
    label_1 = f"Underrättelse 1 ({first['external_id']}, avsänd 20 november 2026)"
    label_2 = f"Underrättelse 2 ({second['external_id']}, avsänd 19 november 2026)"
    redemption_rows = [row for row in re.findall(r"<tr>.*?</tr>", page, re.S) if "Återvinningsfristen" in row]
    assert len(redemption_rows) == 2
    assert label_1 in html.unescape(redemption_rows[0]) or label_1 in html.unescape(redemption_rows[1])
    assert any(label_2 in html.unescape(r) and "Preliminärt" in r for r in redemption_rows)
    # Swedish numbers and words: no "1 vardagar", no raw codes.
    assert not re.search(r"\b1 vardagar\b", text)
    assert "16900" not in text and "16 900.00" not in text
    for code in ("rent_arrears", "redemption_period_end", "first_contact", "postal_code", "case_opened",
                 "household_unknown", "pending"):
        assert code not in text, code
    assert case_id not in text  # ids stay in links, never in the text


def test_the_handler_is_named_and_the_banner_says_what_was_saved(signed_in, notice_body, send, db):
    send(notice_body(tenants=[{"name": "Åsa Öberg"}]))
    case_id = _case_id(db)
    at = f"/arenden/{case_id}"
    answer = _post(signed_in, f"{at}/tilldela", {"username": "omar"}, at)
    assert answer.status_code == 303
    page = signed_in.get(answer.headers["location"], headers=HTML).text
    assert "Ärendet tilldelat Omar Said." in _text(page)
    assert "Omar Said · Södermalm" in _text(page)

    answer = _post(signed_in, f"{at}/kontakt", {"channel": "phone", "reached": "yes", "note": "Ringer igen."}, at)
    assert "Kontaktförsök registrerat: telefon, nådd." in _text(signed_in.get(answer.headers["location"],
                                                                              headers=HTML).text)
    answer = _post(signed_in, f"{at}/hushall", {"children": "2", "seniors": ""}, at)
    assert ("Hushållet registrerat av handläggare: 2 barn under 18 år, okänt antal personer 65 år eller äldre."
            in _text(signed_in.get(answer.headers["location"], headers=HTML).text))
    answer = _post(signed_in, f"{at}/betalningsatagande",
                   {"amount_sek": "4 200", "covers_until": "2026-12-31", "decided_on": "2026-11-20"}, at)
    page = _text(signed_in.get(answer.headers["location"], headers=HTML).text)
    assert "Betalningsåtagande registrerat: 4 200 kr, täcker hyran till och med 31 december 2026." in page
    # The timeline names people and keeps the note.
    assert "Kontaktförsök: telefon, nådd – Sara Lind Ringer igen." in page
    # Somebody else's save is not announced as one's own.
    assert "tilldelat" not in _text(signed_in.get(f"{at}?ok=oppnat", headers=HTML).text).split("Sammanfattning")[0]


def test_a_form_left_empty_is_answered_in_swedish(signed_in, notice_body, send, db):
    send(notice_body(tenants=[{"name": "Åsa Öberg"}]))
    at = f"/arenden/{_case_id(db)}"
    for path, data, says in ((f"{at}/kontakt", {"channel": "phone"}, "Svara på om ni nådde hushållet."),
                             (f"{at}/kontakt", {"reached": "no"}, "Välj ett sätt att kontakta."),
                             (f"{at}/tilldela", {}, "Välj en handläggare."),
                             (f"{at}/betalningsatagande", {"amount_sek": "100", "decided_on": "2026-11-20"},
                              "Ange till och med vilket datum åtagandet täcker hyran.")):
        answer = _post(signed_in, path, data, at)
        assert answer.status_code == 422, path
        assert says in answer.text


def test_closing_needs_a_chosen_outcome_and_a_confirmation(signed_in, client, notice_body, send, db, landlord):
    receipt = send(notice_body(tenants=[{"name": "Åsa Öberg"}]))
    before = client.get(f"/api/v1/notices/{receipt['id']}", headers=landlord.headers).json()
    case_id = _case_id(db)
    at = f"/arenden/{case_id}"
    page = signed_in.get(at, headers=HTML).text
    outcome_select = re.search(r'<select id="outcome".*?</select>', page, re.S).group(0)
    assert "selected" not in outcome_select and '<option value="">Välj utfall</option>' in outcome_select

    # No outcome: the form again, with what to do.
    answer = _post(signed_in, f"{at}/avsluta", {"note": "Klart."}, at)
    assert answer.status_code == 422
    assert "Välj ett utfall innan ärendet avslutas." in answer.text and "Klart." in answer.text
    # An outcome: what closing does, and nothing done yet.
    answer = _post(signed_in, f"{at}/avsluta", {"outcome": "rent_paid", "note": "Betalt."}, at)
    assert answer.status_code == 200
    shown = _text(answer.text)
    assert "Utfall: Hyran betald. Anteckning: Betalt." in shown
    assert "2 tidsfrister avbryts" in shown
    assert "Första kontakt – 24 november 2026" in shown and "Återvinningsfristen – 11 december 2026" in shown
    assert "Hyresvärdens kvitto ändras inte" in shown
    with db() as session:
        assert session.get(Case, uuid.UUID(case_id)).status == "open"
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "case.close")) is None
    # Confirmed: closed, and the banner says how.
    answer = _post(signed_in, f"{at}/avsluta", {"outcome": "rent_paid", "note": "Betalt.", "confirm": "ja"}, at)
    assert answer.status_code == 303 and answer.headers["location"] == f"{at}?ok=avslutat"
    page = _text(signed_in.get(answer.headers["location"], headers=HTML).text)
    assert "Ärendet avslutat: hyran betald. 2 tidsfrister avbröts." in page
    assert "Ärendet avslutat: hyran betald – Sara Lind Betalt." in page  # the note on the timeline
    with db() as session:
        assert session.get(Case, uuid.UUID(case_id)).status == "closed"
    assert client.get(f"/api/v1/notices/{receipt['id']}", headers=landlord.headers).json() == before
    # A closed case cannot be closed again, whichever step one starts from.
    for answer in (signed_in.get(f"{at}/avsluta", headers=HTML),
                   _post(signed_in, f"{at}/avsluta", {"outcome": "rent_paid"}, at)):
        assert answer.status_code == 409 and "Ärendet är avslutat." in answer.text  # the refusal says why, in Swedish


def test_the_closing_step_can_be_opened_on_its_own(signed_in, notice_body, send, db):
    send(notice_body(tenants=[{"name": "Åsa Öberg"}]))
    at = f"/arenden/{_case_id(db)}"
    page = signed_in.get(f"{at}/avsluta", headers=HTML)
    assert page.status_code == 200
    assert '<option value="">Välj utfall</option>' in page.text and "selected" not in page.text.split("<main", 1)[1]
    assert "Åsa Öberg · Götgatan 30, 118 46 Stockholm" in _text(page.text)


def test_a_closed_case_is_reopened_with_a_reason(signed_in, notice_body, send, db):
    send(notice_body(tenants=[{"name": "Åsa Öberg"}]))
    case_id = _case_id(db)
    at = f"/arenden/{case_id}"
    _post(signed_in, f"{at}/avsluta", {"outcome": "no_contact", "confirm": "ja"}, at)
    page = signed_in.get(at, headers=HTML).text
    assert "Öppna ärendet igen" in page and "Avsluta ärendet" not in page
    answer = _post(signed_in, f"{at}/oppna-igen", {"reason": "  "}, at)
    assert answer.status_code == 422 and "Skriv varför ärendet öppnas igen." in answer.text
    answer = _post(signed_in, f"{at}/oppna-igen", {"reason": "Hyresgästen hörde av sig."}, at)
    assert answer.headers["location"] == f"{at}?ok=oppnat"
    page = _text(signed_in.get(answer.headers["location"], headers=HTML).text)
    assert "Ärendet öppnat igen; gäller igen: första kontakt, återvinningsfristen. Ärendet är öppet." in page
    assert "– Sara Lind Hyresgästen hörde av sig." in page
    with db() as session:
        assert session.get(Case, uuid.UUID(case_id)).status == "open"


def test_manual_routing_chooses_no_district_beforehand_and_says_why_in_swedish(client, make_user, notice_body, send,
                                                                                db):
    send(notice_body(property={"street_address": "Okänd väg 1", "postal_code": "121 32", "city": "Stockholm"}))
    make_user("mottagning", "intake")
    assert web_sign_in(client, "mottagning").status_code == 303
    page = client.get("/manuell-fordelning", headers=HTML).text
    select_html = re.search(r"<select id=\"district-.*?</select>", page, re.S).group(0)
    assert "selected" not in select_html and '<option value="">Välj stadsdel</option>' in select_html
    text = _text(page)
    assert "Postnumret 121 32 räcker inte för att avgöra stadsdelsområdet. Underrättelsen fördelas manuellt." in text
    assert "ambiguous" not in text and "postal code" not in text
    notice_id = re.search(r'action="/manuell-fordelning/([0-9a-f-]+)"', page).group(1)
    answer = _post(client, f"/manuell-fordelning/{notice_id}", {"district": ""}, "/manuell-fordelning")
    assert answer.status_code == 422 and "Välj en stadsdel." in answer.text
    answer = _post(client, f"/manuell-fordelning/{notice_id}", {"district": "farsta"}, "/manuell-fordelning")
    page = _text(client.get(answer.headers["location"], headers=HTML).text)
    assert "Underrättelsen är fördelad till Farsta." in page
