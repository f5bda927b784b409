"""The ASGI entry point for uvicorn (`varsel serve`): settings from the environment."""

from app.main import create_app
from app.startup import settle_memory

app = create_app()
settle_memory()  # what the app is made of stays for the process's life: out of the collector's way
