"""The staff UI: server-rendered Swedish pages on the same services as the staff API.

Every form carries a CSRF token bound to the session; every page that shows a
case goes through the same scope and audit as the API (`app/cases/views.py`).
The pages are grouped by who uses them, one module each; this joins them.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.web import (
    admin_outbox_pages,
    admin_pages,
    audit_pages,
    case_pages,
    intake_pages,
    landlord_user_pages,
    manager_pages,
    queue_pages,
    report_pages,
    signin,
)

router = APIRouter(include_in_schema=False)
for module in (signin, queue_pages, case_pages, intake_pages, manager_pages, report_pages, audit_pages, admin_pages,
               admin_outbox_pages, landlord_user_pages):
    router.include_router(module.router)
