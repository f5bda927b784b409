"""The staff pages' rows of the matrix (README "Staff": which page is whose).

A page call is a browser's: `Accept: text/html`, the session cookie from the
sign-in form, and on a form the session's own CSRF token — so that what is
tested is the role and the scope, not the CSRF check. Without a session (and a
landlord's API key is no session) every page and form leads to the sign-in page.
"""

from __future__ import annotations

from tests.conftest import TEST_PASSWORD
from tests.security.matrix.entry import HOME_READERS, OUT_OF_SCOPE_READERS, STAFF, WORKERS, Entry
from tests.security.matrix.world import HOME_DISTRICT, UNIT

# Where each role lands after signing in (README "Staff").
HOME = {"handler": "/ko", "manager": "/ko", "joint_assessor": "/gemensam-bedomning", "intake": "/manuell-fordelning",
        "admin": "/admin"}
ADMIN = frozenset({"admin"})
READERS = frozenset({"manager", "admin"})  # of the monthly summaries
OCTOBER = {"manad": "2026-10", "stadsdel": HOME_DISTRICT}


def _case(world):
    return {"case_id": world.case.id}


def _new_case(world):
    case = world.new_case()
    return {"case_id": case.id, "number": case.number}


def _viewed(case):
    return {"case_id": case.id, "number": case.number}


def _back(message: str):
    return lambda c: f"/arenden/{c.params['case_id']}?ok={message}"


CASE_PAGES = (
    Entry("GET", "/", STAFF, 303, location=lambda c: HOME[c.actor.role]),
    Entry("GET", "/ko", HOME_READERS, 200, _case, hidden=OUT_OF_SCOPE_READERS, shows=lambda c: c.params["case_id"]),
    # The joint assessors' own list: another unit's or another district's assessor gets an empty one.
    Entry("GET", "/gemensam-bedomning", frozenset({"assessor"}), 200, _case,
          hidden=frozenset({"assessor-farsta", "assessor-elderly"}), shows=lambda c: c.params["case_id"]),
    Entry("GET", "/arenden/{case_id}", HOME_READERS, 200, _case, shows=lambda c: c.world.case.number),
    Entry("POST", "/arenden/{case_id}/tilldela", WORKERS, 303, _case, body=lambda c: {"username": "handler"},
          location=_back("tilldelat")),
    Entry("POST", "/arenden/{case_id}/kontakt", WORKERS, 303, _case,
          body=lambda c: {"channel": "phone", "reached": "yes", "note": "Nådde hyresgästen"},
          location=_back("kontakt")),
    Entry("POST", "/arenden/{case_id}/betalningsatagande", WORKERS, 303, _case,
          body=lambda c: {"amount_sek": "16 900", "covers_until": "2026-12-31", "decided_on": "2026-11-20"},
          location=_back("atagande")),
    # The letter to the landlord is the workers': a joint assessor reads the case but sends no letters.
    Entry("GET", "/arenden/{case_id}/atagande/{commitment_id}.pdf", WORKERS, 200, lambda w: w.commitment(),
          media_type="application/pdf"),
    Entry("POST", "/arenden/{case_id}/budgetradgivning", WORKERS, 303, _new_case, fresh=True,
          location=_back("budget")),
    Entry("POST", "/arenden/{case_id}/hushall", WORKERS, 303, _case, body=lambda c: {"children": "2", "seniors": "0"},
          location=_back("hushall")),
    # Closing is two steps: the form shows what closing does; only the confirmed post closes.
    Entry("GET", "/arenden/{case_id}/avsluta", WORKERS, 200, _case, shows=lambda c: c.world.case.number),
    Entry("POST", "/arenden/{case_id}/avsluta", WORKERS, 303, _new_case, fresh=True,
          body=lambda c: {"outcome": "rent_paid", "note": "Betalt", "confirm": "ja"}, location=_back("avslutat")),
    Entry("POST", "/arenden/{case_id}/oppna-igen", WORKERS, 303, lambda w: {"case_id": w.closed_case().id},
          fresh=True, body=lambda c: {"reason": "Hyresvärden har skickat en ny underrättelse"},
          location=_back("oppnat")),
    # "Ta ärendet" from the queue row: the worker assigns the case to themself.
    Entry("POST", "/ko/ta/{case_id}", WORKERS, 303, _new_case, fresh=True,
          location=lambda c: f"/ko?ok=tagit&arende={c.params['number']}"),
    Entry("POST", "/arenden/{case_id}/personnummer/{tenant_id}", HOME_READERS, 200,
          lambda w: {"case_id": w.case.id, "tenant_id": w.case.tenant_id}, shows=lambda c: c.world.case.pin),
    # The case's workers may take on a part for the unit as well as the unit's own assessor (the case page
    # offers it to both). A senior lives there too, so the elderly-care assessor sees the case — but may
    # not act for children and families.
    Entry("POST", "/arenden/{case_id}/gemensam-bedomning/{unit}", HOME_READERS, 303,
          lambda w: {"case_id": w.new_case(seniors=1).id, "unit": UNIT}, fresh=True, body=lambda c: {"step": "accept"},
          location=_back("bedomning")),
)

