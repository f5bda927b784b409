"""The queue page without a browser: rows, views and their counts, "Ta ärendet", a manager's bulk assignment.

The clock is Friday 2026-11-20 09:14 in Stockholm (tests/cases/conftest.py).
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.cases import service
from app.cases.models import Case
from app.security import service as accounts
from app.security.actors import SYSTEM
from app.security.models import AuditEvent
from tests.cases.test_case_pages import _post, _text
from tests.cases.test_queue_order import _due_today, _passed_estimate
from tests.conftest import TEST_PASSWORD
from tests.security.helpers import HTML, web_sign_in


@pytest.fixture
def team(db):
    with db() as session:
        for username, role, name in (("sara", "handler", "Sara Lind"), ("omar", "handler", "Omar Said"),
                                     ("chef", "manager", "Maria Chef")):
            accounts.create_user(session, username=username, role=role, password=TEST_PASSWORD,
                                 district_code="sodermalm", full_name=name)


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [_text("<main" + row).strip() for row in re.findall(r"<tr>.*?</tr>", body, re.S)]


def test_rows_show_people_address_badges_and_names(client, team, notice_body, send, db, pinned_clock):
    for n in range(3):
        send(_passed_estimate(notice_body, n))
    send(_due_today(notice_body))
    with db() as session:
        case = session.scalar(select(Case).order_by(Case.number.desc()))
        service.assign(session, case, SYSTEM, username="omar")
    assert web_sign_in(client, "sara").status_code == 303
    page = client.get("/ko", headers=HTML).text
    rows = _rows(page)
    assert len(rows) == 4
    first = rows[0]
    assert "Dagmar Idag" in first and "Götgatan 30, 118 46 Stockholm" in first
    assert "I dag" in first and "Återvinningsfristen, 20 nov" in first and "Omar Said" in first
    assert "due-today" in page.split("Dagmar Idag")[1].split("</tr>")[0]
    for row in rows[1:]:
        assert "vardag" in row  # first contact: "2 vardagar kvar"
        assert "Återvinningsfristen: preliminärt ca 13 nov – kan ha passerat" in row
        assert "Ta ärendet" in row
    text = _text(page)
    assert not re.search(r"\b1 vardagar\b", text)
    for code in ("rent_arrears", "first_contact", "redemption_period_end", "household_unknown", "normal", "omar"):
        assert code not in text, code
    # The views and their counts.
    counts = dict(re.findall(r'href="/ko\?vy=([a-z-]+)"[^>]*>[^<]*<span class="count">(\d+)</span>', page))
    assert counts == {"mina": "0", "ej-tilldelade": "3", "i-dag": "1", "forsenade": "0", "gemensam": "0"}
    today = _rows(client.get("/ko?vy=i-dag", headers=HTML).text)
    assert len(today) == 1 and "Dagmar Idag" in today[0]
    with db() as session:  # a missed deadline makes the case overdue
        case = session.scalar(select(Case).order_by(Case.number))
        first_contact = next(d for d in case.deadlines if d.kind == "first_contact")
        service.declare_missed(session, case, first_contact, pinned_clock + timedelta(days=5))
    overdue = _rows(client.get("/ko?vy=forsenade", headers=HTML).text)
    assert len(overdue) == 1 and "Esti Mat 0" in overdue[0]


def test_search_from_the_page_looks_through_closed_cases_too(client, team, notice_body, send, db):
    send(notice_body(tenants=[{"name": "Åsa Öberg"}]))
    with db() as session:
        case = session.scalar(select(Case))
        service.close(session, case, SYSTEM, outcome="rent_paid", note=None, now=case.opened_at)
    assert web_sign_in(client, "sara").status_code == 303
    assert _rows(client.get("/ko", headers=HTML).text) == ["Inga ärenden matchar filtret."]
    rows = _rows(client.get("/ko?q=%C3%B6berg", headers=HTML).text)
    assert len(rows) == 1 and "Åsa Öberg" in rows[0] and "Avslutat" in rows[0]
    assert "Ta ärendet" not in rows[0]
    assert _rows(client.get("/ko?q=ingen+s%C3%A5dan", headers=HTML).text)[0].startswith("Inga ärenden hittades.")


def test_take_the_case_from_its_row(client, team, notice_body, send, db):
    send(notice_body(tenants=[{"name": "Åsa Öberg"}]))
    assert web_sign_in(client, "sara").status_code == 303
    page = client.get("/ko?vy=ej-tilldelade", headers=HTML).text
    action = re.search(r'action="(/ko/ta/[0-9a-f-]+)"', page).group(1)
    answer = _post(client, action, {"tillbaka": "vy=ej-tilldelade&evil=https://x.example"}, "/ko")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ko?vy=ej-tilldelade&ok=tagit&arende=")
    page = client.get(answer.headers["location"], headers=HTML).text
    assert "Du har tagit ärende 2026-000001. Det finns nu under Mina." in _text(page)
    assert _rows(page) == ["Inga ärenden matchar filtret."]  # no longer unassigned
    mine = _rows(client.get("/ko?vy=mina", headers=HTML).text)
    assert len(mine) == 1 and "Sara Lind" in mine[0]
    with db() as session:
        assert session.scalar(select(Case)).assigned_to.username == "sara"
        assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "case.assign")) == "case.assign"


def test_a_manager_assigns_chosen_cases_at_once_and_a_handler_cannot(client, team, notice_body, send, db):
    for n in range(3):
        send(notice_body(tenants=[{"name": f"Person {n}"}], apartment=f"70{n:02d}"))
    with db() as session:
        ids = [str(i) for i in session.scalars(select(Case.id).order_by(Case.number))]
    assert web_sign_in(client, "sara").status_code == 303
    assert 'id="bulk"' not in client.get("/ko", headers=HTML).text
    answer = _post(client, "/ko/tilldela", {"arenden": ids[:2], "username": "sara"}, "/ko")
    assert answer.status_code == 404
    client.cookies.clear()

    assert web_sign_in(client, "chef").status_code == 303
    page = client.get("/ko", headers=HTML).text
    bulk_select = re.search(r'<select id="bulk-user".*?</select>', page, re.S).group(0)
    assert "selected" not in bulk_select and "Omar Said" in bulk_select
    assert len(re.findall(r'<input type="checkbox" form="bulk" name="arenden"', page)) == 3
    answer = _post(client, "/ko/tilldela", {"arenden": ids[:2], "username": ""}, "/ko")
    assert answer.status_code == 422 and "Välj en handläggare att tilldela ärendena." in answer.text
    answer = _post(client, "/ko/tilldela", {"arenden": ids[:2], "username": "omar", "tillbaka": ""}, "/ko")
    assert answer.status_code == 303
    assert "2 ärenden tilldelade Omar Said." in _text(client.get(answer.headers["location"], headers=HTML).text)
    with db() as session:
        assigned = {str(c.id): c.assigned_to.username if c.assigned_to else None for c in session.scalars(select(Case))}
        audited = session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "case.assign")).all()
    assert assigned == {ids[0]: "omar", ids[1]: "omar", ids[2]: None}
    assert sorted(audited) == sorted(ids[:2])
    # All or nothing: a closed case among the chosen refuses the whole request.
    with db() as session:
        case = session.get(Case, uuid.UUID(ids[2]))
        service.close(session, case, SYSTEM, outcome="other", note=None, now=case.opened_at)
    answer = _post(client, "/ko/tilldela", {"arenden": [ids[0], ids[2]], "username": "sara"}, "/ko")
    assert answer.status_code == 409
    with db() as session:
        assert session.get(Case, uuid.UUID(ids[0])).assigned_to.username == "omar"


def test_fifty_rows_a_page(client, team, notice_body, send):
    for n in range(52):
        send(notice_body(tenants=[{"name": f"Person {n}"}], apartment=f"{n + 1:04d}"))
    assert web_sign_in(client, "sara").status_code == 303
    page = client.get("/ko", headers=HTML).text
    assert len(_rows(page)) == 50
    following = re.search(r'<a href="(/ko\?[^"]+)">Nästa sida</a>', page).group(1)
    assert len(_rows(client.get(following.replace("&amp;", "&"), headers=HTML).text)) == 2
