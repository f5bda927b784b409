"""Ingest benchmark (not part of the test run).

Side by side in one run, same uvicorn settings (one worker, no access log):
1. single-notice ingest: Varsel's POST /api/v1/notices on PostgreSQL vs a bare
   FastAPI endpoint that only validates the same body (bench/bare_app.py), with wrk;
2. batch ingest: POST /api/v1/notices/batch with 500 notices per request, notices/s;
3. the server's resident memory under that load.

    .venv/bin/python bench/bench_ingest.py [--duration 15] [--connections 16] [--batches 20] [--database varsel_bench]

Needs PostgreSQL on 127.0.0.1:5432 and `wrk` (apt-get install wrk). Uses and
re-creates the database `varsel_bench` (or `--database`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from app.notices.schemas import EXAMPLE_NOTICE

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "varsel_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, env=env, cwd=REPO, **kwargs)


def server(app: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen([PYTHON, "-m", "uvicorn", app, "--port", str(port), "--no-access-log",
                                "--log-level", "warning"], cwd=REPO, env=env)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=0.5)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{app} did not start")


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def wrk(port: int, duration: int, connections: int, env: dict[str, str]) -> float:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", "bench/notice.lua",
                          f"http://127.0.0.1:{port}"], cwd=REPO, env=env, check=True, capture_output=True,
                         text=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        print(f"  warning: {non_2xx.group(1)} non-2xx answers", file=sys.stderr)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--database", default=DATABASE, help="the database to (re-)create and use")
    args = parser.parse_args()
    database = args.database
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")

    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
                    "-c", f"CREATE DATABASE {database}"], check=True)
    env = {**os.environ, "VARSEL_DATABASE_URL": f"{PG}/{database}", "VARSEL_SCHEDULER_ENABLED": "false",
           "VARSEL_RATE_LIMIT_PER_SECOND": "100000", "VARSEL_RATE_LIMIT_BURST": "100000", "VARSEL_LOG_LEVEL": "WARNING"}
    print("migrating …", file=sys.stderr)
    run([PYTHON, "-m", "app.cli", "db", "upgrade"], env=env, capture_output=True)
    key = run([PYTHON, "-m", "app.cli", "landlords", "create", "--name", "Bench AB", "--org-number", "556035-9555"],
              env=env, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    today = date.today().isoformat()
    wrk_env = {**env, "VARSEL_BENCH_KEY": key, "VARSEL_BENCH_DATE": today}

    results: dict[str, float] = {}
    bare_port, varsel_port = free_port(), free_port()
    bare = server("bench.bare_app:app", bare_port, env)
    varsel = server("app.asgi:app", varsel_port, env)
    try:
        print("single notices: bare FastAPI validation …", file=sys.stderr)
        results["bare_rps"] = wrk(bare_port, args.duration, args.connections, wrk_env)
        print("single notices: Varsel on PostgreSQL …", file=sys.stderr)
        results["varsel_rps"] = wrk(varsel_port, args.duration, args.connections, wrk_env)
        results["varsel_rss_mb_after_single"] = rss_mb(varsel.pid)

        print(f"batches of 500: {args.batches} requests …", file=sys.stderr)
        template = {**EXAMPLE_NOTICE, "sent_on": today, "tenant_served_on": today, "termination_on": today}
        template["property"] = {**template["property"], "coordinates": None}
        headers = {"Authorization": f"Bearer {key}"}
        started = time.perf_counter()
        stored = 0
        with httpx.Client(base_url=f"http://127.0.0.1:{varsel_port}", headers=headers, timeout=120) as client:
            for batch in range(args.batches):
                items = [{**template, "external_id": f"BATCH-{batch}-{i}", "tenants": [{"name": "Anna Andersson"}]}
                         for i in range(500)]
                answer = client.post("/api/v1/notices/batch", json={"notices": items})
                answer.raise_for_status()
                stored += sum(1 for r in answer.json()["results"] if r["status"] == 201)
        elapsed = time.perf_counter() - started
        results["batch_notices_per_s"] = stored / elapsed
        results["varsel_rss_mb_after_batch"] = rss_mb(varsel.pid)
    finally:
        for process in (bare, varsel):
            process.terminate()
            process.wait(timeout=10)

    results["single_ratio"] = results["varsel_rps"] / results["bare_rps"]
    print(json.dumps({k: round(v, 3) for k, v in results.items()}, indent=2))
    print(f"single-notice ingest: {results['varsel_rps']:.0f} req/s = {results['single_ratio']:.0%} of bare FastAPI "
          f"({results['bare_rps']:.0f} req/s); target ≥ 30 %")
    print(f"batch ingest: {results['batch_notices_per_s']:.0f} notices/s; target ≥ 2000")
    print(f"server RSS: {results['varsel_rss_mb_after_batch']:.0f} MB; target < 250 MB")


if __name__ == "__main__":
    main()
