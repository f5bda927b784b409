"""Moving the stored data from one VARSEL_DATA_KEY to the next (`varsel keys rotate-data-key`).

What depends on the data key, and what rotation does with it:

- identity numbers (`tenants.pin_encrypted`, `eviction_notices.pin_encrypted`): opened with
  the key that sealed them (its id is in the value) and sealed again under the new key;
- their matching hashes (`tenants.pin_hash`, `eviction_notices.pin_hash`): recomputed from the
  number, so that a new notice still finds the person's open case;
- tenancy keys (`notices.tenancy_key`): recomputed from the stored address, so that a notice
  for the same apartment is still seen as a possible repeat;
- retry fingerprints (`notices.body_hash`, `notice_events.body_hash`,
  `eviction_notices.body_hash`): they hash the body as it was sent, which is not stored, so
  they cannot be recomputed. They stay, and a retry is compared under the earlier keys too —
  which is why VARSEL_DATA_KEY_PREVIOUS stays set after the rotation (`docs/operations.md`).

Each batch is one transaction; a row is written only if its value has not changed since it
was read (a purge or a new write in between wins), and a value already under the new key is
passed over. So the command may be stopped at any point and run again: it goes on where it
stopped, and once everything is under the new key a run changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.cases.models import EvictionNotice
from app.db import transaction
from app.notices.models import Notice, Tenant
from app.notices.service import tenancy_key
from app.security import audit
from app.security.actors import SYSTEM
from app.security.crypto import DataKeyError, all_keys, decrypt, encrypt, key_id, matching_hash, sealed_prefix

Progress = Callable[[str], None]

# The encrypted columns: (model, what the rows are called, the context the values are sealed with).
SEALED = ((Tenant, "tenants", "tenant.pin"), (EvictionNotice, "Kronofogden's eviction notices", "kronofogden.pin"))
DEFAULT_BATCH = 500


class RotationRefused(ValueError):
    """The keys given cannot rotate anything; the message says what to set."""


@dataclass
class RotationReport:
    key_id: str
    resealed: dict[str, int] = field(default_factory=dict)  # identity numbers re-encrypted, per table
    tenancy_keys: int = 0  # recomputed (those already under the new key are not counted)
    unreadable: dict[str, int] = field(default_factory=dict)  # sealed under a key that was not given

    @property
    def complete(self) -> bool:
        return not any(self.unreadable.values())


def check_keys(data_key: str) -> None:
    keys = all_keys(data_key)
    if len(keys) < 2:
        raise RotationRefused("set VARSEL_DATA_KEY_PREVIOUS to the data key in use until now, and VARSEL_DATA_KEY "
                              "to the new one")
    for name, key in zip(("VARSEL_DATA_KEY", *["VARSEL_DATA_KEY_PREVIOUS"] * (len(keys) - 1)), keys, strict=True):
        try:
            key_id(key)
        except DataKeyError as exc:
            raise RotationRefused(f"{name}: {exc}") from None


def rotate(sessions: sessionmaker[Session], data_key: str, *, batch: int = DEFAULT_BATCH,
           progress: Progress = lambda line: None) -> RotationReport:
    """Re-encrypt and recompute everything under `data_key` (a `DataKey` with its earlier keys)."""
    check_keys(data_key)
    report = RotationReport(key_id=key_id(data_key))
    for model, name, context in SEALED:
        report.resealed[name], report.unreadable[name] = _reseal(sessions, data_key, model, name, context, batch,
                                                                 progress)
    report.tenancy_keys = _recompute_tenancy_keys(sessions, data_key, batch, progress)
    with transaction(sessions) as session:
        # Who changed what, never a key: the new key's id and the counts.
        audit.record(session, SYSTEM, "keys.data_key_rotated",
                     details={"key_id": report.key_id, "resealed": report.resealed,
                              "tenancy_keys": report.tenancy_keys, "unreadable": report.unreadable})
    return report


def remaining(session: Session, data_key: str) -> dict[str, int]:
    """Identity numbers not yet sealed under `data_key`, per table."""
    return {name: session.scalar(select(func.count()).select_from(model).where(_not_under(model, data_key))) or 0
            for model, name, _ in SEALED}


def _not_under(model: Any, data_key: str) -> Any:
    return model.pin_encrypted.is_not(None) & ~model.pin_encrypted.startswith(sealed_prefix(data_key),
                                                                                autoescape=True)


def _reseal(sessions: sessionmaker[Session], data_key: str, model: Any, name: str, context: str, batch: int,
            progress: Progress) -> tuple[int, int]:
    table = model.__table__
    write = (update(table).where(table.c.id == bindparam("b_id"), table.c.pin_encrypted == bindparam("b_old"))
             .values(pin_encrypted=bindparam("b_new"), pin_hash=bindparam("b_hash")))
    with transaction(sessions) as session:
        total = session.scalar(select(func.count()).select_from(model).where(_not_under(model, data_key))) or 0
    done = unreadable = 0
    after = None
    while True:
        with transaction(sessions) as session:
            query = select(model.id, model.pin_encrypted).where(_not_under(model, data_key))
            if after is not None:
                query = query.where(model.id > after)
            rows = session.execute(query.order_by(model.id).limit(batch)).all()
            if not rows:
                break
            changes = []
            for row_id, token in rows:
                try:
                    canonical = decrypt(data_key, token, context=context)
                except DataKeyError:
                    unreadable += 1  # left as it is, and reported: the key that sealed it was not given
                    continue
                changes.append({"b_id": row_id, "b_old": token, "b_new": encrypt(data_key, canonical, context=context),
                                "b_hash": matching_hash(data_key, canonical)})
            if changes:
                session.execute(write, changes)
            after = rows[-1][0]
        done += len(changes)
        progress(f"{name}: {done} of {total} identity numbers re-encrypted")
    return done, unreadable


def _recompute_tenancy_keys(sessions: sessionmaker[Session], data_key: str, batch: int, progress: Progress) -> int:
    # No marker says which key made a tenancy key: each is recomputed, and written only where it differs.
    table = Notice.__table__
    write = (update(table).where(table.c.id == bindparam("b_id"), table.c.tenancy_key == bindparam("b_old"))
             .values(tenancy_key=bindparam("b_new")))
    with transaction(sessions) as session:
        total = session.scalar(select(func.count()).select_from(Notice).where(Notice.tenancy_key.is_not(None))) or 0
    read = changed = 0
    after = None
    while True:
        with transaction(sessions) as session:
            query = (select(Notice.id, Notice.tenancy_key, Notice.postal_code, Notice.street_address,
                            Notice.apartment_number)
                     .where(Notice.tenancy_key.is_not(None), Notice.street_address.is_not(None)))
            if after is not None:
                query = query.where(Notice.id > after)
            rows = session.execute(query.order_by(Notice.id).limit(batch)).all()
            if not rows:
                break
            # The same function and the same stored inputs as at intake (app/notices/service.py).
            changes = [{"b_id": row_id, "b_old": old, "b_new": new}
                       for row_id, old, postal, street, apartment in rows
                       if (new := tenancy_key(data_key, postal, street, apartment)) != old]
            if changes:
                session.execute(write, changes)
            after = rows[-1][0]
        read += len(rows)
        changed += len(changes)
        progress(f"notices: {read} of {total} tenancy keys checked, {changed} recomputed")
    return changed
