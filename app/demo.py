"""Demo data for `varsel demo`: landlords, staff users of every role, and notices.

Idempotent: running the demo again reuses what exists and prints fresh API keys
(keys are stored only as hashes, so old ones cannot be shown again).

The landlord-API examples in `examples/` carry the dates of the day they were
written, and the contract refuses a `sent_on` more than a year back. So the demo
writes copies dated today into `VARSEL_STORAGE_DIR/examples/` (`refresh_example`:
every date moved by the same number of days, so that the newest is today, and
the day appended to each `external_id`) and its hint posts those.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import local_today
from app.config import Settings
from app.db import utcnow
from app.demo_history import DISTRICT_HANDLERS, seed_history
from app.files import write_private
from app.identity import format_identity_number as personnummer
from app.notices.schemas import NoticeIn
from app.notices.service import IntakeContext, receive
from app.routing.service import RouterProvider
from app.security import service as accounts
from app.security.actors import Actor
from app.security.models import Landlord, User

DEMO_PASSWORD = "demo-lösenord-2026"

DEMO_LANDLORDS = [
    ("Stockholmshem AB (demo)", "556035-9555"),
    ("Familjebostäder AB (demo)", "556035-9811"),
]

DEMO_USERS = [
    # username, role, district, unit, full name
    ("handlaggare.sodermalm", "handler", "sodermalm", None, "Sara Handläggare"),
    ("handlaggare2.sodermalm", "handler", "sodermalm", None, "Johan Handläggare"),
    ("chef.sodermalm", "manager", "sodermalm", None, "Maria Enhetschef"),
    ("aldre.sodermalm", "joint_assessor", "sodermalm", "elderly_care", "Eva Äldreomsorg"),
    ("barn.sodermalm", "joint_assessor", "sodermalm", "children_families", "Ali Barn och familj"),
    ("handlaggare.jarva", "handler", "jarva", None, "Leila Handläggare"),
    ("chef.jarva", "manager", "jarva", None, "Per Enhetschef"),
    ("mottagning", "intake", None, None, "Kim Mottagning"),
    ("admin", "admin", None, None, "Alex Administratör"),
]


@dataclass
class DemoCredentials:
    landlord_keys: list[tuple[str, str]] = field(default_factory=list)
    authority_key: str | None = None
    users: list[tuple[str, str]] = field(default_factory=list)

    def describe(self, base_url: str, examples: Path | None = None) -> str:
        lines = [
            "",
            "Varsel demo",
            f"  Staff UI:        {base_url}/",
            f"  API docs:        {base_url}/docs",
            f"  OpenAPI:         {base_url}/api/v1/openapi.json",
            f"  Health:          {base_url}/healthz  {base_url}/readyz  {base_url}/metrics",
            "",
            f"Staff users (password for all: {DEMO_PASSWORD}):",
        ]
        lines += [f"  {username:<26} {role}" for username, role in self.users]
        lines += ["", "Landlord API keys (new ones on every start):"]
        lines += [f"  {name}: {key}" for name, key in self.landlord_keys]
        if self.authority_key:
            lines += ["", f"Kronofogden API key: {self.authority_key}"]
        if examples is not None and self.landlord_keys:
            lines += ["", *_api_hint(base_url, self.landlord_keys[0][1], examples)]
        lines.append("")
        return "\n".join(lines)


def _api_hint(base_url: str, key: str, examples: Path) -> list[str]:
    """Commands to paste into a shell: a notice, the event that follows it, a batch."""
    post = f"curl -s -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json'"
    return [
        f"Try the landlord API with the examples (dated today, in {examples}/):",
        f"  {post} -d @{examples}/notice.json {base_url}/api/v1/notices",
        f"  ID=$({post} -d @{examples}/notice.json {base_url}/api/v1/notices"
        " | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"id\"])')",
        f"  {post} -d @{examples}/event.json {base_url}/api/v1/notices/$ID/events",
        f"  {post} -d @{examples}/batch.json {base_url}/api/v1/notices/batch",
    ]


def write_credentials(storage_dir: Path, text: str) -> Path:
    """The demo's users and keys in a file only its owner can read (they are live credentials)."""
    storage_dir.mkdir(parents=True, exist_ok=True)
    path = storage_dir / "demo-credentials.txt"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text.lstrip("\n"))
    path.chmod(0o600)  # an older file keeps its mode through O_CREAT
    return path


