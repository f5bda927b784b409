"""The staff JSON API's rows of the matrix (spec: staff-and-operations.md, "Roles" and "Staff endpoints").

A staff call carries a bearer token from `POST /api/v1/auth/token`. Without
one, or with a landlord's API key, every row answers 401 problem+json.
"""

from __future__ import annotations

from tests.conftest import TEST_PASSWORD
from tests.security.matrix.entry import HOME_READERS, OUT_OF_SCOPE_READERS, STAFF, WORKERS, Entry
from tests.security.matrix.world import HOME_DISTRICT


def _case(world):
    return {"case_id": world.case.id}


def _new_case(world):
    return {"case_id": world.new_case().id}


def _closed_case(world):
    return {"case_id": world.closed_case().id}


CASE_API = (
    # Readers see the case in the queue; staff of the roles that read cases but outside the scope get
    # their own (empty) queue, never this case.
    Entry("GET", "/api/v1/queue", HOME_READERS, 200, _case, hidden=OUT_OF_SCOPE_READERS,
          shows=lambda c: c.params["case_id"]),
    Entry("GET", "/api/v1/cases/{case_id}", HOME_READERS, 200, _case, shows=lambda c: c.world.case.number),
    # The joint assessor reads the case its unit joins, the identity number included (each showing is audited).
    Entry("POST", "/api/v1/cases/{case_id}/tenants/{tenant_id}/identity-number", HOME_READERS, 200,
          lambda w: {"case_id": w.case.id, "tenant_id": w.case.tenant_id}, shows=lambda c: c.world.case.pin),
    Entry("POST", "/api/v1/cases/{case_id}/assign", WORKERS, 200, _case, body=lambda c: {"username": "handler"}),
    Entry("POST", "/api/v1/cases/{case_id}/contacts", WORKERS, 201, _case,
          body=lambda c: {"channel": "phone", "reached": True, "note": "Nådde hyresgästen"}),
    Entry("POST", "/api/v1/cases/{case_id}/payment-commitment", WORKERS, 201, _case,
          body=lambda c: {"amount_sek": 16900, "covers_until": "2026-12-31", "decided_on": "2026-11-20"}),
    Entry("POST", "/api/v1/cases/{case_id}/household", WORKERS, 200, _case,
          body=lambda c: {"children_under_18": 2, "residents_65_or_older": 0}),
    Entry("POST", "/api/v1/cases/{case_id}/close", WORKERS, 200, _new_case, fresh=True,
          body=lambda c: {"outcome": "rent_paid", "note": "Betalt"}),
    # The family (the matrix's cases have children) was offered budget and debt advice.
    Entry("POST", "/api/v1/cases/{case_id}/budget-advice-offer", WORKERS, 200, _new_case, fresh=True),
    Entry("POST", "/api/v1/cases/{case_id}/reopen", WORKERS, 200, _closed_case, fresh=True,
          body=lambda c: {"reason": "Hyresvärden har skickat en ny underrättelse"}),
)

INTAKE_API = (
    Entry("GET", "/api/v1/intake", frozenset({"intake"}), 200, lambda w: {"notice_id": w.unrouted_notice()},
          shows=lambda c: c.params["notice_id"]),
    Entry("POST", "/api/v1/intake/{notice_id}/route", frozenset({"intake"}), 200,
          lambda w: {"notice_id": w.unrouted_notice()}, fresh=True, body=lambda c: {"district": HOME_DISTRICT}),
    # The list of districts is no secret from any staff member (intake needs it to route, admins edit them).
    Entry("GET", "/api/v1/districts", STAFF, 200, shows=lambda c: '"code":"sodermalm"'),
)

REPORTS_API = (
    # A manager: their own district only; an admin: any district (or the city). Nobody else.
    Entry("GET", "/api/v1/reports/monthly", frozenset({"manager", "admin"}), 200,
          query={"month": "2026-10", "district": HOME_DISTRICT}, shows=lambda c: '"code": "sodermalm"'),
)

ADMIN_API = (
    Entry("GET", "/api/v1/admin/users", frozenset({"admin"}), 200, shows=lambda c: '"username":"assessor-elderly"'),
    Entry("POST", "/api/v1/admin/users", frozenset({"admin"}), 201,
          body=lambda c: {"username": c.world.new_username(), "role": "handler",
                          "district": HOME_DISTRICT, "password": TEST_PASSWORD}),
    Entry("POST", "/api/v1/admin/users/{username}/deactivate", frozenset({"admin"}), 200,
          lambda w: {"username": w.staff_user()}, fresh=True),
    Entry("POST", "/api/v1/admin/users/{username}/activate", frozenset({"admin"}), 200,
          lambda w: {"username": w.staff_user(active=False)}, fresh=True),
    Entry("POST", "/api/v1/admin/users/{username}/password", frozenset({"admin"}), 204,
          lambda w: {"username": w.staff_user()}, fresh=True, body=lambda c: {"password": "ett-nytt-lösenord-2026"}),
)

API_ROWS = CASE_API + INTAKE_API + REPORTS_API + ADMIN_API
