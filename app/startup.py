"""What happens when the application starts and stops (called from the lifespan)."""

from __future__ import annotations

from fastapi import FastAPI


def on_startup(app: FastAPI) -> None:
    pass


def on_shutdown(app: FastAPI) -> None:
    app.state.engine.dispose()
