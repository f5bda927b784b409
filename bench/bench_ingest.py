"""Ingest benchmark (not part of the test run): Varsel beside a bare FastAPI endpoint, in one run.

1. single notices: `POST /api/v1/notices` of `varsel serve` (one worker, PostgreSQL) and a bare
   FastAPI endpoint that only validates the same body (bench/bare_app.py), in alternating rounds
   (`--rounds`, bare then Varsel, with the same wrk settings; the headline is the round of the median
   ratio, every round's ratio and p99 beside it): requests/s answered 2xx, their ratio,
   p50/p95/p99 latency, server RSS, and the CPU each request cost the server and PostgreSQL (from
   /proc: steadier between runs than the rates on a machine whose speed varies); and
   two floors under them, as ratios of the bare endpoint too: the middleware stack alone
   (`GET /healthz`: no key, no database) and an authenticated read (`GET /api/v1/notices?limit=1`:
   the key, the ORM session, the newest notice with its case and deadlines, the JSON answer);
   with `--idempotency-keys`, each single notice is sent with an Idempotency-Key of its own, as the
   integrators' guide's example sends them;
2. batches: `POST /api/v1/notices/batch`, N batches of 500 notices one after the other (after one
   more, not measured), notices/s, RSS and CPU per notice; then batches whose notices name people,
   first all new, then with a share (`--repeat-share`, 20 %) of second notices joining an open case
   (bench/repeat_batches.py), notices/s of each;
3. scale-out: `varsel serve --workers N` for N = 1, 2, 4: requests/s and p95, and notices/s of
   `--batches` batches of 500 sent N at a time (a month-end burst from a client that sends as many batches
   at once as there are workers; without `--skip-batch`); and, first of all
   (with the scheduler on, on the fresh database), exactly one scheduler leader among the workers —
   the advisory lock of `app/scheduler.py` counted in `pg_locks` at start and after the others'
   retry period, and one `scheduler_leader` line in the workers' log. The run fails otherwise.

Every server first gets 3 s of the same load, not measured (its steady state is measured, not its
first second). Both servers log as Varsel does in production (`VARSEL_ENV=production`): JSON lines
at INFO with one access line per request, written to files under a temporary folder (their line
counts are printed). The rate limit is raised out of the way; the measurements run without the scheduler, so
that they measure ingest alone (a leader's outbox run renders a PDF letter per rent-arrears notice).
The database is analyzed before each measurement (`analyze`): the statistics a production server's
autovacuum keeps, which a server with autovacuum off (this project's machine) never has.

    .venv/bin/python bench/bench_ingest.py [--database varsel_bench] [--duration 15] [--connections 4]
        [--rounds 3] [--idempotency-keys] [--batches 20] [--repeat-batches 5] [--repeat-share 0.2] [--workers 1,2,4] [--scale-connections 8] [--skip-scale] [--skip-batch]

Needs PostgreSQL (`--postgres`, default postgresql+psycopg://postgres@127.0.0.1:5432) and `wrk`
(apt-get install wrk). Drops and re-creates the database named by `--database`. On a shared or
small machine, compare the ratio, not the absolute figures: both sides run back to back.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import psycopg
from repeat_batches import repeat_batches  # beside this file (the script's folder is on the path)

from app.notices.schemas import EXAMPLE_NOTICE
from app.scheduler import LEADER_LOCK_KEY, LEADER_RETRY_SECONDS

REPO = Path(__file__).resolve().parents[1]
# Each server gets this much of the same load first, not measured: the figures are of a server in
# its steady state (connections opened, statements prepared, the key trusted), not of its first second.
WARM_UP_SECONDS = 3
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path
    workers: int = 1

    def pids(self) -> list[int]:
        """The serving processes: the workers under uvicorn's supervisor, or the one process."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        found = [int(p) for p in children.read_text().split()] if children.exists() else []
        workers = [p for p in found if _is_worker(p)]
        return workers if self.workers > 1 and workers else [self.process.pid]

    def rss_mb(self) -> list[float]:
        return [rss_mb(pid) for pid in self.pids()]

    def log_lines(self) -> int:
        with self.log.open("rb") as handle:
            return sum(1 for _ in handle)

    def log_count(self, text: str) -> int:
        return self.log.read_text(errors="replace").count(text)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _is_worker(pid: int) -> bool:
    """uvicorn's workers are spawned by multiprocessing (its resource tracker is a child too)."""
    try:
        return "spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def start(name: str, command: list[str], env: dict[str, str], logs: Path, workers: int = 1) -> Server:
    port = free_port()
    log = logs / f"{name}.log"
    handle = log.open("wb")
    process = subprocess.Popen([*command, "--port", str(port)], cwd=REPO, env=env, stdout=handle,
                               stderr=subprocess.STDOUT)
    server = Server(name, process, port, log, workers)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: see {log}")
        # Every worker has started once each logged it (uvicorn's line, through Varsel's JSON logs).
        if server.log_count("Application startup complete") >= workers:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1).status_code < 500:
                    return server
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not start within 120 s: see {log}")


