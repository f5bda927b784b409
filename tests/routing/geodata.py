"""Shared test data for routing: the shared boundary file and the municipality pack.

The district polygons are not part of the project (the operator imports them);
tests read them from ``../shared/data/`` beside the repository and are skipped,
with the reason, when that folder is absent.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO / ".." / "shared" / "data"
BOUNDARIES_FILE = SHARED_DATA / "stockholm-districts-2023.geojson"
MUNICIPALITY_FILE = REPO / "app" / "routing" / "data" / "stockholm" / "municipality.json"

requires_boundaries = pytest.mark.skipif(
    not BOUNDARIES_FILE.is_file(),
    reason=f"the shared district boundaries are not at {BOUNDARIES_FILE.resolve()} "
    "(tests read them from ../shared/data beside the repository)",
)


@lru_cache
def _municipality_text() -> str:
    return MUNICIPALITY_FILE.read_text(encoding="utf-8")


def municipality() -> dict[str, Any]:
    """A fresh copy of Stockholm's municipality.json (tests may change it)."""
    return json.loads(_municipality_text())


def boundaries_bytes() -> bytes:
    return BOUNDARIES_FILE.read_bytes()
