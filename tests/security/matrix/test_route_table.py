"""Every route of the application is in the matrix, or named here as outside it, with the reason.

The route table is the application's own (`create_app`), so a route added
without a matrix row fails here, and so does a row for a route that is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import Mount

from tests.security.matrix.api_rows import API_ROWS
from tests.security.matrix.page_rows import PAGE_ROWS

ROWS = API_ROWS + PAGE_ROWS

# Routes outside the staff matrix: none of them is a staff route, each is guarded (or public) by its own rule,
# tested where named.
OUTSIDE_THE_MATRIX = {
    # Public by design: the process's and the database's health, the metrics (their own bearer token in
    # production: tests/security/test_metrics_token.py), the API description and its viewer, static files.
    "GET /healthz": "public: liveness",
    "GET /readyz": "public: readiness",
    "GET /metrics": "public, or its own token in production (tests/security/test_metrics_token.py)",
    "GET /api/v1/openapi.json": "public: the API description, no data",
    "HEAD /api/v1/openapi.json": "public: the API description, no data",
    "GET /docs": "public: the API description's viewer (Swagger UI, vendored; tests/browser/test_api_docs.py)",
    "GET /redoc": "public: the API description's viewer (ReDoc, vendored; tests/browser/test_api_docs.py)",
    "MOUNT /static": "public: stylesheets and scripts of the pages",
    # Signing in: what gives a person credentials cannot require them (tests/security/test_staff_auth.py,
    # test_throttling.py, test_sessions.py; OIDC: test_oidc.py).
    "POST /api/v1/auth/token": "sign-in: the staff API's token",
    "GET /logga-in": "sign-in page",
    "POST /logga-in": "sign-in form",
    "GET /logga-in/oidc": "sign-in through the city's identity provider",
    "GET /logga-in/oidc/callback": "sign-in through the city's identity provider",
    # The landlord API is scoped by the owning landlord, not by staff role: its isolation (another landlord's
    # notice is 404, revoked and authority keys are 401) is tests/notices/test_isolation.py.
    "POST /api/v1/notices": "landlord API (tests/notices/test_isolation.py)",
    "POST /api/v1/notices/batch": "landlord API (tests/notices/test_isolation.py)",
    "GET /api/v1/notices": "landlord API (tests/notices/test_isolation.py)",
    "GET /api/v1/notices/{notice_id}": "landlord API (tests/notices/test_isolation.py)",
    "POST /api/v1/notices/{notice_id}/events": "landlord API (tests/notices/test_isolation.py)",
    # Kronofogden's system posts with an authority key (tests/notices/test_isolation.py keeps the key kinds apart;
    # test_other_keys.py here: no landlord key or staff token is an authority's).
    "POST /api/v1/kronofogden/eviction-notices": "Kronofogden's API, authority keys only",
    "GET /api/v1/notices/template.csv": "public: the CSV batch's columns and a fictitious row (tests/notices/test_csv_batch.py)",
    # The landlord portal: landlord users, scoped by their landlord like a key, never staff — a staff session
    # never opens it and a portal session never opens a staff page (tests/portal/test_signin.py,
    # tests/portal/test_my_notices.py, tests/browser/test_portal.py).
    "GET /hyresvard": "landlord portal",
    "GET /hyresvard/frister": "landlord portal",
    "GET /hyresvard/ladda-upp": "landlord portal",
    "GET /hyresvard/lank/{secret}": "landlord portal",
    "GET /hyresvard/logga-in": "landlord portal",
    "GET /hyresvard/ny": "landlord portal",
    "GET /hyresvard/underrattelser": "landlord portal",
    "GET /hyresvard/underrattelser/{notice_id}": "landlord portal",
    "GET /hyresvard/underrattelser/{notice_id}/kvitto.pdf": "landlord portal",
    "POST /hyresvard/ladda-upp": "landlord portal",
    "POST /hyresvard/ladda-upp/skicka": "landlord portal",
    "POST /hyresvard/lank": "landlord portal",
    "POST /hyresvard/logga-in": "landlord portal",
    "POST /hyresvard/logga-ut": "landlord portal",
    "POST /hyresvard/ny": "landlord portal",
    "POST /hyresvard/underrattelser/{notice_id}/handelser": "landlord portal",
}


def _walk(routes: Iterable[Any]) -> Iterator[Any]:
    """The app's routes, flat: FastAPI keeps an included router as one `_IncludedRouter` entry."""
    for route in routes:
        if type(route).__name__ == "_IncludedRouter":
            yield from route.effective_route_contexts()
        else:
            yield route


def route_table(app: Any) -> set[str]:
    keys = set()
    for route in _walk(app.router.routes):
        if isinstance(route, Mount):
            keys.add(f"MOUNT {route.path}")
        else:
            keys.update(f"{method} {route.path}" for method in route.methods)
    return keys


def test_every_route_has_a_matrix_row_or_is_named_outside_it(app):
    missing = route_table(app) - {row.key for row in ROWS} - OUTSIDE_THE_MATRIX.keys()
    assert not missing, (
        f"No authorisation-matrix row for: {sorted(missing)}. Add a row to tests/security/matrix/api_rows.py "
        "(staff API) or page_rows.py (pages): who may call it, a target and a body on which the call succeeds. "
        "If it is no staff route, name it in OUTSIDE_THE_MATRIX (test_route_table.py) with the reason and "
        "the test that guards it.")


def test_the_matrix_names_only_routes_the_application_has(app):
    stale = ({row.key for row in ROWS} | OUTSIDE_THE_MATRIX.keys()) - route_table(app)
    assert not stale, f"Rows for routes the application does not have (renamed or removed?): {sorted(stale)}"


def test_each_route_has_one_row_and_is_not_also_outside():
    keys = [row.key for row in ROWS]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    assert not set(keys) & OUTSIDE_THE_MATRIX.keys()
