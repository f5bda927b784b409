"""Where each domain's routers join the application."""

from __future__ import annotations

from fastapi import FastAPI


def include_domain_routers(app: FastAPI) -> None:
    pass
