"""`varsel serve` as an operator starts it: a real process, a real port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from app import migrate


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_server_starts_without_deprecation_warnings(tmp_path):
    url = f"sqlite:///{tmp_path}/serve.db"
    migrate.upgrade(url)
    port = _free_port()
    env = {**os.environ, "VARSEL_DATABASE_URL": url, "VARSEL_STORAGE_DIR": str(tmp_path / "files"),
           "VARSEL_SCHEDULER_ENABLED": "false", "PYTHONWARNINGS": "error::DeprecationWarning"}
    process = subprocess.Popen([sys.executable, "-W", "error::DeprecationWarning", "-m", "app.cli", "serve",
                                "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[1]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz within 30 s"
            time.sleep(0.2)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=15)
    assert "Application startup complete" in stderr
    assert "Warning" not in stderr, stderr
