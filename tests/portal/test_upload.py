"""Ladda upp fil: every row checked before anything is stored, then confirmed; the file kept on the server.

The preview runs each row through the same intake as the confirmation, inside a
savepoint that is rolled back; the confirmation is the landlord API's batch
processing. The file waits encrypted, for its own session only, for 30 minutes.
"""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.jobs.registry import run_job_once
from app.notices.models import Notice
from app.security.models import AuditEvent, PortalUpload
from tests.notices.conftest import notice_body
from tests.notices.test_csv_batch import csv_file, row
from tests.portal.conftest import PORTAL, page_csrf, sign_in

UPLOAD = f"{PORTAL}/ladda-upp"
THREE = csv_file([row(external_id="U-1"),
                  row(external_id="U-2", tenants__0__personal_identity_number="19850412-1231"),
                  row(external_id="U-3", property__apartment_number="1103")])


def _upload(client: TestClient, data: bytes, filename: str = "underrattelser.csv"):
    return client.post(UPLOAD, data={"csrf_token": page_csrf(client, UPLOAD)},
                       files={"fil": (filename, data, "text/csv")})


def _upload_id(html: str) -> str:
    return re.search(r'name="upload" value="([^"]+)"', html)[1]


def _confirm(client: TestClient, upload_id: str):
    return client.post(f"{UPLOAD}/skicka", data={"csrf_token": page_csrf(client, UPLOAD), "upload": upload_id})


def _rows(html: str) -> list[tuple[str, str, str]]:
    """(row, reference, verdict) of each row of the page's table."""
    return [(n, ref, verdict) for n, ref, verdict in re.findall(
        r'<tr class="row-(?:ok|fix)"><th scope="row">(\d+)</th><td>([^<]*)</td><td><span class="(?:ok|fix)-mark">'
        r"([^<]*)</span>", html)]


def test_a_file_is_checked_row_by_row_stored_only_on_confirmation(portal, row_counts, db):
    client, account = portal
    before = row_counts()
    preview = _upload(client, THREE)
    assert preview.status_code == 200, preview.text
    assert _rows(preview.text) == [("1", "U-1", "Kan tas emot"), ("2", "U-2", "Rätta"), ("3", "U-3", "Kan tas emot")]
    assert "Hyresgäst 1: Personnummer:</strong> Kontrollsiffran stämmer inte." in preview.text
    assert "Skicka 2 underrättelser" in preview.text
    after_preview = row_counts()
    assert {t: after_preview[t] for t in ("notices", "tenants", "cases", "deadlines", "timeline_events")} == \
        {t: before[t] for t in ("notices", "tenants", "cases", "deadlines", "timeline_events")}
    with db() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "notice.create")) is None
        assert session.scalar(select(AuditEvent.actor_kind).where(AuditEvent.action == "portal.upload.preview")) \
            == "landlord_user"

    result = _confirm(client, _upload_id(preview.text))
    assert result.status_code == 200, result.text
    assert _rows(result.text) == [("1", "U-1", "Mottagen"), ("2", "U-2", "Rätta"), ("3", "U-3", "Mottagen")]
    assert "2 underrättelser togs emot" in result.text
    assert result.text.count("Visa kvitto") == 2 and "Återvinningsfristen: 2026-12-11" in result.text
    listed = client.get("/api/v1/notices", headers=account.key_headers).json()["items"]
    assert sorted(n["external_id"] for n in listed) == ["U-1", "U-3"]
    with db() as session:
        assert session.scalar(select(PortalUpload.id)) is None  # taken: the file is gone
        creators = session.scalars(select(AuditEvent.actor_kind).where(AuditEvent.action == "notice.create")).all()
        assert creators == ["landlord_user", "landlord_user"]

    again = _upload(client, THREE)  # the same file once more: stored rows are repeats
    assert _rows(again.text) == [("1", "U-1", "Redan mottagen – skickas inte igen"), ("2", "U-2", "Rätta"),
                                 ("3", "U-3", "Redan mottagen – skickas inte igen")]


