"""The landlord-API examples in `examples/` are accepted by the API — dated today, as the
demo writes them — and the demo's hint posts those copies."""

from __future__ import annotations

import json
from datetime import date, timedelta

from typer.testing import CliRunner

from app.calendar import local_today
from app.cli import cli
from app.demo import EXAMPLE_FILES, EXAMPLES_DIR, refresh_example, write_fresh_examples
from app.identity import is_valid_identity_number

runner = CliRunner()


def example(name: str, today: date | None = None) -> dict:
    return refresh_example(json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8")), today or local_today())


def test_each_example_is_accepted_by_the_api(env_settings, client, landlord):
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0  # the pack's boundaries: notice.json has a point
    answer = client.post("/api/v1/notices", headers=landlord.headers, json=example("notice.json"))
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    # 121 77 is a postal code the table leaves to others; the coordinates route it.
    assert receipt["district"] == {"code": "enskede-arsta-vantor", "name": "Enskede-Årsta-Vantör"}
    assert [d["estimated"] for d in receipt["deadlines"]][0] is True  # not served yet: estimated
    again = client.post("/api/v1/notices", headers=landlord.headers, json=example("notice.json"))
    assert again.status_code == 200 and again.json()["id"] == receipt["id"]

    event = client.post(f"/api/v1/notices/{receipt['id']}/events", headers=landlord.headers,
                        json=example("event.json"))
    assert event.status_code == 201, event.text
    assert event.json()["deadlines"][0]["estimated"] is False

    batch = client.post("/api/v1/notices/batch", headers=landlord.headers, json=example("batch.json"))
    assert batch.status_code == 200, batch.text
    assert [r["status"] for r in batch.json()["results"]] == [201, 201, 201]


def test_the_examples_stay_valid_a_year_and_more_from_now(env_settings, client, landlord):
    """A copy made for any later day passes "not more than 1 year back" and "not in the future"."""
    later = local_today()
    stale = later - timedelta(days=800)
    old = client.post("/api/v1/notices/batch", headers=landlord.headers, json=example("batch.json", stale))
    assert [r["status"] for r in old.json()["results"]] == [422, 422, 422]  # what a fixed file would become
    moved = refresh_example(example("batch.json", stale), later)
    assert max(_all_dates(moved)) == later
    answer = client.post("/api/v1/notices/batch", headers=landlord.headers, json=moved)
    assert [r["status"] for r in answer.json()["results"]] == [201, 201, 201]


def test_refreshing_keeps_the_intervals_and_makes_a_new_day_a_new_notice():
    original = json.loads((EXAMPLES_DIR / "notice.json").read_text(encoding="utf-8"))
    moved = refresh_example(original, date(2031, 3, 3))
    assert moved["sent_on"] == "2031-03-03"
    gap = date.fromisoformat(original["sent_on"]) - date.fromisoformat(original["arrears"]["due_date"])
    assert date.fromisoformat(moved["sent_on"]) - date.fromisoformat(moved["arrears"]["due_date"]) == gap
    assert moved["external_id"] == original["external_id"] + "-20310303"
    assert moved["tenants"] == original["tenants"]
    event = refresh_example({"type": "eviction_scheduled", "occurred_on": "2026-11-21",
                             "eviction_at": "2027-01-14T09:00:00+01:00"}, date(2026, 11, 23))
    assert event == {"type": "eviction_scheduled", "occurred_on": "2026-11-23",
                     "eviction_at": "2027-01-16T09:00:00+01:00"}


def test_the_examples_name_fictitious_people_with_valid_identity_numbers():
    numbers = [t["personal_identity_number"] for name in ("notice.json", "batch.json")
               for n in _notices(json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8")))
               for t in n["tenants"] if t.get("personal_identity_number")]
    assert len(numbers) >= 3
    assert all(is_valid_identity_number(n, today=local_today()) for n in numbers)


def test_the_demo_writes_todays_copies_and_its_hint_posts_them(env_settings):
    result = runner.invoke(cli, ["demo", "--seed-only"])
    assert result.exit_code == 0, result.output
    folder = (env_settings.storage_dir / "examples").resolve()
    for name in EXAMPLE_FILES:
        copy = json.loads((folder / name).read_text(encoding="utf-8"))
        assert copy == example(name)
        assert f"-d @{folder}/{name} " in result.stdout
    assert "/api/v1/notices/$ID/events" in result.stdout


def test_without_the_examples_folder_there_is_no_hint(tmp_path):
    assert write_fresh_examples(tmp_path / "files", local_today(), source=tmp_path / "nowhere") is None


def _notices(document: dict) -> list[dict]:
    return document.get("notices", [document])


def _all_dates(value) -> list[date]:
    if isinstance(value, dict):
        return [d for v in value.values() for d in _all_dates(v)]
    if isinstance(value, list):
        return [d for v in value for d in _all_dates(v)]
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return [date.fromisoformat(value)]
    return []
