"""The caller of a request or a job, as the rest of the code sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

# "anonymous": someone not signed in, e.g. a failed sign-in (its address is all that is known).
# "landlord_user": a person signed in to the landlord portal; `id` is the landlord's (what it may see and
# send is the landlord's, exactly as with an API key), `name` says who (app/web/portal/session.py).
ActorKind = Literal["landlord", "landlord_user", "authority", "staff", "system", "anonymous"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: uuid.UUID | None
    name: str
    role: str | None = None
    district_id: uuid.UUID | None = None
    unit: str | None = None
    ip: str | None = None
    # A landlord calling with a test key (`ApiKey.test`): what it sends is stored as test data.
    test: bool = False

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    def has_role(self, *roles: str) -> bool:
        return self.kind == "staff" and self.role in roles


SYSTEM = Actor(kind="system", id=None, name="varsel")
