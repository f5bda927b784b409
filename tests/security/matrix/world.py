"""The people and the things of one matrix test: who calls, and what they call on.

Every actor exists in every test: staff of each role in the case's own district
(Södermalm) and, for the district roles, in a foreign one (Farsta); a joint
assessor of a unit the case does not ask for; a landlord's API key; nobody at
all. Their credentials are made the way a user makes them — a bearer token
from `POST /api/v1/auth/token`, a browser session from the sign-in form — and
only when a test first needs them.

The things are made through the application too (a notice from a landlord
opens a case; a handler closes it), each factory call making a new one, so
that a call that changes its target never spoils the target of the next.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cached_property
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.cases.models import Case
from app.identity import luhn_valid
from app.models import Base
from app.notices.models import Notice, Tenant
from app.notices.schemas import EXAMPLE_NOTICE
from app.reports.models import ReportArchive
from app.reports.summary import Month, compute_summary
from app.routing.districts import district_by_code
from app.security import landlord_users
from app.security import service as accounts
from app.security.actors import SYSTEM as SYSTEM_ACTOR
from app.security.models import User
from notifications import outbox
from notifications.models import OutboxMessage
from tests.security.helpers import HTML, api_token, bearer, page_csrf, web_sign_in
from tests.support.people import personnummer

HOME_DISTRICT, FOREIGN_DISTRICT = "sodermalm", "farsta"
NOW = datetime(2026, 11, 20, 8, 14, 3, tzinfo=timezone.utc)  # Friday 09:14 in Stockholm, the day of the notices
UNIT = "children_families"  # the unit a household with children asks to join the assessment


@dataclass(frozen=True)
class Actor:
    name: str  # also the staff user's username
    role: str | None = None  # None: not staff (a landlord's key, or nobody)
    district: str | None = None
    unit: str | None = None

    @property
    def staff(self) -> bool:
        return self.role is not None


ACTORS = (
    Actor("handler", "handler", HOME_DISTRICT),
    Actor("handler-farsta", "handler", FOREIGN_DISTRICT),
    Actor("manager", "manager", HOME_DISTRICT),
    Actor("manager-farsta", "manager", FOREIGN_DISTRICT),
    Actor("assessor", "joint_assessor", HOME_DISTRICT, UNIT),
    Actor("assessor-farsta", "joint_assessor", FOREIGN_DISTRICT, UNIT),
    # Own district, but a unit the case does not ask for: the role's scope is the unit too.
    Actor("assessor-elderly", "joint_assessor", HOME_DISTRICT, "elderly_care"),
    Actor("intake", "intake"),
    Actor("admin", "admin"),
    Actor("landlord-key"),
    Actor("no-auth"),
)
BY_NAME = {actor.name: actor for actor in ACTORS}


@dataclass(frozen=True)
class CaseRef:
    id: str
    number: str
    notice_id: str
    tenant_id: str
    pin: str  # the tenant's full identity number, as the reveal shows it


@dataclass
class Browser:
    """One person's browser: its own cookie jar, and the CSRF token its pages carry."""

    client: TestClient
    csrf: str | None
    headers: dict[str, str]


