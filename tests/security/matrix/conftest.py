"""The matrix's world: every actor, signed in, and the things they call on."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from app.security import passwords
from tests.security.matrix.world import NOW, World


@pytest.fixture
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its production cost takes about 0.1 s a hash and as long a check; every row signs
    nine people in afresh. What the matrix tests is who may call what, not the hash (tests/security
    has the password tests), so here the hash is argon2id at its lowest cost."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def world(quick_password_hashing, app, client, db, settings, landlord, make_user) -> World:
    # Pinned, so that the notices' dates and the payment commitment's decision day are not in the future.
    app.state.clock = lambda: NOW
    return World(client, db, settings, landlord, make_user)