@dataclass
class Load:
    requests: int
    non_2xx: int
    errors: int
    seconds: float
    p50: float
    p95: float
    p99: float
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ok_per_second(self) -> float:
        return (self.requests - self.non_2xx - self.errors) / self.seconds


def wrk(port: int, duration: int, connections: int, env: dict[str, str]) -> Load:
    threads = min(2, connections)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
                          "-s", "bench/notice.lua", f"http://127.0.0.1:{port}"],
                         cwd=REPO, env=env, check=True, capture_output=True, text=True).stdout
    line = re.search(r"^BENCH (.*)$", out, re.MULTILINE)
    if line is None:
        raise RuntimeError(f"wrk gave no summary:\n{out}")
    values = dict(pair.split("=") for pair in line.group(1).split())
    load = Load(int(values["requests"]), int(values["non2xx"]), int(values["errors"]), float(values["seconds"]),
                float(values["p50"]), float(values["p95"]), float(values["p99"]))
    if load.non_2xx or load.errors:
        print(f"  warning: {load.non_2xx} non-2xx answers, {load.errors} socket errors", file=sys.stderr)
    return load


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User and system CPU of each of these processes (all their threads), from /proc."""
    spent = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile: a PostgreSQL backend of a closed connection
        spent[pid] = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    return spent


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    """The CPU spent between two readings: a process started meanwhile counts whole; one that ended
    meanwhile (a backend whose connection closed) counts nothing, as /proc no longer knows it."""
    return sum(spent - before.get(pid, 0.0) for pid, spent in after.items())


def postgres_pids() -> list[int]:
    """Every PostgreSQL process on the machine: the backends, and the WAL writer, checkpointer …
    whose work the writes cause too."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                found.append(int(comm.parent.name))
        except OSError:
            pass
    return found


@dataclass
class CpuClock:
    """CPU seconds spent by a server and by PostgreSQL while it runs: per request or per notice, a figure
    that depends much less on how fast this (shared, 2-core) machine is that minute than the rates do."""

    server: Server
    started: tuple[dict[int, float], dict[int, float]] = field(default_factory=lambda: ({}, {}))
    spent: tuple[float, float] = (0.0, 0.0)

    def __enter__(self) -> CpuClock:
        self.started = (cpu_seconds(self.server.pids()), cpu_seconds(postgres_pids()))
        return self

    def __exit__(self, *_exc: object) -> None:
        server, postgres = self.started
        self.spent = (cpu_since(server, cpu_seconds(self.server.pids())),
                      cpu_since(postgres, cpu_seconds(postgres_pids())))

    def per(self, count: int) -> dict[str, float]:
        """Milliseconds of CPU per request (or notice): the server's, and PostgreSQL's."""
        return {"server_cpu_ms": self.spent[0] * 1000 / max(count, 1),
                "postgres_cpu_ms": self.spent[1] * 1000 / max(count, 1)}


def timed_wrk(server: Server, port: int, duration: int, connections: int, env: dict[str, str]) -> Load:
    """`wrk` with the server's and PostgreSQL's CPU per 2xx answer in `Load.extra`."""
    with CpuClock(server) as clock:
        load = wrk(port, duration, connections, env)
    load.extra.update(clock.per(load.requests - load.non_2xx - load.errors))
    return load


def driver_url(url: str) -> str:
    """psycopg's form of `--postgres` (SQLAlchemy's names its driver)."""
    return url.replace("postgresql+psycopg", "postgresql")


def leaders(url: str, database: str) -> int:
    """Sessions holding the scheduler's advisory lock in this database (pg_try_advisory_lock(bigint))."""
    with psycopg.connect(driver_url(url) + "/postgres") as connection:
        return connection.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = %s "
            "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s AND l.objsubid = 1",
            (database, LEADER_LOCK_KEY)).fetchone()[0]