class World:
    def __init__(self, client: TestClient, db: Any, settings: Any, landlord: Any, make_user: Any) -> None:
        self.client, self.db, self.settings, self.landlord = client, db, settings, landlord
        self._make_user = make_user
        self._serial = itertools.count(1)
        self._tokens: dict[str, dict[str, str]] = {}
        self._browsers: dict[str, Browser] = {}
        for actor in ACTORS:
            if actor.staff:
                make_user(actor.name, actor.role, actor.district, actor.unit)

    # ------------------------------------------------------------------ credentials

    def api_headers(self, actor: Actor) -> dict[str, str]:
        if actor.name == "landlord-key":
            return dict(self.landlord.headers)
        if not actor.staff:
            return {}
        if actor.name not in self._tokens:
            self._tokens[actor.name] = bearer(api_token(self.client, actor.name))
        return self._tokens[actor.name]

    def browser(self, actor: Actor) -> Browser:
        if actor.name not in self._browsers:
            # A client of its own per person: sessions must not share a cookie jar.
            client = TestClient(self.client.app)
            csrf = None
            headers = dict(HTML)
            if actor.name == "landlord-key":
                headers.update(self.landlord.headers)
            elif actor.staff:
                signed_in = web_sign_in(client, actor.name)
                assert signed_in.status_code == 303, signed_in.text
                csrf = page_csrf(client, signed_in.headers["location"])
            self._browsers[actor.name] = Browser(client, csrf, headers)
        return self._browsers[actor.name]

    # ------------------------------------------------------------------ cases and notices

    def _notice(self, seniors: int = 0, **property_overrides: Any) -> dict[str, Any]:
        n = next(self._serial)
        body = copy.deepcopy(EXAMPLE_NOTICE)
        body["external_id"] = f"MATRIX-{n:04d}"
        # A person and an apartment of their own: each notice opens a case of its own.
        body["property"] = {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm",
                            "apartment_number": str(1100 + n), "rooms": 2, **property_overrides}
        body["tenants"][0]["personal_identity_number"] = personnummer(date(1980, 1, 1) + timedelta(days=n))
        body["household"] = {"children_under_18": 2, "residents_65_or_older": seniors, "consent": True}
        answer = self.client.post("/api/v1/notices", json=body, headers=self.landlord.headers)
        assert answer.status_code == 201, answer.text
        return {"receipt": answer.json(), "pin": body["tenants"][0]["personal_identity_number"]}

    def new_case(self, *, seniors: int = 0) -> CaseRef:
        """A new open case in Södermalm; its household has children, so children_families is asked to join
        (and with `seniors`, elderly_care and disability as well)."""
        return self._case_of(self._notice(seniors), HOME_DISTRICT)

    def foreign_case(self) -> CaseRef:
        """A new open case in Farsta, the foreign district."""
        return self._case_of(self._notice(street_address="Farstagången 2", postal_code="123 47", city="Farsta"),
                             FOREIGN_DISTRICT)

    def _case_of(self, made: dict[str, Any], district: str) -> CaseRef:
        notice_id = uuid.UUID(made["receipt"]["id"])
        with self.db() as session:
            case_id = session.scalar(select(Notice.case_id).where(Notice.id == notice_id))
            number = session.scalar(select(Case.number).where(Case.id == case_id))
            tenant_id = session.scalar(select(Tenant.id).where(Tenant.notice_id == notice_id))
        assert case_id is not None and made["receipt"]["district"]["code"] == district, made["receipt"]
        return CaseRef(str(case_id), number, str(notice_id), str(tenant_id), made["pin"])

    @cached_property
    def case(self) -> CaseRef:
        """The open case every read-only cell looks at."""
        return self.new_case()

    def critical_case(self) -> CaseRef:
        """Children and a scheduled eviction: critical, so it is on the managers' overview."""
        case = self.new_case()
        answer = self.client.post(f"/api/v1/notices/{case.notice_id}/events", headers=self.landlord.headers,
                                  json={"type": "eviction_scheduled", "occurred_on": "2026-11-20",
                                        "eviction_at": "2027-01-14T09:00:00+01:00"})
        assert answer.status_code == 201, answer.text
        return case

    def viewed_case(self) -> CaseRef:
        """A case its handler has opened: the view is in the audit log, under the case's district."""
        case = self.new_case()
        answer = self.client.get(f"/api/v1/cases/{case.id}", headers=self.api_headers(BY_NAME["handler"]))
        assert answer.status_code == 200, answer.text
        return case

    def closed_case(self) -> CaseRef:
        case = self.new_case()
        answer = self.client.post(f"/api/v1/cases/{case.id}/close", headers=self.api_headers(BY_NAME["handler"]),
                                  json={"outcome": "rent_paid"})
        assert answer.status_code == 200, answer.text
        return case

    def commitment(self, case: CaseRef | None = None, by: str = "handler") -> dict[str, str]:
        """A case (the shared one unless named) with the committee's payment commitment: its letter's path."""
        case = case or self.case
        answer = self.client.post(f"/api/v1/cases/{case.id}/payment-commitment",
                                  headers=self.api_headers(BY_NAME[by]),
                                  json={"amount_sek": 16900, "covers_until": "2026-12-31",
                                        "decided_on": "2026-11-20"})
        assert answer.status_code == 201, answer.text
        return {"case_id": case.id, "commitment_id": answer.json()["payment_commitments"][-1]["id"]}

    def unrouted_notice(self) -> str:
        """A notice no method could route (an ambiguous postal code, no coordinates): manual routing's."""
        made = self._notice(street_address="Okänd väg 1", postal_code="121 32")
        assert made["receipt"]["district"] is None, made["receipt"]
        return made["receipt"]["id"]

    def archived_report(self) -> dict[str, str]:
        """The home district's October summary as the monthly job archives it (no file: printed from its numbers)."""
        with self.db() as session:
            district = district_by_code(session, HOME_DISTRICT)
            summary = compute_summary(session, Month(2026, 10), district, now=NOW)
            row = ReportArchive(month="2026-10", district_id=district.id, version=next(self._serial), format="pdf",
                                path=None, content=summary.to_dict(), digest=summary.digest(), created_at=NOW)
            session.add(row)
            session.flush()
            return {"archive_id": str(row.id)}

    # ------------------------------------------------------------------ what the administrators handle

    def org_number(self) -> str:
        head = f"559{next(self._serial):06d}"
        check = next(d for d in "0123456789" if luhn_valid(head + d))
        return f"{head[:6]}-{head[6:]}{check}"

    def key_prefix(self) -> str:
        with self.db() as session:
            return accounts.create_landlord_key(session, self.settings,
                                                org_number=self.landlord.org_number).api_key.prefix

    def new_username(self) -> str:
        return f"anna-{next(self._serial)}"

    def staff_user(self, *, active: bool = True) -> str:
        username = self.new_username()
        self._make_user(username, "handler", HOME_DISTRICT)
        if not active:
            with self.db() as session:
                session.execute(update(User).where(User.username == username).values(active=False))
        return username

    def portal_user(self) -> dict[str, str]:
        """A landlord-portal user of the shared landlord: the admin's page for it, and its id."""
        with self.db() as session:
            made = landlord_users.create(session, self.settings, SYSTEM_ACTOR, org_number=self.landlord.org_number,
                                         email=f"hyror-{next(self._serial)}@bostadsbolaget.example")
            return {"org": self.landlord.org_number, "user_id": str(made.user.id)}

    def failed_message(self) -> str:
        with self.db() as session:
            message_id = outbox.enqueue(session, channel="email", template="deadline_reminder",
                                        dedup_key=f"matrix:{next(self._serial)}", recipient="handlaggare@stad.example")
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                            .values(status="failed", attempts=8, last_error="550 mailbox unavailable"))
        return str(message_id)

    # ------------------------------------------------------------------ checking

    def row_counts(self) -> dict[str, int]:
        """Every table's row count, in one statement: a refused call must leave all of them as they were."""
        tables = Base.metadata.sorted_tables
        with self.db() as session:
            counts = session.execute(select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name)
                                              for t in tables])).one()
        return dict(zip([t.name for t in tables], counts, strict=True))