INTAKE_PAGES = (
    Entry("GET", "/manuell-fordelning", frozenset({"intake"}), 200, lambda w: {"notice_id": w.unrouted_notice()},
          shows=lambda c: c.params["notice_id"]),
    Entry("POST", "/manuell-fordelning/{notice_id}", frozenset({"intake"}), 303,
          lambda w: {"notice_id": w.unrouted_notice()}, fresh=True, body=lambda c: {"district": HOME_DISTRICT},
          location=lambda c: f"/manuell-fordelning?ok={HOME_DISTRICT}"),
)

MANAGER_PAGES = (
    # Bulk assignment from the queue: managers only; another district's manager finds no such case (404).
    Entry("POST", "/ko/tilldela", frozenset({"manager"}), 303, _new_case, fresh=True,
          body=lambda c: {"arenden": [c.params["case_id"]], "username": "handler"},
          location=lambda c: "/ko?ok=tilldelade&antal=1&till=handler"),
    # The overview lists the district's critical cases: another district's manager sees theirs, not this one.
    Entry("GET", "/oversikt", frozenset({"manager"}), 200, lambda w: {"case_id": w.critical_case().id},
          hidden=frozenset({"manager-farsta"}), shows=lambda c: c.params["case_id"]),
    # Rapporter: the monthly summary of the manager's own district (another district's manager: 404), any
    # district's for an admin; the page, its two downloads and an archived version alike.
    Entry("GET", "/rapporter", READERS, 200, query=OCTOBER, shows=lambda c: "Månadsrapport oktober 2026 – Södermalm"),
    Entry("GET", "/rapporter/manadsrapport.pdf", READERS, 200, query=OCTOBER, media_type="application/pdf"),
    Entry("GET", "/rapporter/manadsrapport.csv", READERS, 200, query=OCTOBER, media_type="text/csv",
          shows=lambda c: "report,district,sodermalm"),
    Entry("GET", "/rapporter/arkiv/{archive_id}.pdf", READERS, 200, lambda w: w.archived_report(),
          media_type="application/pdf"),
    # The audit log: a manager reads their district's events, an admin all of them. A case is shown by its
    # number (#13.4), never its id.
    Entry("GET", "/granskning", frozenset({"manager", "admin"}), 200, lambda w: _viewed(w.viewed_case()),
          hidden=frozenset({"manager-farsta"}), shows=lambda c: c.params["number"]),
)