def autovacuum(url: str) -> bool:
    with psycopg.connect(driver_url(url) + "/postgres") as connection:
        return connection.execute("SHOW autovacuum").fetchone()[0] == "on"


def analyze(url: str, database: str) -> None:
    """The planner's statistics as autovacuum keeps them on a production server (it analyzes a table
    once a tenth of it changed). A server with autovacuum off (as this project's machine) never
    does: PostgreSQL then plans for the empty tables the run began with. (Before intake's look-ups
    were planned each time they run, the tenancy look-up so hashed every notice for each new one,
    and each round ran slower than the one before.)"""
    with psycopg.connect(driver_url(url) + f"/{database}", autocommit=True) as db:
        db.execute("ANALYZE")


def batches(port: int, key: str, today: str, count: int, size: int, at_once: int = 1) -> tuple[float, int]:
    """`count` batches, `at_once` of them in flight at a time (one after the other with 1), after one more
    per client that is not measured (as the single notices' warm-up: the batch's own statements
    prepared, its plans made). Notices answered 201 per second of the whole."""
    template = {**EXAMPLE_NOTICE, "sent_on": today, "tenant_served_on": today, "termination_on": today}
    template["property"] = {**template["property"], "coordinates": None}
    run = secrets.token_hex(3)
    clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"},
                            timeout=600) for _ in range(at_once)]

    def send(client: httpx.Client, batch: int) -> int:
        items = [{**template, "external_id": f"BATCH-{run}-{batch}-{i}", "tenants": [{"name": "Anna Andersson"}]}
                 for i in range(size)]
        answer = client.post("/api/v1/notices/batch", json={"notices": items})
        answer.raise_for_status()
        return sum(1 for r in answer.json()["results"] if r["status"] == 201)

    def client_of(number: int) -> int:  # one client's share of the batches, one after the other
        return sum(send(clients[number], batch) for batch in range(number, count, at_once))

    try:
        for number, client in enumerate(clients):
            send(client, -1 - number)
        started = time.perf_counter()
        with ThreadPoolExecutor(at_once) as pool:
            stored = sum(pool.map(client_of, range(at_once)))
        elapsed = time.perf_counter() - started
    finally:
        for client in clients:
            client.close()
    return stored / elapsed, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="varsel_bench", help="re-created for the run")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk load per measurement")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the bare endpoint and Varsel")
    parser.add_argument("--idempotency-keys", action="store_true",
                        help="each single notice with an Idempotency-Key of its own")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--repeat-batches", type=int, default=5,
                        help="batches naming people, with none and with --repeat-share joining an open case (0: skip)")
    parser.add_argument("--repeat-share", type=float, default=0.2)
    parser.add_argument("--workers", default="1,2,4", help="worker counts for the scale-out")
    parser.add_argument("--scale-connections", type=int, default=8)
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.database):
        sys.exit("--database: lower-case letters, digits and _")

    load_before = os.getloadavg()
    autovacuum_on = autovacuum(args.postgres)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                    f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)", "-c", f"CREATE DATABASE {args.database}"],
                   check=True, capture_output=True)
    env = {
        **os.environ,
        # Production as an operator runs it: JSON logs at INFO, one access line per request.
        "VARSEL_ENV": "production",
        "VARSEL_SECRET_KEY": secrets.token_urlsafe(48),
        "VARSEL_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
        "VARSEL_DATABASE_URL": f"{args.postgres}/{args.database}",
        "VARSEL_SCHEDULER_ENABLED": "false",
        "VARSEL_RATE_LIMIT_PER_SECOND": "1000000",
        "VARSEL_RATE_LIMIT_BURST": "1000000",
    }
    for name in ("VARSEL_LOG_LEVEL", "VARSEL_LOG_JSON"):
        env.pop(name, None)
    print("migrating …", file=sys.stderr)
    subprocess.run([PYTHON, "-m", "app.cli", "db", "upgrade"], cwd=REPO, env=env, check=True, capture_output=True)
    key = subprocess.run([PYTHON, "-m", "app.cli", "landlords", "create", "--name", "Bench AB",
                          "--org-number", "556035-9555"], cwd=REPO, env=env, check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]
    today = date.today().isoformat()
    wrk_env = {**env, "VARSEL_BENCH_KEY": key, "VARSEL_BENCH_DATE": today,
               **({"VARSEL_BENCH_IDEMPOTENCY": "1"} if args.idempotency_keys else {})}
    logs = Path(tempfile.mkdtemp(prefix="varsel-bench-"))
    bare_command = [PYTHON, "-c", "import sys, uvicorn; uvicorn.run('bench.bare_app:app', port=int(sys.argv[2]), "
                                  "log_config=None, access_log=False, proxy_headers=False)"]
    serve = [PYTHON, "-m", "app.cli", "serve"]
    figures: dict[str, object] = {"load_average_before": load_before, "autovacuum": autovacuum_on}

    # 0. One scheduler leader however many workers: on the fresh database, before any notice, so that
    #    the leader's jobs find nothing to do (later, its outbox run renders every tenant's letter).
    worker_counts = [int(n) for n in args.workers.split(",")]
    leadership: dict[int, dict[str, int]] = {}
    if not args.skip_scale:
        scheduler_env = {**env, "VARSEL_SCHEDULER_ENABLED": "true"}
        for workers in worker_counts:
            print(f"leader: varsel serve --workers {workers}, scheduler on …", file=sys.stderr)
            server = start(f"leader-{workers}", [*serve, "--workers", str(workers)], scheduler_env, logs, workers)
            try:
                time.sleep(3)  # each worker tries for the lock as its scheduler starts
                first = leaders(args.postgres, args.database)
                time.sleep(LEADER_RETRY_SECONDS + 2)  # the others try again once: still one
                leadership[workers] = {"processes": len(server.pids()), "leaders_at_start": first,
                                       "leaders_later": leaders(args.postgres, args.database),
                                       "leader_log_lines": server.log_count('"scheduler_leader"')}
            finally:
                server.stop()

    # 1–2. Single notices side by side, in alternating rounds (bare, Varsel, bare, Varsel …: a drift of
    #      the machine's speed during the run touches both sides alike), then the floors and the batches.
    bare = start("bare", bare_command, env, logs)
    varsel = None
    try:
        varsel = start("varsel", serve, env, logs)
        print(f"single notices, bare FastAPI and Varsel on PostgreSQL, {args.connections} connections, "
              f"{args.rounds} rounds …", file=sys.stderr)
        wrk(bare.port, WARM_UP_SECONDS, args.connections, {**wrk_env, "VARSEL_BENCH_RUN": "bare-warm"})
        wrk(varsel.port, WARM_UP_SECONDS, args.connections, {**wrk_env, "VARSEL_BENCH_RUN": "warm"})
        rounds = []
        for number in range(args.rounds):
            analyze(args.postgres, args.database)
            bare_round = timed_wrk(bare, bare.port, args.duration, args.connections,
                                   {**wrk_env, "VARSEL_BENCH_RUN": f"bare{number}"})
            varsel_round = timed_wrk(varsel, varsel.port, args.duration, args.connections,
                                     {**wrk_env, "VARSEL_BENCH_RUN": f"single{number}"})
            rounds.append((bare_round, varsel_round))
        figures["bare_rss_mb"] = bare.rss_mb()[0]
        figures["varsel_rss_mb_after_single"] = varsel.rss_mb()[0]
        # Two floors, with the same wrk settings: an authenticated read through the same middleware,
        # dependencies, ORM session and JSON answer (GET /api/v1/notices?limit=1), and the middleware
        # stack alone (GET /healthz).
        analyze(args.postgres, args.database)
        floor = wrk(varsel.port, args.duration, args.connections, {**wrk_env, "VARSEL_BENCH_FLOOR": "1"})
        stack = wrk(varsel.port, args.duration, args.connections, {**wrk_env, "VARSEL_BENCH_STACK": "1"})
        figures["bare_log_lines"] = bare.log_lines()
        figures["varsel_log_lines"] = varsel.log_lines()
        bare.stop()
        if not args.skip_batch:
            print(f"batches: {args.batches} × {args.batch_size} …", file=sys.stderr)
            analyze(args.postgres, args.database)
            with CpuClock(varsel) as clock:
                rate, stored = batches(varsel.port, key, today, args.batches, args.batch_size)
            figures["batch_notices_per_s"], figures["batch_stored"] = rate, stored
            figures["batch_cpu"] = clock.per(stored)  # the warm-up batch's CPU too: a twentieth more
            figures["varsel_rss_mb_after_batch"] = varsel.rss_mb()[0]
            if args.repeat_batches:
                print(f"batches naming people, {args.repeat_batches} × {args.batch_size}: none and "
                      f"{args.repeat_share:.0%} joining an open case …", file=sys.stderr)
                with httpx.Client(base_url=f"http://127.0.0.1:{varsel.port}", timeout=600,
                                  headers={"Authorization": f"Bearer {key}"}) as client:
                    figures["repeats"] = []
                    for run, share in enumerate((0.0, args.repeat_share)):
                        analyze(args.postgres, args.database)
                        figures["repeats"].append(repeat_batches(
                            client, f"{driver_url(args.postgres)}/{args.database}", today, args.repeat_batches,
                            args.batch_size, share, run))
    finally:
        bare.stop()
        if varsel is not None:
            varsel.stop()
    # The headline is the round of the median ratio; every round's ratio and p99 are reported beside it.
    ratios = [v.ok_per_second / b.ok_per_second for b, v in rounds]
    bare_load, single = rounds[sorted(range(len(rounds)), key=ratios.__getitem__)[len(rounds) // 2]]
    figures["rounds"] = [{"bare": vars(b), "single": vars(v), "ratio": r} for (b, v), r in zip(rounds, ratios)]
    figures["bare"], figures["single"], figures["floor"], figures["stack"] = (vars(bare_load), vars(single), vars(floor),
                                                                               vars(stack))
    figures["single_ratio"] = single.ok_per_second / bare_load.ok_per_second

    # 3. Scale-out of ingest (the scheduler off, as in 1–2).
    scale: list[dict[str, object]] = []
    if not args.skip_scale:
        for workers in worker_counts:
            print(f"scale-out: varsel serve --workers {workers}, {args.scale_connections} connections …",
                  file=sys.stderr)
            server = start(f"workers-{workers}", [*serve, "--workers", str(workers)], env, logs, workers)
            try:
                wrk(server.port, WARM_UP_SECONDS, args.scale_connections, {**wrk_env, "VARSEL_BENCH_RUN": f"w{workers}-warm"})
                analyze(args.postgres, args.database)
                load = wrk(server.port, args.duration, args.scale_connections,
                           {**wrk_env, "VARSEL_BENCH_RUN": f"w{workers}"})
                # A month-end burst as batches, as many in flight as there are workers.
                batch_rate = None
                if not args.skip_batch:
                    analyze(args.postgres, args.database)
                    batch_rate, _ = batches(server.port, key, today, args.batches, args.batch_size, at_once=workers)
                scale.append({"workers": workers, "ok_per_second": load.ok_per_second, "p50": load.p50,
                              "p95": load.p95, "p99": load.p99, "rss_mb": server.rss_mb(),
                              "batch_notices_per_s": batch_rate, **leadership[workers]})
            finally:
                server.stop()
    figures["scale"] = scale
    figures["load_average_after"] = os.getloadavg()
    figures["logs"] = str(logs)
    report(figures, args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    if any(row["leaders_at_start"] != 1 or row["leaders_later"] != 1 or row["leader_log_lines"] != 1 for row in scale):
        sys.exit("FAILED: not exactly one scheduler leader (see the scale-out table)")


def report(f: dict, args: argparse.Namespace) -> None:
    bare, single = f["bare"], f["single"]
    bare_rate = (bare["requests"] - bare["non_2xx"] - bare["errors"]) / bare["seconds"]
    rate = (single["requests"] - single["non_2xx"] - single["errors"]) / single["seconds"]
    floor, stack = f["floor"], f["stack"]
    floor_rate = (floor["requests"] - floor["non_2xx"] - floor["errors"]) / floor["seconds"]
    stack_rate = (stack["requests"] - stack["non_2xx"] - stack["errors"]) / stack["seconds"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    rss = max(v for k, v in f.items() if k.startswith("varsel_rss_mb"))
    rows = [
        ("bare FastAPI, single notices (2xx/s)", f"{bare_rate:,.0f}", "", ""),
        ("Varsel, single notices (2xx/s)" + (", each with its own Idempotency-Key" if args.idempotency_keys else ""),
         f"{rate:,.0f}", "", ""),
        ("single-notice ratio (the round of the median ratio)", f"{f['single_ratio']:.3f}", "≥ 0.30",
         verdict(f["single_ratio"] >= 0.30)),
        (f"  each round's ratio ({len(f['rounds'])} rounds)", " / ".join(f"{r['ratio']:.3f}" for r in f["rounds"]),
         "", ""),
        ("  each round's p99 (ms)", " / ".join(f"{r['single']['p99']:.1f}" for r in f["rounds"]), "", ""),
        (f"single p50 / p95 / p99 at {args.connections} connections (ms)",
         f"{single['p50']:.1f} / {single['p95']:.1f} / {single['p99']:.1f}", "p99 ≤ 50", verdict(single["p99"] <= 50)),
        ("bare p50 / p95 / p99 (ms)", f"{bare['p50']:.1f} / {bare['p95']:.1f} / {bare['p99']:.1f}", "", ""),
        ("CPU per request, server + PostgreSQL (ms): bare / Varsel",
         f"{_cpu(bare)} / {_cpu(single)}", "", ""),
        ("  Varsel's, each round", " / ".join(_cpu(r["single"]) for r in f["rounds"]), "", ""),
        ("floor: the middleware stack alone, GET /healthz (2xx/s)",
         f"{stack_rate:,.0f} = {stack_rate / bare_rate:.3f}", "", ""),
        ("floor: authenticated GET /api/v1/notices?limit=1 (2xx/s)",
         f"{floor_rate:,.0f} = {floor_rate / bare_rate:.3f}", "", ""),
    ]
    if "batch_notices_per_s" in f:
        rows.append((f"batch ingest, {args.batches} × {args.batch_size} (notices/s)",
                     f"{f['batch_notices_per_s']:,.0f}", "≥ 2,000", verdict(f["batch_notices_per_s"] >= 2000)))
        rows.append(("  CPU per notice, server + PostgreSQL (ms)", _cpu({"extra": f["batch_cpu"]}), "", ""))
    for repeat in f.get("repeats", []):
        rows.append((f"  naming people, {repeat['share']:.0%} joining an open case (notices/s)",
                     f"{repeat['notices_per_s']:,.0f}", "", ""))
    rows.append(("server RSS, one worker (MB)", f"{rss:.0f}", "< 250", verdict(rss < 250)))
    rows.append(("log lines written (bare / Varsel)", f"{f['bare_log_lines']} / {f['varsel_log_lines']}", "", ""))
    width = max(len(r[0]) for r in rows)
    print(f"\nIngest on PostgreSQL — one run; load average {f['load_average_before'][0]:.2f} before, "
          f"{f['load_average_after'][0]:.2f} after ({os.cpu_count()} CPUs)")
    print(f"autovacuum {'on' if f['autovacuum'] else 'off'} on this server; the run analyzes the database before "
          "each round, the floors and the batches, as autovacuum keeps a production server's statistics")
    print(f"{'what':<{width}}  {'measured':>22}  {'target':>9}  verdict")
    for what, measured, target, ok in rows:
        print(f"{what:<{width}}  {measured:>22}  {target:>9}  {ok}")
    if f["scale"]:
        print(f"\nScale-out: varsel serve --workers N, {args.scale_connections} connections; scheduler leaders "
              "counted with the scheduler on (the advisory lock at start and after a retry period, and log lines)")
        if not args.skip_batch:
            print(f"batches: {args.batches} × {args.batch_size} notices, as many at a time as there are workers")
        print(f"{'workers':>7}  {'processes':>9}  {'2xx/s':>8}  {'p50 ms':>7}  {'p95 ms':>7}  {'batch notices/s':>15}  "
              f"{'RSS MB (each)':>22}  leaders (lock, lock later, log)")
        for row in f["scale"]:
            each = ", ".join(f"{v:.0f}" for v in row["rss_mb"])
            notices = "—" if row["batch_notices_per_s"] is None else f"{row['batch_notices_per_s']:,.0f}"
            print(f"{row['workers']:>7}  {row['processes']:>9}  {row['ok_per_second']:>8,.0f}  {row['p50']:>7.1f}  "
                  f"{row['p95']:>7.1f}  {notices:>15}  {each:>22}  {row['leaders_at_start']}, {row['leaders_later']}, "
                  f"{row['leader_log_lines']}")
    print(f"\nlogs: {f['logs']}")


def _cpu(load: dict) -> str:
    extra = load["extra"]
    return f"{extra['server_cpu_ms']:.2f} + {extra['postgres_cpu_ms']:.2f}"


if __name__ == "__main__":
    main()
