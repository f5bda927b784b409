"""Where a batch's time goes, in process (not part of the test run).

Creates the app against PostgreSQL (the database `varsel_profile`, or `--database`,
re-created and migrated), posts `--batches` batches of 500 notices — the same items
`bench/bench_ingest.py` sends — through the ASGI app with httpx's ASGITransport,
and prints

1. wall and CPU time per batch request, without the profiler (after one warm-up batch);
2. a cProfile of as many batches again: the top 30 by cumulative and by own time;
3. the request side on its own: parsing the 500-item JSON body, pydantic validation
   of its notices, and encoding the 500 receipts of the answer.

Sync endpoints and dependencies normally run in anyio's worker threads, which cProfile
does not see; here `anyio.to_thread.run_sync` runs them inline, so the profile holds the
whole request (middleware, dependencies, the endpoint, the commit).

    .venv/bin/python bench/profile_batch.py [--database varsel_profile] [--batches 4]
        [--single 300]   # single notices (POST /api/v1/notices) instead of batches, per notice
        [--identity-numbers]   # give each tenant a personal identity number (encrypted + hashed)
        [--dump FILE]   # also write the profile, batches or single notices, to FILE (for pstats)

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, no password), like the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import pstats
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import anyio.to_thread
import httpx
from sqlalchemy import event

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.config import Settings  # noqa: E402
from app.db import transaction  # noqa: E402
from app.identity import luhn_check_digit  # noqa: E402
from app.main import create_app  # noqa: E402
from app.notices.schemas import EXAMPLE_NOTICE, NoticeIn  # noqa: E402
from app.security import service as accounts  # noqa: E402
from app.startup import settle_memory  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


async def _inline(func, *args, **_kwargs):  # anyio.to_thread.run_sync, without the thread
    return func(*args)


def _items(batch: int, today: str, identity_numbers: bool) -> list[dict]:
    template = {**EXAMPLE_NOTICE, "sent_on": today, "tenant_served_on": today, "termination_on": today}
    template["property"] = {**template["property"], "coordinates": None}
    items = []
    for i in range(500):
        tenant: dict = {"name": "Anna Andersson"}
        if identity_numbers:
            n = batch * 500 + i  # a person of their own: no item joins another's case
            yymmdd, serial = f"{30 + n % 70:02d}0101", f"{n // 70 % 999 + 1:03d}"  # 000 is never issued
            tenant["personal_identity_number"] = f"19{yymmdd}-{serial}{luhn_check_digit(yymmdd + serial)}"
        items.append({**template, "external_id": f"PROFILE-{batch}-{i}", "tenants": [tenant]})
    return items


def _print_stats(profile: cProfile.Profile, sort: str, limit: int = 40) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats(sort)
    if sort == "cumulative":  # below the framework's wrappers: the project's own functions
        stats.print_stats(re.escape(str(REPO)) + r"/(app|notifications)/", limit)
    else:
        stats.strip_dirs().sort_stats(sort).print_stats(limit)
    print(out.getvalue().replace(str(REPO) + "/", ""))


def _request_side(items: list[dict], receipts: list[dict]) -> None:
    body = json.dumps({"notices": items}).encode()
    rounds = 5
    started = time.process_time()
    for _ in range(rounds):
        json.loads(body)
    parse = (time.process_time() - started) / rounds
    started = time.process_time()
    for _ in range(rounds):
        for item in items:
            NoticeIn.model_validate(item)
    validate = (time.process_time() - started) / rounds
    from fastapi.encoders import jsonable_encoder
    from fastapi.responses import JSONResponse
    started = time.process_time()
    for _ in range(rounds):
        JSONResponse({"results": receipts}).body  # noqa: B018 - what post_batch's answer costs to encode
    encode = (time.process_time() - started) / rounds
    started = time.process_time()
    for _ in range(rounds):
        jsonable_encoder({"results": receipts})
    jsonable = (time.process_time() - started) / rounds
    print(f"request side, CPU per 500-notice batch: JSON parse {parse * 1000:.1f} ms, pydantic validation "
          f"{validate * 1000:.1f} ms, answer json.dumps {encode * 1000:.1f} ms, jsonable_encoder {jsonable * 1000:.1f} ms "
          f"(body {len(body) / 1024:.0f} KiB)")


class _GcClock:
    """Time spent in the garbage collector while `on`."""

    def __init__(self) -> None:
        self.on = False
        self.spent = 0.0
        self.collections = [0, 0, 0]
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if not self.on:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.spent += time.perf_counter() - self._started
            self.collections[info["generation"]] += 1


class _StatementClock:
    """Wall time per SQL statement (its first 70 characters), summed over the profiled batches."""

    def __init__(self, engine) -> None:
        self.on = False
        self.spent: dict[str, list[float]] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, statement, *_args) -> None:
        conn.info["started"] = time.perf_counter()

    def _after(self, conn, _cursor, statement, *_args) -> None:
        if self.on:
            entry = self.spent.setdefault(" ".join(statement.split())[:70], [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - conn.info["started"]

    def report(self, batches: int) -> None:
        print(f"SQL statements, wall ms per request (execute only; {batches} requests):")
        for statement, (count, spent) in sorted(self.spent.items(), key=lambda kv: -kv[1][1])[:15]:
            print(f"  {spent / batches * 1000:7.1f} ms  {count / batches:5.1f}×  {statement}")
        print()


async def _run_single(app, key: str, args: argparse.Namespace) -> None:
    """`--single N`: N single notices (`POST /api/v1/notices`, the body of bench/notice.lua) timed, then
    N more under cProfile and the statement clock; per notice."""
    today = date.today().isoformat()
    template = {**EXAMPLE_NOTICE, "sent_on": today, "tenant_served_on": today, "termination_on": today}
    template["property"] = {**template["property"], "coordinates": None}
    transport = httpx.ASGITransport(app=app)
    profile = cProfile.Profile()
    clock = _StatementClock(app.state.engine)
    count = args.single
    async with httpx.AsyncClient(transport=transport, base_url="http://varsel", timeout=None,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        async def send(i: int) -> None:
            body = {**template, "external_id": f"PROFILE-ONE-{i}", "tenants": [{"name": "Anna Andersson"}]}
            answer = await client.post("/api/v1/notices", json=body)
            assert answer.status_code == 201, answer.text

        for i in range(20):  # warm-up: the key trusted, the statements prepared
            await send(-1 - i)
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(count):
            await send(i)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{count} single notices, not profiled: wall {wall / count * 1000:.2f} ms, CPU "
              f"{cpu / count * 1000:.2f} ms per notice (in process: no HTTP server, no network)\n")
        clock.on = True
        profile.enable()
        for i in range(count, 2 * count):
            await send(i)
        profile.disable()
        clock.on = False
    if args.dump:
        profile.dump_stats(args.dump)
    clock.report(count)
    _print_stats(profile, "cumulative")
    _print_stats(profile, "tottime")


async def _run(app, key: str, args: argparse.Namespace) -> None:
    today = date.today().isoformat()
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {key}"}
    profile = cProfile.Profile()
    clock = _StatementClock(app.state.engine)
    collector = _GcClock()
    walls, cpus = [], []
    last: list[dict] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://varsel", headers=headers, timeout=None) as client:
        # One warm-up batch; then `--batches` timed without the profiler (its overhead would inflate
        # them); then `--batches` under cProfile, the statement clock and the GC clock.
        timed: list[tuple[float, float]] = []
        for batch in range(2 * args.batches + 1):
            items = _items(batch, today, args.identity_numbers)
            profiled = batch > args.batches
            wall, cpu = time.perf_counter(), time.process_time()
            if profiled:
                clock.on = collector.on = True
                profile.enable()
            answer = await client.post("/api/v1/notices/batch", json={"notices": items})
            if profiled:
                profile.disable()
                clock.on = collector.on = False
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            elif batch:
                timed.append((time.perf_counter() - wall, time.process_time() - cpu))
            answer.raise_for_status()
            results = answer.json()["results"]
            statuses = {r["status"] for r in results}
            assert statuses == {201}, [r for r in results if r["status"] != 201][:2]
            last = [r for r in results]
    wall = sum(w for w, _ in timed) / len(timed)
    print(f"{len(timed)} batches of 500, not profiled: wall {wall:.3f} s, CPU "
          f"{sum(c for _, c in timed) / len(timed):.3f} s per batch; {500 / wall:.0f} notices/s in process "
          f"(no HTTP server, no network)")
    print(f"{len(walls)} batches of 500, profiled: wall {sum(walls) / len(walls):.3f} s, CPU "
          f"{sum(cpus) / len(cpus):.3f} s per batch; garbage "
          f"collector {collector.spent / len(walls) * 1000:.0f} ms per batch (collections by generation "
          f"{collector.collections}; gc.freeze() at start-up: {gc.get_freeze_count()} objects frozen)\n")
    if args.dump:
        profile.dump_stats(args.dump)
    clock.report(len(walls))
    _print_stats(profile, "cumulative")
    _print_stats(profile, "tottime")
    _request_side(_items(999, today, args.identity_numbers), last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="varsel_profile", help="the database to (re-)create and use")
    parser.add_argument("--batches", type=int, default=4, help="timed batches, and as many profiled (after one warm-up)")
    parser.add_argument("--single", type=int, default=0,
                        help="profile this many single notices (POST /api/v1/notices) instead of batches")
    parser.add_argument("--dump", help="also write the profile to this file (for pstats)")
    parser.add_argument("--identity-numbers", action="store_true", help="tenants with personal identity numbers")
    args = parser.parse_args()
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                    f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)", "-c", f"CREATE DATABASE {args.database}"],
                   check=True)
    settings = Settings(database_url=f"{PG}/{args.database}", scheduler_enabled=False, log_level="WARNING",
                        rate_limit_per_second=100000, rate_limit_burst=100000)
    from app.cli import upgrade_database
    upgrade_database(settings)  # as `varsel db upgrade`: the schema, the districts and their boundaries
    app = create_app(settings)
    with transaction(app.state.sessionmaker) as session:
        _, issued = accounts.create_landlord(session, settings, name="Profil AB", org_number="556035-9555")
        key = issued.plaintext
    settle_memory()  # as app/asgi.py does after create_app
    anyio.to_thread.run_sync = _inline
    asyncio.run(_lifespan_and_run(app, key, args))


async def _lifespan_and_run(app, key: str, args: argparse.Namespace) -> None:
    async with app.router.lifespan_context(app):
        await (_run_single if args.single else _run)(app, key, args)


if __name__ == "__main__":
    main()
