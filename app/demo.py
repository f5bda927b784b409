"""Demo data for `varsel demo`: landlords, staff users of every role, and notices.

Idempotent: running the demo again reuses what exists and prints fresh API keys
(keys are stored only as hashes, so old ones cannot be shown again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.security import service as accounts
from app.security.models import Authority, Landlord, User

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

    def describe(self, base_url: str) -> str:
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
        lines += [
            "",
            "Try:",
            f"  curl -s {base_url}/api/v1/notices -H 'Authorization: Bearer <landlord key>' "
            "-H 'Content-Type: application/json' -d @notice.json",
            "",
        ]
        return "\n".join(lines)


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
    for username, role, district, unit, full_name in DEMO_USERS:
        if session.scalar(select(User).where(User.username == username)) is None:
            accounts.create_user(
                session, username=username, role=role, password=DEMO_PASSWORD, district_code=district,
                unit=unit, email=f"{username}@demo.varsel.example", full_name=full_name,
            )
        credentials.users.append((username, role))
    if session.scalar(select(Authority).limit(1)) is None:  # pragma: no cover - created above
        raise RuntimeError("authority missing")
    return credentials
