"""Mina underrättelser: the landlord's own notices as its API key sees them, the receipt PDF, and the events.

A landlord user sees only its own landlord's notices (404 otherwise, as for a key),
never the social services' case work (OSL 26 kap. 1 §), and every read is audited.
"""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from sqlalchemy import select

from app.notices.models import NoticeEvent
from app.security.models import AuditEvent
from tests.notices.conftest import notice_body
from tests.portal.conftest import PORTAL, page_csrf

MINE = f"{PORTAL}/underrattelser"


def _post(client, headers, **top) -> dict:
    answer = client.post("/api/v1/notices", json=notice_body(**top), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _event(client, notice_id: str, **data: str):
    token = page_csrf(client, f"{MINE}/{notice_id}")
    return client.post(f"{MINE}/{notice_id}/handelser", data={"csrf_token": token, **data}, follow_redirects=False)


def test_the_list_is_the_landlords_own_notices_as_its_key_sees_them(portal, make_landlord, clock, db):
    client, account = portal
    own = []
    for i in range(3):
        own.append(_post(client, account.key_headers, external_id=f"OWN-{i}"))
        clock.advance(minutes=1)
    other = make_landlord("Annan AB")
    foreign = _post(client, other.headers, external_id="FOREIGN-1")
    page = client.get(MINE)
    assert page.status_code == 200
    shown = re.findall(r'<a href="/hyresvard/underrattelser/([0-9a-f-]{36})">', page.text)
    by_key = [r["id"] for r in client.get("/api/v1/notices", headers=account.key_headers).json()["items"]]
    assert shown == by_key == [r["id"] for r in reversed(own)]
    assert foreign["id"] not in page.text and "FOREIGN-1" not in page.text
    assert "Återvinningsfristen" in page.text and "2026-12-11" in page.text
    found = client.get(MINE, params={"referens": "OWN-1"})
    assert re.findall(r'<a href="/hyresvard/underrattelser/([0-9a-f-]{36})">', found.text) == [own[1]["id"]]
    with db() as session:
        listed = session.scalars(select(AuditEvent).where(AuditEvent.action == "portal.notice.list")).all()
        assert listed and all(e.actor_kind == "landlord_user" and e.actor_id == str(account.landlord_id)
                              for e in listed)


def test_the_list_pages_by_cursor(portal, clock):
    client, account = portal
    for i in range(27):
        _post(client, account.key_headers, external_id=f"P-{i:02d}")
        clock.advance(seconds=10)
    first = client.get(MINE)
    assert len(re.findall(r'href="/hyresvard/underrattelser/[0-9a-f-]{36}"', first.text)) == 25
    cursor = re.search(r'href="/hyresvard/underrattelser\?cursor=([^"&]+)"', first.text)[1]
    second = client.get(MINE, params={"cursor": cursor.replace("%3D", "=")})
    assert re.findall(r">(P-\d\d)</a>", second.text) == ["P-01", "P-00"]
    assert client.get(MINE, params={"cursor": "not-a-cursor"}, headers={"Accept": "text/html"}).status_code == 422


def test_another_landlords_notice_is_404_for_the_user_as_for_the_key(portal, make_landlord):
    client, account = portal
    other = make_landlord("Annan AB")
    foreign = _post(client, other.headers, external_id="FOREIGN-1")
    for path in (f"{MINE}/{foreign['id']}", f"{MINE}/{foreign['id']}/kvitto.pdf", f"{MINE}/not-a-uuid"):
        answer = client.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 404, path
        assert "FOREIGN-1" not in answer.text and "Sidan finns inte" in answer.text
    assert client.get(f"/api/v1/notices/{foreign['id']}", headers=account.key_headers).status_code == 404
    token = page_csrf(client, MINE)
    refused = client.post(f"{MINE}/{foreign['id']}/handelser", headers={"Accept": "text/html"},
                          data={"csrf_token": token, "type": "rent_paid", "occurred_on": "2026-11-20"})
    assert refused.status_code == 404


def test_a_notice_shows_its_receipt_and_never_the_case_work(portal, staff_headers, db):
    client, account = portal
    receipt = _post(client, account.key_headers, external_id="SECRET-1")
    handler = staff_headers("sara", "handler", "sodermalm")
    case = client.get("/api/v1/queue", headers=handler).json()["items"][0]
    assert client.post(f"/api/v1/cases/{case['case_id']}/contacts", headers=handler,
                       json={"channel": "phone", "reached": True, "note": "HEMLIG ANTECKNING"}).status_code == 201
    page = client.get(f"{MINE}/{receipt['id']}")
    assert page.status_code == 200
    for secret in ("HEMLIG ANTECKNING", "sara", case["case_id"], "19850412", "Telefon", "priorit"):
        assert secret not in page.text, secret
    for shown in ("SECRET-1", "Fördelad", "Södermalm", "2026-12-11", "2026-12-16", receipt["id"]):
        assert shown in page.text, shown
    with db() as session:
        read = session.scalars(select(AuditEvent).where(AuditEvent.action == "portal.notice.read")).one()
        assert (read.actor_kind, read.actor_id, read.object_id) == ("landlord_user", str(account.landlord_id),
                                                                    receipt["id"])


def test_rent_paid_is_reported_with_a_date_and_closes_the_notice(portal, db):
    client, account = portal
    receipt = _post(client, account.key_headers, external_id="PAID-1")
    page = client.get(f"{MINE}/{receipt['id']}")
    assert '<button type="submit" name="type" value="rent_paid">Hyran betald</button>' in page.text
    assert 'value="tenant_served"' not in page.text  # this notice has its service date already
    answer = _event(client, receipt["id"], type="rent_paid", occurred_on="2026-11-20")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{MINE}/{receipt['id']}?handelse=ny#handelser"
    shown = client.get(answer.headers["location"])
    assert "Händelsen är registrerad." in shown.text and "Avslutad av hyresvärden" in shown.text
    assert "2026-11-20</time> – Hyran betald" in shown.text
    by_key = client.get(f"/api/v1/notices/{receipt['id']}", headers=account.key_headers).json()
    assert by_key["status"] == "closed"
    again = _event(client, receipt["id"], type="rent_paid", occurred_on="2026-11-20")
    assert again.headers["location"].endswith("?handelse=redan#handelser")
    with db() as session:
        assert len(session.scalars(select(NoticeEvent)).all()) == 1
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.event.rent_paid")).one()
        assert (event.actor_kind, event.actor_id) == ("landlord_user", str(account.landlord_id))


def test_the_same_event_by_the_api_after_the_portal_is_a_replay(portal):
    client, account = portal
    receipt = _post(client, account.key_headers, external_id="PLAN-1")
    assert _event(client, receipt["id"], type="payment_plan_agreed", occurred_on="2026-11-19").status_code == 303
    replay = client.post(f"/api/v1/notices/{receipt['id']}/events", headers=account.key_headers,
                         json={"type": "payment_plan_agreed", "occurred_on": "2026-11-19"})
    assert replay.status_code == 200


@pytest.mark.parametrize(("data", "status", "text"), [
    ({"type": "rent_paid", "occurred_on": "2026-11-21"}, 422, "Datumet får inte vara senare än i dag."),
    ({"type": "rent_paid", "occurred_on": "igår"}, 422, "Skriv datumet som ÅÅÅÅ-MM-DD"),
    ({"type": "tenant_served", "occurred_on": "2026-11-20"}, 409, "Delgivningsdagen är redan registrerad"),
    ({"type": "eviction_scheduled", "occurred_on": "2026-11-20"}, 422, "Ange dag och tid för avhysningen."),
    ({"type": "pigeon", "occurred_on": "2026-11-20"}, 422, "Välj ett av alternativen"),
])
def test_a_refused_event_says_why_in_swedish(portal, data, status, text):
    client, account = portal
    receipt = _post(client, account.key_headers, external_id="E-1")
    answer = _event(client, receipt["id"], **data)
    assert answer.status_code == status
    assert text in answer.text
    assert 'role="alert"' in answer.text


def test_an_eviction_time_is_kept_in_swedish_time(portal, db):
    client, account = portal
    receipt = _post(client, account.key_headers, external_id="EV-1")
    answer = _event(client, receipt["id"], type="eviction_scheduled", occurred_on="2026-11-20",
                    eviction_day="2027-01-14", eviction_time="09:00")
    assert answer.status_code == 303
    with db() as session:
        event = session.scalars(select(NoticeEvent)).one()
        assert event.eviction_at.isoformat() == "2027-01-14T08:00:00+00:00"  # 09:00 in Stockholm (CET)
    assert "Avhysning utsatt av Kronofogden: 2027-01-14 kl. 09.00" in client.get(f"{MINE}/{receipt['id']}").text


def test_tenant_served_is_offered_while_the_service_date_is_unknown(portal):
    client, account = portal
    receipt = _post(client, account.key_headers, external_id="S-1", tenant_served_on=None)
    assert 'value="tenant_served"' in client.get(f"{MINE}/{receipt['id']}").text
    assert _event(client, receipt["id"], type="tenant_served", occurred_on="2026-11-20").status_code == 303
    page = client.get(f"{MINE}/{receipt['id']}")
    assert 'value="tenant_served"' not in page.text and "Preliminärt" not in page.text


def test_the_event_form_needs_its_csrf_token(portal):
    client, account = portal
    receipt = _post(client, account.key_headers, external_id="C-1")
    answer = client.post(f"{MINE}/{receipt['id']}/handelser", data={"type": "rent_paid", "occurred_on": "2026-11-20"})
    assert answer.status_code == 400


# ----------------------------------------------------------------------------- the receipt PDF

def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_the_receipt_pdf_has_the_receipt_and_no_identity_number(portal, db):
    client, account = portal
    receipt = _post(client, account.key_headers, external_id="PDF-1")
    answer = client.get(f"{MINE}/{receipt['id']}/kvitto.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert 'filename="kvitto-PDF-1.pdf"' in answer.headers["content-disposition"]
    text = " ".join(_pdf_text(answer.content).split())
    for shown in ("Kvitto på underrättelse till socialnämnden", "PDF-1", "Bostadsbolaget AB", "Götgatan 30",
                  "Anna Andersson", "Återvinningsfristen", "fredag den 11 december 2026",
                  "JB 12 kap. 44 § första stycket 1", "Södermalm", receipt["id"]):
        assert shown in text, shown
    assert "19850412" not in text and "850412" not in text and "1230" not in text
    with db() as session:
        assert session.scalar(select(AuditEvent.actor_kind).where(AuditEvent.action == "portal.notice.receipt_pdf")) \
            == "landlord_user"


def test_a_reference_shaped_like_an_identity_number_is_not_printed(portal):
    client, account = portal
    receipt = _post(client, account.key_headers, external_id="19850412-1230")
    text = _pdf_text(client.get(f"{MINE}/{receipt['id']}/kvitto.pdf").content)
    assert "850412" not in text
    assert "liknar ett personnummer" in " ".join(text.split())
