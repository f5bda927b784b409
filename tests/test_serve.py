"""`varsel serve` as an operator starts it: a real process, a real port."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

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


def _nodelay_of_an_accepted_connection(listening: socket.socket) -> int:
    """TCP_NODELAY on a connection an asyncio server accepts on `listening`, as a worker's does."""
    accepted: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def connect() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        async with server:
            _, writer = await asyncio.open_connection(*listening.getsockname()[:2])
            for _ in range(100):
                if accepted:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    # In a thread of its own: the suite's browser tests may leave an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, connect()).result(timeout=30)
    return accepted[0]


def test_the_workers_connections_turn_nagles_algorithm_off(monkeypatch):
    """`varsel serve --workers N` hands uvicorn's workers a listening socket marked as TCP
    (`app/http_workers.py`), so every connection they accept gets TCP_NODELAY, as one worker's do.
    Without it each keep-alive request after the first waited about 40 ms for the client's delayed
    acknowledgement: two workers answered 37 notices/s at 2 connections where one answered 273."""
    from app import http_workers

    handed: list[socket.socket] = []
    monkeypatch.setattr(http_workers, "Multiprocess",
                        lambda config, sockets: SimpleNamespace(run=lambda: handed.extend(sockets)))
    http_workers.run(uvicorn.Config("app.asgi:app", host="127.0.0.1", port=_free_port(), workers=2))
    (listening,) = handed
    assert listening.proto == socket.IPPROTO_TCP
    assert _nodelay_of_an_accepted_connection(listening) == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_runs_several_workers_through_the_supervisor_that_keeps_nodelay(monkeypatch, workers):
    from app import http_workers
    from app.cli import cli

    ran: list[tuple[str, int]] = []
    monkeypatch.setattr("app.cli.ready", lambda: SimpleNamespace(is_sqlite=False))
    monkeypatch.setattr(http_workers, "run", lambda config: ran.append(("supervisor", config.workers)))
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.append(("uvicorn", options["workers"])))
    result = CliRunner().invoke(cli, ["serve", "--workers", str(workers)])
    assert result.exit_code == 0, result.output
    assert ran == [("supervisor" if workers > 1 else "uvicorn", workers)]
