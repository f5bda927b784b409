"""Staff web forms at the edges (issue #11, items 8 and 10): a Swedish form error, never a 500.

Amounts go through app/money.py's `parse_amount`; every form field that is
stored is bounded by its column.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.cases.models import Case, PaymentCommitment
from app.households.models import JointAssessmentPart
from app.security.models import AuditEvent, Landlord, User
from app.notices.schemas import EXAMPLE_NOTICE
from tests.conftest import TEST_PASSWORD

HTML = {"Accept": "text/html"}


def _sign_in(client, username: str) -> str:
    form = client.get("/logga-in", headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = client.post("/logga-in", data={"username": username, "password": TEST_PASSWORD, "csrf_token": csrf},
                         headers=HTML, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"], headers=HTML)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def case_page(client, landlord, make_user, db):
    # Children and a 65+ resident: the case asks two units for a joint assessment.
    body = {**EXAMPLE_NOTICE, "household": {"children_under_18": 2, "residents_65_or_older": 1, "consent": True}}
    assert client.post("/api/v1/notices", json=body, headers=landlord.headers).status_code == 201
    make_user("sara", "handler", "sodermalm")
    csrf = _sign_in(client, "sara")
    with db() as session:
        case_id = session.scalar(select(Case.id))
    return f"/arenden/{case_id}", csrf


def _count(db, model) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(model))


def _refused(answer, text: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert text in answer.text


@pytest.mark.parametrize(("amount", "swedish"), [
    ("NaN", "Beloppet ska vara ett tal"),
    ("sNaN", "Beloppet ska vara ett tal"),
    ("Infinity", "Beloppet ska vara ett tal"),
    ("-Infinity", "Beloppet ska vara ett tal"),
    ("1e30", "Beloppet ska vara ett tal"),
    ("100 000 000", "Beloppet är orimligt stort"),
    ("-5", "Beloppet ska vara större än noll."),
    ("0", "Beloppet ska vara större än noll."),
    ("1,001", "Beloppet får ha högst två decimaler"),
])
def test_payment_commitment_amounts(client, case_page, db, amount, swedish):
    url, csrf = case_page
    answer = client.post(f"{url}/betalningsatagande", headers=HTML, data={
        "amount_sek": amount, "covers_until": "2026-12-31", "decided_on": "2026-11-20", "csrf_token": csrf})
    _refused(answer, swedish)
    assert _count(db, PaymentCommitment) == 0


@pytest.mark.parametrize(("amount", "stored"), [("16 900,50", "16900.50"), ("8450", "8450.00")])
def test_payment_commitment_amounts_written_the_swedish_way(client, case_page, db, amount, stored):
    url, csrf = case_page
    answer = client.post(f"{url}/betalningsatagande", headers=HTML, follow_redirects=False, data={
        "amount_sek": amount, "covers_until": "2026-12-31", "decided_on": "2026-11-20", "csrf_token": csrf})
    assert answer.status_code == 303, answer.text
    with db() as session:
        assert str(session.scalar(select(PaymentCommitment.amount_sek))) == stored


@pytest.mark.parametrize(("field", "value"), [("covers_until", "9999-12-31"), ("decided_on", "0001-01-01")])
def test_payment_commitment_dates_at_the_edges(client, case_page, db, field, value):
    url, csrf = case_page
    data = {"amount_sek": "100", "covers_until": "2026-12-31", "decided_on": "2026-11-20", "csrf_token": csrf,
            field: value}
    # The page says what to do in Swedish (the staff UI names no raw field), and nothing is stored.
    _refused(client.post(f"{url}/betalningsatagande", headers=HTML, data=data),
             "Ange ett datum mellan åren 1900 och 2199.")
    assert _count(db, PaymentCommitment) == 0


@pytest.mark.parametrize("step", ["x" * 100, "complete" * 10, "accept\u00e9"])
def test_joint_assessment_step_is_one_of_two(client, case_page, db, step):
    url, csrf = case_page
    before = _count(db, AuditEvent)
    answer = client.post(f"{url}/gemensam-bedomning/elderly_care", headers=HTML,
                         data={"step": step, "conclusion": "Klart", "csrf_token": csrf})
    _refused(answer, "Kontrollera fälten: step.")
    assert _count(db, AuditEvent) == before


def test_joint_assessment_conclusion_longer_than_allowed(client, case_page, db):
    url, csrf = case_page
    answer = client.post(f"{url}/gemensam-bedomning/elderly_care", headers=HTML,
                         data={"step": "complete", "conclusion": "y" * 2001, "csrf_token": csrf})
    _refused(answer, "Kontrollera fälten: conclusion.")
    with db() as session:
        assert session.scalar(select(func.count()).select_from(JointAssessmentPart)
                              .where(JointAssessmentPart.conclusion.is_not(None))) == 0


@pytest.mark.parametrize("count", ["²", "٣٣", "1" * 50])
def test_household_counts_that_only_look_like_digits(client, case_page, count):
    url, csrf = case_page
    answer = client.post(f"{url}/hushall", headers=HTML, data={"children": count, "csrf_token": csrf})
    _refused(answer, "Ange ett antal mellan 0 och 30")


@pytest.mark.parametrize(("path", "data", "field"), [
    ("/admin/hyresvardar", {"name": "N" * 201, "org_number": "556036-0793"}, "name"),
    ("/admin/anvandare", {"username": "ny", "role": "handler", "password": "ett-långt-lösenord-2026",
                          "district": "sodermalm", "full_name": "F" * 201}, "full_name"),
    ("/admin/anvandare", {"username": "ny", "role": "handler", "password": "ett-långt-lösenord-2026",
                          "district": "sodermalm", "email": "e" * 250 + "@x.se"}, "email"),
    ("/admin/anvandare", {"username": "ny", "role": "handler" * 5, "password": "ett-långt-lösenord-2026"}, "role"),
])
def test_admin_fields_longer_than_their_columns(client, make_user, db, path, data, field):
    make_user("admin", "admin")
    csrf = _sign_in(client, "admin")
    landlords, users = _count(db, Landlord), _count(db, User)
    _refused(client.post(path, headers=HTML, data={**data, "csrf_token": csrf}), f"Kontrollera fälten: {field}.")
    assert (_count(db, Landlord), _count(db, User)) == (landlords, users)
