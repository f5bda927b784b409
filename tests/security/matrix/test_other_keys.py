"""The routes outside the staff matrix that take a key: no other kind of credential opens them.

The landlord API's own isolation is tests/notices/test_isolation.py (another
landlord's notice is 404; a revoked key or an authority's key is 401). Here the
converse: a staff token is no landlord key, and neither a landlord key nor a
staff token is Kronofogden's authority key — each is 401, and nothing is stored.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.cases.models import EvictionNotice
from app.notices.models import Notice
from app.notices.schemas import EXAMPLE_NOTICE
from app.security import service as accounts
from tests.security.matrix.world import NOW
from tests.support.people import personnummer

EVICTION_NOTICE = {
    "reference": "KFM-1", "eviction_at": "2027-01-14T09:00:00+01:00",
    "tenant": {"name": "Anna", "personal_identity_number": personnummer(date(1985, 4, 12))},
    "property": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm",
                 "apartment_number": "1102"},
    "landlord": {"name": "HSB Stockholm", "org_number": "702001-7781"},
}


def _refused(answer) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["www-authenticate"] == "Bearer"


def test_no_other_credential_is_a_landlord_or_an_authority_key(app, client, db, settings, landlord, staff_headers):
    app.state.clock = lambda: NOW  # the example notice's dates and the eviction stay where the rules expect them
    with db() as session:
        _, authority = accounts.create_authority(session, settings, name="Kronofogden")
    authority_headers = {"Authorization": f"Bearer {authority.plaintext}"}
    staff = staff_headers("handler", "handler", "sodermalm")
    admin = staff_headers("admin", "admin")

    for headers in (staff, admin):
        _refused(client.post("/api/v1/notices", json=EXAMPLE_NOTICE, headers=headers))
        _refused(client.get("/api/v1/notices", headers=headers))
    for headers in (landlord.headers, staff, admin):
        _refused(client.post("/api/v1/kronofogden/eviction-notices", json=EVICTION_NOTICE, headers=headers))
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Notice)) == 0
        assert session.scalar(select(func.count()).select_from(EvictionNotice)) == 0

    # The same calls with the right keys are accepted: the refusals above were the credentials'.
    assert client.post("/api/v1/notices", json=EXAMPLE_NOTICE, headers=landlord.headers).status_code == 201
    assert client.post("/api/v1/kronofogden/eviction-notices", json=EVICTION_NOTICE,
                       headers=authority_headers).status_code == 201
