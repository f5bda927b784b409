"""The ASGI entry point for uvicorn (`varsel serve`): settings from the environment."""

from app.main import create_app
from app.startup import SETTLE_AFTER_STARTUP, settle_memory

app = create_app()
settle_memory()  # what the app is made of stays for the process's life: out of the collector's way
setattr(app.state, SETTLE_AFTER_STARTUP, True)  # and what its start-up loads (app/startup.py: on_startup)
