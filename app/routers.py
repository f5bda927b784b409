"""Where each domain's routers join the application."""

from __future__ import annotations

from fastapi import FastAPI

from app.cases.api import router as staff_router
from app.cases.kronofogden import router as kronofogden_router
from app.notices.api import router as notices_router


def include_domain_routers(app: FastAPI) -> None:
    app.include_router(notices_router)
    app.include_router(staff_router)
    app.include_router(kronofogden_router)
