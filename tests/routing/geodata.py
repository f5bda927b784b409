"""Test data for routing: Stockholm's data pack — its district polygons and municipality.json."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from tests.conftest import BOUNDARIES_FILE, REPO, STOCKHOLM_PACK

__all__ = ["BOUNDARIES_FILE", "REPO", "boundaries_bytes", "municipality"]

MUNICIPALITY_FILE = STOCKHOLM_PACK / "municipality.json"


@lru_cache
def _municipality_text() -> str:
    return MUNICIPALITY_FILE.read_text(encoding="utf-8")


def municipality() -> dict[str, Any]:
    """A fresh copy of Stockholm's municipality.json (tests may change it)."""
    return json.loads(_municipality_text())


def boundaries_bytes() -> bytes:
    return BOUNDARIES_FILE.read_bytes()