def _examples_dir() -> Path:
    """A checkout's `examples/`; in an installed package the copy the build put in `app/examples/`
    (setup.py). The package's own copy first: beside an installed package, `../examples` would be
    whatever else lies in site-packages under that name."""
    installed = Path(__file__).resolve().parent / "examples"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[1] / "examples"


EXAMPLES_DIR = _examples_dir()
EXAMPLE_FILES = ("notice.json", "batch.json", "event.json")


@lru_cache(maxsize=len(EXAMPLE_FILES))
def example_document(name: str) -> Any:
    """One of the example files as written (read once; the callers date their copies themselves)."""
    return json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8"))


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP_KEYS = frozenset({"eviction_at"})


def _dates(value: Any) -> list[date]:
    if isinstance(value, dict):
        return [d for item in value.values() for d in _dates(item)]
    if isinstance(value, list):
        return [d for item in value for d in _dates(item)]
    if isinstance(value, str) and _ISO_DATE.match(value):
        return [date.fromisoformat(value)]
    return []


def refresh_example(document: Any, today: date) -> Any:
    """The example with every date moved by one offset so that its newest date is `today`
    (intervals kept: "not in the future" and "not more than a year back" hold again), and
    `-YYYYMMDD` appended to each `external_id` (a new day's copy is a new notice, not a
    changed body under an old id, which the API would refuse with 409)."""
    found = _dates(document)
    shift = today - max(found) if found else timedelta(0)

    def walk(value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, str):
            if key == "external_id":
                return f"{value}-{today:%Y%m%d}"
            if _ISO_DATE.match(value):
                return (date.fromisoformat(value) + shift).isoformat()
            if key in _TIMESTAMP_KEYS:
                return (datetime.fromisoformat(value) + shift).isoformat()
        return value

    return walk(document)


def write_fresh_examples(storage_dir: Path, today: date, source: Path = EXAMPLES_DIR) -> Path | None:
    """Copies of `examples/*.json` dated `today`, for the demo's hint. None without the examples."""
    if not all((source / name).is_file() for name in EXAMPLE_FILES):
        return None
    target = storage_dir / "examples"
    target.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLE_FILES:
        document = json.loads((source / name).read_text(encoding="utf-8"))
        text = json.dumps(refresh_example(document, today), ensure_ascii=False, indent=2)
        (target / name).write_text(text + "\n", encoding="utf-8")
    return target


def seed_demo(session: Session, settings: Settings, progress: Callable[[str], None] = print) -> DemoCredentials:
    credentials = DemoCredentials()
    progress("demo: landlords and keys")
    for name, org_number in DEMO_LANDLORDS:
        landlord = session.scalar(select(Landlord).where(Landlord.name == name))
        if landlord is None:
            landlord, issued = accounts.create_landlord(session, settings, name=name, org_number=org_number)
        else:
            issued = accounts.create_landlord_key(session, settings, org_number=landlord.org_number)
        credentials.landlord_keys.append((name, issued.plaintext))
    _authority, issued = accounts.create_authority(session, settings, name="Kronofogden (demo)")
    credentials.authority_key = issued.plaintext
    progress("demo: staff users")
    district_handlers = [(username, "handler", district, None, name) for username, district, name in DISTRICT_HANDLERS]
    for username, role, district, unit, full_name in DEMO_USERS + district_handlers:
        if session.scalar(select(User).where(User.username == username)) is None:
            accounts.create_user(
                session, username=username, role=role, password=DEMO_PASSWORD, district_code=district,
                unit=unit, email=f"{username}@demo.varsel.example", full_name=full_name,
            )
        credentials.users.append((username, role))
    progress("demo: notices")
    landlord = session.scalar(select(Landlord).where(Landlord.name == DEMO_LANDLORDS[0][0]))
    created = seed_notices(session, settings, landlord)
    progress(f"demo: {created} new notices")
    progress("demo: twelve months of history")
    seed_history(session, settings, now=utcnow(), progress=progress)
    return credentials


