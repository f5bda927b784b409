"""Ny underrättelse: the form goes through the API's own intake, and its answers come back in Swedish.

"Today" is 2026-11-20 (tests/portal/conftest.py). The spec's example notice, sent by
form, is the same notice as the same body sent as JSON with the landlord's key.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.notices.models import Notice
from app.security.models import AuditEvent
from tests.notices.conftest import SOLNA_POSTAL_CODE, deadlines, disturbance_body, notice_body
from tests.portal.conftest import PORTAL, form_of, send_form

FORM = form_of(notice_body(external_id="FORM-1"))


def _field_error(html: str, field_id: str) -> str:
    """The error text shown beside a field (its id is f-<name with dots as dashes>)."""
    found = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error"><span class="sr-only">Fel: </span>'
                      r"([^<]*)</p>", html)
    assert found, f"no error beside {field_id}"
    return found[1]


def test_a_notice_sent_by_form_is_received_with_its_receipt_and_deadlines(portal, db):
    client, account = portal
    answer = send_form(client, FORM)
    assert answer.status_code == 303, answer.text
    assert re.fullmatch(rf"{PORTAL}/underrattelser/[0-9a-f-]{{36}}\?skickad=1", answer.headers["location"])
    page = client.get(answer.headers["location"])
    assert "Underrättelsen är mottagen" in page.text
    assert "2026-12-11" in page.text and "2026-12-16" in page.text  # the statutory deadlines
    assert "Södermalm" in page.text and "kvitto.pdf" in page.text
    notice_id = answer.headers["location"].split("/")[-1].split("?")[0]
    receipt = client.get(f"/api/v1/notices/{notice_id}", headers=account.key_headers).json()
    assert receipt["deadlines"] == deadlines("2026-12-11", "2026-12-16", False)
    with db() as session:
        created = session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.create")).one()
        assert (created.actor_kind, created.actor_id) == ("landlord_user", str(account.landlord_id))
        assert session.scalar(select(Notice.landlord_id)) == account.landlord_id


def test_the_form_and_the_json_api_make_the_same_notice(portal):
    client, account = portal
    assert send_form(client, FORM).status_code == 303
    same = client.post("/api/v1/notices", json=notice_body(external_id="FORM-1"), headers=account.key_headers)
    assert same.status_code == 200, same.text  # identical body: a replay, so no rule differs
    changed = client.post("/api/v1/notices", json=notice_body(external_id="FORM-1", sent_on="2026-11-19"),
                          headers=account.key_headers)
    assert changed.status_code == 409


def test_sending_the_same_form_twice_shows_the_same_notice(portal, row_counts):
    client, _ = portal
    first = send_form(client, FORM)
    before = row_counts("notices")
    second = send_form(client, FORM)
    assert second.status_code == 303 and second.headers["location"].endswith("?redan=1")
    assert second.headers["location"].split("?")[0] == first.headers["location"].split("?")[0]
    assert row_counts("notices") == before
    assert "redan mottagen" in client.get(second.headers["location"]).text


@pytest.mark.parametrize(("changes", "field_id", "message"), [
    ({"sent_on": "2026-11-21"}, "f-sent_on", "Datumet får inte vara senare än i dag."),
    ({"sent_on": "2025-11-19"}, "f-sent_on", "Datumet får inte vara mer än ett år bakåt i tiden."),
    ({"tenants.0.personal_identity_number": "19850412-1231"}, "f-tenants-0-personal_identity_number",
     "Kontrollsiffran stämmer inte. Kontrollera numret."),
    ({"property.postal_code": "1184"}, "f-property-postal_code", "Postnumret ska ha fem siffror, till exempel 118 46."),
    ({"property.rooms": "1" + "0" * 40}, "f-property-rooms", "Skriv ett tal som är högst 20."),
    ({"property.rooms": "två"}, "f-property-rooms", "Skriv ett heltal, till exempel 2."),
    ({"arrears.amount_sek": "99 999 999 999,00"}, "f-arrears-amount_sek",
     "Beloppet är orimligt stort: högst 99 999 999,99 kronor."),
    ({"arrears.amount_sek": "16 900,5"}, "f-arrears-amount_sek", ""),  # accepted: see below
    ({"arrears.due_date": "2026-11-21"}, "f-arrears-due_date",
     "Får inte vara senare än dagen då underrättelsen skickades."),
    ({"tenants.0.name": "Anna\nAndersson"}, "f-tenants-0-name",
     "Får inte innehålla radbrytningar, tabbar eller andra styrtecken."),
    ({"contact.email": "inte-en-adress"}, "f-contact-email",
     "Skriv en giltig e-postadress, till exempel namn@exempel.se."),
    ({"termination_on": "", "kind": "disturbance_termination", "arrears.amount_sek": "", "arrears.due_date": "",
      "arrears.interest": "", "arrears.monthly_rent_sek": "", "arrears.payment_instructions": "",
      "tenant_served_on": "", "disturbance.description": "Störningar.", "disturbance.requested_on": "2026-11-10"},
     "f-termination_on",
     "Fyll i dagen för uppsägningen: den behövs vid uppsägning för särskilt allvarliga störningar."),
])
def test_a_refused_field_gets_its_swedish_message_beside_it(portal, row_counts, changes, field_id, message):
    client, _ = portal
    before = row_counts("notices")
    answer = send_form(client, FORM, **changes)
    if not message:
        assert answer.status_code == 303  # a decimal comma and a thousands space are an amount
        return
    assert answer.status_code == 422, answer.text
    assert _field_error(answer.text, field_id) == message
    assert 'role="alert"' in answer.text and f'href="#{field_id}"' in answer.text  # the summary links to it
    assert 'aria-invalid="true"' in answer.text
    assert row_counts("notices") == before
    # What was typed is kept, so nothing has to be typed again.
    assert 'value="Götgatan 30"' in answer.text


def test_group_rules_are_shown_at_their_group(portal):
    client, _ = portal
    answer = send_form(client, FORM, **{"contact.phone": "", "contact.email": ""})
    assert answer.status_code == 422
    assert "Ange telefonnummer eller e-postadress, minst ett av dem." in answer.text
    assert 'href="#grupp-contact"' in answer.text
    warning = form_of(disturbance_body(external_id="W-1"))
    arrears = {k: v for k, v in FORM.items() if k.startswith("arrears.")}
    answer = send_form(client, {**warning, **arrears})
    assert answer.status_code == 422
    assert "Ska lämnas tomt vid tillsägelse om störningar." in answer.text
    assert 'href="#grupp-arrears"' in answer.text


def test_an_address_in_another_municipality_says_where_to_send_it(portal):
    client, _ = portal
    answer = send_form(client, FORM, **{"property.postal_code": SOLNA_POSTAL_CODE, "property.city": "Solna",
                                        "property.coordinates.lat": "", "property.coordinates.lon": ""})
    assert answer.status_code == 422
    assert _field_error(answer.text, "f-property-postal_code") == (
        "Adressen ligger i Solna, inte i den här kommunen. Skicka underrättelsen till socialnämnden i Solna.")


def test_a_reference_used_before_for_another_notice_is_a_409_beside_the_reference(portal):
    client, _ = portal
    assert send_form(client, FORM).status_code == 303
    answer = send_form(client, FORM, sent_on="2026-11-19")
    assert answer.status_code == 409
    assert "samma referens" in _field_error(answer.text, "f-external_id")


def test_a_nul_in_a_field_is_refused_in_the_portals_own_frame(portal, row_counts):
    client, _ = portal
    before = row_counts("notices")
    answer = client.post(f"{PORTAL}/ny", data={**FORM, "tenants.0.name": "Anna\x00"},
                         headers={"Accept": "text/html"}, follow_redirects=False)
    assert answer.status_code == 422
    assert "Kontrollera" in answer.text and "/hyresvard/underrattelser" in answer.text
    assert row_counts("notices") == before


def test_the_form_without_its_csrf_token_is_refused(portal, row_counts):
    client, _ = portal
    answer = client.post(f"{PORTAL}/ny", data=FORM, follow_redirects=False)
    assert answer.status_code == 400
    assert row_counts("notices")["notices"] == 0


# ----------------------------------------------------------------------------- the deadlines while typing

def _fragment(client, **params: str) -> str:
    answer = client.get(f"{PORTAL}/frister", params=params)
    assert answer.status_code == 200
    assert "<html" not in answer.text  # a fragment for htmx, not a page
    return answer.text


def test_the_deadlines_appear_as_the_dates_are_entered(portal):
    client, _ = portal
    assert "Fyll i typ" in _fragment(client)
    served = _fragment(client, kind="rent_arrears", sent_on="2026-11-20", tenant_served_on="2026-11-19")
    assert re.findall(r'<time datetime="([\d-]+)">', served) == ["2026-12-11", "2026-12-16"]
    assert "Preliminärt" not in served and "JB 12 kap. 44 § första stycket 1" in served
    unknown = _fragment(client, kind="rent_arrears", sent_on="2026-11-20")
    assert "Preliminärt" in unknown
    late = _fragment(client, kind="rent_arrears", sent_on="2026-11-20", tenant_served_on="2026-12-04")
    assert re.findall(r'<time datetime="([\d-]+)">', late)[0] == "2026-12-28"  # 25 Dec: the next vardag
    assert "Ingen lagstadgad tidsfrist" in _fragment(client, kind="disturbance_warning", sent_on="2026-11-20")
    assert "Fyll i typ" in _fragment(client, kind="rent_arrears", sent_on="20/11/2026")
    assert "Fyll i typ" in _fragment(client, kind="nonsense", sent_on="2026-11-20")


def test_the_form_asks_for_the_deadlines_through_htmx_without_inline_script(portal):
    client, _ = portal
    page = client.get(f"{PORTAL}/ny")
    assert 'hx-get="/hyresvard/frister"' in page.text
    assert "<script>" not in page.text and " style=" not in page.text and "onclick" not in page.text
    assert '<script src="/static/htmx.min.js" defer></script>' in page.text


def test_the_deadlines_fragment_of_an_ended_session_says_so_in_place(client):
    answer = client.get(f"{PORTAL}/frister", params={"kind": "rent_arrears", "sent_on": "2026-11-20"},
                        headers={"HX-Request": "true"}, follow_redirects=False)
    assert answer.status_code == 200 and "Du har loggats ut" in answer.text and "<html" not in answer.text
    assert client.get(f"{PORTAL}/frister", follow_redirects=False).status_code == 303
