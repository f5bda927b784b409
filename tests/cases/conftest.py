from __future__ import annotations

import copy
from datetime import date, datetime, timezone
from typing import Any

import pytest

from app.notices.schemas import EXAMPLE_NOTICE

NOW = datetime(2026, 11, 20, 8, 14, 3, tzinfo=timezone.utc)  # Friday 09:14 in Stockholm
ADDRESSES = {
    "sodermalm": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm"},
    "jarva": {"street_address": "Kistagången 12", "postal_code": "164 40", "city": "Kista"},
}


@pytest.fixture(autouse=True)
def pinned_clock(app):
    app.state.clock = lambda: NOW
    return NOW


@pytest.fixture
def notice_body():
    counter = iter(range(1, 10_000))

    def build(*, district: str = "sodermalm", apartment: str | None = "1102", **overrides: Any) -> dict[str, Any]:
        body = copy.deepcopy(EXAMPLE_NOTICE)
        body["external_id"] = f"T-{next(counter):05d}"
        body["property"] = {**ADDRESSES[district], "apartment_number": apartment, "rooms": 2}
        body["household"] = None
        body.update(overrides)
        return body

    return build


@pytest.fixture
def send(client, landlord):
    def post(body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        answer = client.post("/api/v1/notices", json=body, headers=headers or landlord.headers)
        assert answer.status_code == 201, answer.text
        return answer.json()

    return post