ADMIN_PAGES = (
    # The administrators' pages (#13.6): a landing page and one page per part, each with the sub-navigation.
    Entry("GET", "/admin", ADMIN, 200, shows=lambda c: 'href="/admin/utskick"'),
    Entry("GET", "/admin/hyresvardar", ADMIN, 200, shows=lambda c: "Bostadsbolaget AB"),
    Entry("GET", "/admin/stadsdelar", ADMIN, 200, shows=lambda c: f'action="/admin/stadsdelar/{HOME_DISTRICT}"'),
    Entry("GET", "/admin/utskick", ADMIN, 200, lambda w: {"message_id": w.failed_message()},
          shows=lambda c: f"/admin/utskick/{c.params['message_id']}/forsok-igen"),
    Entry("POST", "/admin/hyresvardar", ADMIN, 200,
          body=lambda c: {"name": "Stadsholmen AB", "org_number": c.world.org_number()}, shows=lambda c: "vsl_"),
    Entry("POST", "/admin/nycklar", ADMIN, 200, body=lambda c: {"org_number": c.world.landlord.org_number},
          shows=lambda c: "vsl_"),
    Entry("POST", "/admin/nycklar/{prefix}/sparra", ADMIN, 303, lambda w: {"prefix": w.key_prefix()}, fresh=True,
          location=lambda c: f"/admin/hyresvardar?klart=sparrad&nyckel={c.params['prefix']}"),
    Entry("POST", "/admin/stadsdelar/{code}", ADMIN, 303, lambda w: {"code": HOME_DISTRICT},
          body=lambda c: {"phone": "08-508 12 000", "email": "sodermalm@stad.example", "address": "Box 4041"},
          location=lambda c: f"/admin/stadsdelar?klart={HOME_DISTRICT}#stadsdel-{HOME_DISTRICT}"),
    Entry("POST", "/admin/utskick/{message_id}/forsok-igen", ADMIN, 303, lambda w: {"message_id": w.failed_message()},
          fresh=True, location=lambda c: "/admin/utskick?klart=forsok-igen"),
    Entry("GET", "/admin/anvandare", ADMIN, 200, shows=lambda c: "assessor-elderly"),
    # The landlord portal's accounts, per landlord: the admin's (no case contents).
    Entry("GET", "/admin/hyresvardar/anvandare", ADMIN, 200, shows=lambda c: "Bostadsbolaget AB"),
    Entry("GET", "/admin/hyresvardar/{org}/anvandare", ADMIN, 200, lambda w: w.portal_user(),
          shows=lambda c: "@bostadsbolaget.example"),
    Entry("POST", "/admin/hyresvardar/{org}/anvandare", ADMIN, 200, lambda w: {"org": w.landlord.org_number},
          fresh=True, body=lambda c: {"email": f"ny-{c.world.new_username()}@bostadsbolaget.example"},
          shows=lambda c: "/hyresvard/lank/"),
    Entry("POST", "/admin/hyresvardar/{org}/anvandare/{user_id}/lank", ADMIN, 200, lambda w: w.portal_user(),
          fresh=True, shows=lambda c: "/hyresvard/lank/"),
    Entry("POST", "/admin/hyresvardar/{org}/anvandare/{user_id}/avaktivera", ADMIN, 200, lambda w: w.portal_user(),
          fresh=True, shows=lambda c: "avaktiverad"),
    Entry("POST", "/admin/anvandare", ADMIN, 303, lambda w: {"new": w.new_username()}, fresh=True,
          body=lambda c: {"username": c.params["new"], "role": "handler", "district": HOME_DISTRICT,
                          "password": TEST_PASSWORD},
          location=lambda c: f"/admin/anvandare?klart=skapad&anvandare={c.params['new']}"),
    Entry("POST", "/admin/anvandare/{username}/avaktivera", ADMIN, 303, lambda w: {"username": w.staff_user()},
          fresh=True, location=lambda c: f"/admin/anvandare?klart=avaktiverad&anvandare={c.params['username']}"),
    Entry("POST", "/admin/anvandare/{username}/aktivera", ADMIN, 303,
          lambda w: {"username": w.staff_user(active=False)}, fresh=True,
          location=lambda c: f"/admin/anvandare?klart=aktiverad&anvandare={c.params['username']}"),
    Entry("POST", "/admin/anvandare/losenord", ADMIN, 303, lambda w: {"user": w.staff_user()}, fresh=True,
          body=lambda c: {"username": c.params["user"], "password": "ett-nytt-lösenord-2026"},
          location=lambda c: f"/admin/anvandare?klart=losenord&anvandare={c.params['user']}"),
)

SESSION_PAGES = (
    # Signing out is everyone's who is signed in (it ends the session: the last call of each browser).
    Entry("POST", "/logga-ut", STAFF, 303, location=lambda c: "/logga-in"),
)

PAGE_ROWS = CASE_PAGES + INTAKE_PAGES + MANAGER_PAGES + ADMIN_PAGES + SESSION_PAGES