def _demo_notices(today: date) -> list[dict[str, Any]]:
    def days_ago(n: int) -> str:
        return (today - timedelta(days=n)).isoformat()

    def rent(external_id: str, street: str, postal: str, city: str, apartment: str, tenants: list[dict[str, Any]],
             *, served: int | None, household: dict[str, Any] | None = None, amount: float = 16900.0) -> dict[str, Any]:
        return {
            "external_id": external_id, "kind": "rent_arrears", "sent_on": days_ago(3),
            "tenant_served_on": days_ago(served) if served is not None else None, "termination_on": days_ago(4),
            "property": {"street_address": street, "postal_code": postal, "city": city, "apartment_number": apartment,
                         "rooms": 2},
            "tenants": tenants, "household": household,
            "arrears": {"amount_sek": amount, "due_date": days_ago(20), "interest": "referensränta + 8 %",
                        "payment_instructions": "Bankgiro 123-4567, ange OCR 998877"},
            "contact": {"name": "Kim Lind", "phone": "08-123 456 00", "email": "kim.lind@example.se"},
        }

    def disturbance(external_id: str, kind: str, street: str, postal: str, city: str, apartment: str,
                    tenants: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "external_id": external_id, "kind": kind, "sent_on": days_ago(1),
            "termination_on": days_ago(2) if kind == "disturbance_termination" else None,
            "property": {"street_address": street, "postal_code": postal, "city": city, "apartment_number": apartment},
            "tenants": tenants,
            "disturbance": {"description": "Upprepade störningar nattetid enligt grannar.", "requested_on": days_ago(10)},
            "contact": {"name": "Kim Lind", "phone": "08-123 456 00"},
        }

    senior = personnummer(date(today.year - 67, 3, 4))
    young = personnummer(date(today.year - 34, 9, 12), "456")
    coord = personnummer(date(today.year - 70, 5, 8), "789", coordination=True)
    return [
        rent("DEMO-001", "Götgatan 30", "118 46", "Stockholm", "1102", [{"name": "Anna Andersson",
             "personal_identity_number": young}], served=4,
             household={"children_under_18": 2, "residents_65_or_older": 0, "consent": True}),
        rent("DEMO-002", "Hornsgatan 120", "117 28", "Stockholm", "1001", [{"name": "Bertil Berg",
             "personal_identity_number": senior}], served=None),
        rent("DEMO-003", "Ringvägen 52", "118 67", "Stockholm", "1203", [{"name": "Cecilia Carlsson"}], served=2),
        rent("DEMO-004", "Kistagången 12", "164 40", "Kista", "1305", [{"name": "Dalia Darwish",
             "personal_identity_number": coord}], served=3),
        rent("DEMO-005", "Sankt Eriksgatan 40", "112 34", "Stockholm", "1101", [{"name": "Erik Ek"}], served=5,
             household={"children_under_18": 0, "residents_65_or_older": 0, "consent": True}, amount=8450.0),
        rent("DEMO-006", "Okänd väg 3", "121 32", "Johanneshov", "1001", [{"name": "Fatima Farah"}], served=3),
        disturbance("DEMO-007", "disturbance_warning", "Folkungagatan 100", "116 30", "Stockholm", "1402",
                    [{"name": "Gustav Gran"}]),
        disturbance("DEMO-008", "disturbance_termination", "Fridhemsgatan 5", "112 40", "Stockholm", "1201",
                    [{"name": "Hanna Holm"}]),
    ]


def write_demo_register(storage_dir: Path) -> Path:
    """A file-backed population register for the demo (integrations/population_register/local.py)."""
    today = local_today()
    data = {
        "households": [
            {"street_address": "Ringvägen 52", "postal_code": "11867", "apartment_number": "1203",
             "residents": [{"birth_date": date(today.year - 41, 2, 3).isoformat(), "coordination_number": False},
                           {"birth_date": date(today.year - 9, 6, 1).isoformat(), "coordination_number": False}]},
            {"street_address": "Folkungagatan 100", "postal_code": "11630", "apartment_number": "1402",
             "residents": [{"birth_date": date(today.year - 72, 1, 9).isoformat(), "coordination_number": False}]},
        ],
        "persons": [],
    }
    path = storage_dir / "demo-population-register.json"
    write_private(path, json.dumps(data, indent=2).encode("utf-8"))
    return path


def seed_notices(session: Session, settings: Settings, landlord: Landlord) -> int:
    """Notices of every kind across districts, through the same service as the API. Idempotent."""
    now = utcnow()
    actor = Actor(kind="landlord", id=landlord.id, name=landlord.name)
    context = IntakeContext(settings=settings, routers=RouterProvider(settings.municipality), actor=actor, now=now)
    created = 0
    for body in _demo_notices(local_today(now)):
        _notice, new = receive(session, context, NoticeIn.model_validate(body), None)
        created += int(new)
    return created
