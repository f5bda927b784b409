"""Where each domain's routers join the application."""

from __future__ import annotations

import warnings
from pathlib import Path

import authlib.deprecate
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.cases.api import router as staff_router
from app.notices.kronofogden import router as kronofogden_router
from app.notices.api import router as notices_router
from app.notices.csv_template import router as csv_template_router
from app.reports.api import router as reports_router
from app.security.admin_api import router as admin_users_router
from app.web.errors import install_page_errors

# authlib (OIDC sign-in) warns on import that it uses httpx rather than its new "httpx2"
# package. Our code calls nothing deprecated, and Varsel's HTTP clients are httpx; the
# warning would only tell operators something they cannot act on at every start.
warnings.filterwarnings("ignore", message="The httpx module is deprecated",
                        category=authlib.deprecate.AuthlibDeprecationWarning)
from app.web.oidc import router as oidc_router  # noqa: E402 - after the filter above
from app.web.routes import router as web_router  # noqa: E402
from app.web.portal import install_portal_errors, router as portal_router  # noqa: E402


STATIC = Path(__file__).resolve().parent / "web" / "static"


def include_domain_routers(app: FastAPI) -> None:
    app.include_router(csv_template_router)  # before notices_router: its /{notice_id} would take the name
    app.include_router(notices_router)
    app.include_router(staff_router)
    app.include_router(kronofogden_router)
    app.include_router(reports_router)
    app.include_router(admin_users_router)
    app.include_router(web_router)
    app.include_router(portal_router)
    app.include_router(oidc_router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    install_page_errors(app)
    install_portal_errors(app)