def test_the_preview_sees_what_the_confirmation_will_answer(portal):
    client, account = portal
    assert client.post("/api/v1/notices", headers=account.key_headers,
                       json=notice_body(external_id="USED-1", sent_on="2026-11-19")).status_code == 201
    data = csv_file([row(external_id="USED-1"),  # the reference was used for another notice: 409
                     row(external_id="TWICE"), row(external_id="TWICE"),  # a repeat within the file: 200
                     row(external_id="SOLNA", property__postal_code="169 70", property__city="Solna",
                         property__coordinates__lat="", property__coordinates__lon="")])
    preview = _upload(client, data)
    verdicts = _rows(preview.text)
    assert verdicts == [("1", "USED-1", "Rätta"), ("2", "TWICE", "Kan tas emot"),
                        ("3", "TWICE", "Redan mottagen – skickas inte igen"), ("4", "SOLNA", "Rätta")]
    assert "samma referens" in preview.text and "Adressen ligger i Solna" in preview.text
    result = _confirm(client, _upload_id(preview.text))
    assert [v for _, _, v in _rows(result.text)] == ["Rätta", "Mottagen", "Redan mottagen", "Rätta"]


def test_an_unreadable_file_is_answered_in_swedish_and_nothing_is_kept(portal, db):
    client, _ = portal
    for data, says in ((csv_file([row()], bom=False, encoding="cp1252"), "CSV UTF-8"),
                       (csv_file([row()]).replace(b"property.city", b"property.stad"),
                        "okänd kolumn &#39;property.stad&#39;"),
                       (b"", "Välj en fil"),
                       (csv_file([]), "inga rader")):
        answer = _upload(client, data) if data else client.post(
            UPLOAD, data={"csrf_token": page_csrf(client, UPLOAD)}, files={"fil": ("", b"", "text/csv")})
        assert answer.status_code == 422
        assert says in answer.text, says
        assert 'role="alert"' in answer.text
    with db() as session:
        assert session.scalar(select(PortalUpload.id)) is None


def test_the_file_waits_encrypted_for_its_own_session_and_expires(app, portal, make_portal_user, clock, db):
    client, account = portal
    preview = _upload(client, THREE)
    upload_id = _upload_id(preview.text)
    assert upload_id not in str(preview.url)
    with db() as session:
        kept = session.scalars(select(PortalUpload)).one()
        assert "19850412" not in kept.content_encrypted and "Götgatan" not in kept.content_encrypted
    # Another portal user (even of the same landlord) cannot confirm it.
    other = TestClient(app)
    make_portal_user("kollega@bostadsbolaget.example", landlord=None, name="Annan AB")
    assert sign_in(other, "kollega@bostadsbolaget.example").status_code == 303
    assert _confirm(other, upload_id).status_code == 410
    assert _confirm(client, str(uuid.uuid4())).status_code == 410
    clock.advance(minutes=31)
    late = _confirm(client, upload_id)
    assert late.status_code == 410 and "Ladda upp den igen" in late.text
    with db() as session:
        assert session.scalar(select(Notice.id)) is None


def test_a_new_upload_replaces_the_previous_one_and_signing_out_deletes_it(portal, db):
    client, _ = portal
    first = _upload_id(_upload(client, THREE).text)
    second = _upload_id(_upload(client, THREE).text)
    assert _confirm(client, first).status_code == 410
    with db() as session:
        assert [str(i) for i in session.scalars(select(PortalUpload.id))] == [second]
    client.post(f"{PORTAL}/logga-ut", data={"csrf_token": page_csrf(client, UPLOAD)})
    run_job_once(client.app.state.settings, "purge-expired")  # the nightly purge of ended sessions takes their files
    with db() as session:
        assert session.scalar(select(PortalUpload.id)) is None


def test_a_file_over_2_mib_is_refused_in_swedish(portal):
    client, _ = portal
    data = csv_file([row()])
    big = data + b"\r\n" * ((2 * 1024 * 1024 - len(data)) // 2 + 1)
    answer = _upload(client, big)
    assert answer.status_code == 422 and "större än 2 MiB" in answer.text


def test_upload_and_confirmation_need_the_csrf_token(portal, db):
    client, _ = portal
    assert client.post(UPLOAD, files={"fil": ("a.csv", THREE, "text/csv")}).status_code == 400
    preview = _upload(client, THREE)
    refused = client.post(f"{UPLOAD}/skicka", data={"upload": _upload_id(preview.text)})
    assert refused.status_code == 400
    with db() as session:
        assert session.scalar(select(Notice.id)) is None
