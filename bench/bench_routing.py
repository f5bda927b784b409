"""Benchmark: routing notices with loaded data (no database).

    .venv/bin/python bench/bench_routing.py [--boundaries PATH] [-n 10000]

Loads the district boundaries (default: the Stockholm data pack's
app/routing/data/stockholm/stockholm-districts-2023.geojson), the shipped postal-code table and a synthetic address
register of 50,000 entries, then routes N notices along each path and prints
routes per second and microseconds per route:

    coordinates  the notice carries coordinates (point in polygon, STRtree)
    register     an exact address-register match
    postal       no coordinates, not in the register: the postal-code table

Not collected by pytest; not part of CI.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.routing.boundaries import read_boundaries
from app.routing.addresses import AddressEntry
from app.routing.engine import Router, RoutingData, RoutingInput
from app.routing.postal import PostalTable

DEFAULT_BOUNDARIES = REPO / "app" / "routing" / "data" / "stockholm" / "stockholm-districts-2023.geojson"
POSTAL_BY_DISTRICT = {
    "sodermalm": ["116", "118"],
    "norra-innerstaden": ["113", "114", "115"],
    "kungsholmen": ["112"],
    "bromma": ["167", "168"],
    "hasselby-vallingby": ["162", "165"],
    "jarva": ["164"],
    "farsta": ["123"],
    "skarholmen": ["127"],
}


def street_name(i: int) -> str:
    """A synthetic street name without digits ('Testgatan aab')."""
    letters = ""
    for _ in range(3):
        i, rest = divmod(i, 26)
        letters = chr(ord("a") + rest) + letters
    return f"Testgatan {letters}"


def random_points(router: Router, count: int, rng: random.Random) -> list[tuple[float, float, str]]:
    """Points inside districts, drawn uniformly over the districts' bounding box."""
    points: list[tuple[float, float, str]] = []
    while len(points) < count:
        lat, lon = rng.uniform(59.22, 59.45), rng.uniform(17.75, 18.21)
        district = router.district_at(lat, lon)
        if district is not None:
            points.append((lat, lon, district))
    return points


def timed(router: Router, inputs: list[RoutingInput]) -> tuple[float, object]:
    start = time.perf_counter()
    last = None
    for inp in inputs:
        last = router.route(inp)
    return time.perf_counter() - start, last


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--boundaries", type=Path, default=DEFAULT_BOUNDARIES)
    parser.add_argument("-n", type=int, default=10_000, help="routings per path")
    args = parser.parse_args()
    if not args.boundaries.is_file():
        sys.exit(f"boundary file not found: {args.boundaries}")

    municipality = json.loads(
        (REPO / "app/routing/data/stockholm/municipality.json").read_text(encoding="utf-8")
    )
    rng = random.Random(20260101)

    t0 = time.perf_counter()
    boundaries = read_boundaries(args.boundaries.read_bytes(), args.boundaries.name, municipality)
    t1 = time.perf_counter()
    postal = PostalTable.shipped("stockholm")
    register = [
        AddressEntry(street_name(i // 100), str(i % 100 + 1), "11846", "sodermalm")
        for i in range(50_000)
    ]
    data = RoutingData.build(
        boundaries=boundaries.as_routing_boundaries(),
        boundaries_version=boundaries.version,
        addresses=register,
        addresses_version="bench",
        postal_codes=postal,
        municipality=municipality,
    )
    t2 = time.perf_counter()
    router = Router(data)
    print(
        f"read boundaries: {(t1 - t0) * 1000:.1f} ms; build routing data (50,000 register entries): {(t2 - t1) * 1000:.1f} ms"
    )

    n = args.n
    points = random_points(router, n, rng)
    coordinates = [
        RoutingInput(f"Okändgatan {i % 90 + 1}", "999 99", "Stockholm", lat=lat, lon=lon)
        for i, (lat, lon, _) in enumerate(points)
    ]
    registered = [
        RoutingInput(f"{street_name(i // 100)} {i % 100 + 1}, lgh 1102", "118 46", "Stockholm")
        for i in rng.sample(range(50_000), n)
    ]
    prefixes = [p for codes in POSTAL_BY_DISTRICT.values() for p in codes]
    by_postal = [
        RoutingInput(
            f"Okändgatan {i % 90 + 1}",
            f"{rng.choice(prefixes)} {rng.randrange(100):02d}",
            "Stockholm",
        )
        for i in range(n)
    ]

    for inputs, expected_method in (
        (coordinates, "boundaries"),
        (registered, "address_register"),
        (by_postal, "postal_code"),
    ):
        router.route(inputs[0])  # warm up
        assert router.route(inputs[0]).method == expected_method  # type: ignore[union-attr]

    print(f"{'path':<12} {'routes':>7} {'routes/s':>10} {'µs/route':>9}")
    for name, inputs in (
        ("coordinates", coordinates),
        ("register", registered),
        ("postal", by_postal),
    ):
        best = min(timed(router, inputs)[0] for _ in range(3))
        print(
            f"{name:<12} {len(inputs):>7} {len(inputs) / best:>10,.0f} {best / len(inputs) * 1e6:>9.1f}"
        )


if __name__ == "__main__":
    main()
