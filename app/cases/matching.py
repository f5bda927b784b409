"""Which case a new notice belongs to: the same person's open case, or a repeat within twelve months.

Förordning (2001:637) 15 §: a person is matched by the keyed hash of the
identity number, never by name. A match on the tenancy alone (same address and
apartment) is only a *possible* repeat, for the handler to confirm.

Test data (a landlord's test key) never meets real data: a test notice opens its
own case, no notice joins a test case, and test notices make no repeat.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, selectinload

from app.cases.models import Case
from app.notices.models import Notice, Tenant
from app.sql import key_table, key_values, planned_each_time
from app.vocabulary import CaseStatus

REPEAT_WINDOW = timedelta(days=365)


def open_case_of_person(session: Session, pin_hashes: list[str], district_id: uuid.UUID | None) -> Case | None:
    if not pin_hashes or district_id is None:
        return None
    return session.scalar(
        select(Case)
        .join(Notice, Notice.case_id == Case.id)
        .join(Tenant, Tenant.notice_id == Notice.id)
        .where(Tenant.pin_hash.in_(pin_hashes), Case.status == CaseStatus.OPEN, Case.district_id == district_id,
               Case.test.is_(False))
        .order_by(Case.opened_at, Case.id)  # the oldest; of two opened at once, as the batch writer orders them
        .limit(1)
        # The caller attaches a notice and reassesses: that reads every notice, tenant and deadline.
        .options(selectinload(Case.notices).selectinload(Notice.tenants), selectinload(Case.deadlines))
    )


def open_case_of_tenancy(session: Session, tenancy_key: str, district_id: uuid.UUID) -> Case | None:
    return session.scalar(
        select(Case).join(Notice, Notice.case_id == Case.id)
        .where(Notice.tenancy_key == tenancy_key, Case.status == CaseStatus.OPEN, Case.district_id == district_id,
               Case.test.is_(False))
        .order_by(Case.opened_at).limit(1)
    )


def case_for_notice(session: Session, notice: Notice) -> tuple[Case | None, str | None]:
    """The open case this notice joins (same person, same district), and whether it is a repeat."""
    if notice.test:
        return None, None
    pin_hashes = [t.pin_hash for t in notice.tenants if t.pin_hash]
    since = notice.received_at - REPEAT_WINDOW
    joined = open_case_of_person(session, pin_hashes, notice.district_id)
    if joined is not None:
        return joined, "person"
    earlier_person = pin_hashes and session.scalar(
        select(Notice.id).join(Tenant, Tenant.notice_id == Notice.id)
        .where(Tenant.pin_hash.in_(pin_hashes), Notice.id != notice.id, Notice.received_at >= since,
               Notice.test.is_(False)).limit(1)
    )
    if earlier_person:
        return None, "person"
    earlier_tenancy = notice.apartment_number and session.scalar(
        select(Notice.id).where(Notice.tenancy_key == notice.tenancy_key, Notice.id != notice.id,
                                Notice.received_at >= since, Notice.test.is_(False)).limit(1)
    )
    return None, ("tenancy" if earlier_tenancy else None)


def case_for_eviction_notice(session: Session, district_id: uuid.UUID | None, pin_hash: str,
                             tenancy_key: str) -> tuple[Case | None, str]:
    """Kronofogden's notice joins the person's open case, else the tenancy's; (case, matched_by)."""
    if district_id is None:
        return None, "new_case"
    by_person = open_case_of_person(session, [pin_hash], district_id)
    if by_person is not None:
        return by_person, "identity_number"
    by_address = open_case_of_tenancy(session, tenancy_key, district_id)
    if by_address is not None:
        return by_address, "address"
    return None, "new_case"



# --------------------------------------------------------------------------- a batch's look-ups, set-wise

def people_seen_query(dialect: str, pin_hashes: set[str]) -> tuple[Any, dict[str, Any]]:
    """For a batch, `case_for_notice`'s two look-ups for all its people at once: the statement and its
    parameters, sent with the batch's other look-ups (`app/sql.py: fetch_together`); its rows are read
    by `read_people_seen`."""
    return _people_query(dialect), {"pin_hashes": key_values(dialect, sorted(pin_hashes))}


def read_people_seen(rows: Any, since: datetime) -> tuple[list[tuple[str, uuid.UUID, datetime, uuid.UUID]], set[str]]:
    """The open (real) cases of these people as (pin_hash, case_id, opened_at, district_id), and which
    of them had a (real) notice received since `since`."""
    open_cases = sorted({(pin, case_id, opened, district) for pin, _, _, case_id, status, opened, district, test
                         in rows if case_id is not None and status == CaseStatus.OPEN and not test
                         and district is not None}, key=lambda r: (r[2], str(r[1])))
    recent = {pin for pin, received, test, *_ in rows if not test and received >= since}
    return open_cases, recent


@cache
def _people_query(dialect: str) -> Any:
    """Built once: only its parameter, the list of hashes, changes. Planned each time it runs
    (`app/sql.py: planned_each_time`): a plan kept from while `tenants` was small hashed every tenant,
    notice and case for each notice that names a person."""
    keys = key_table(dialect, "pin_hashes")
    query = (select(Tenant.pin_hash, Notice.received_at, Notice.test.label("notice_test"), Case.id.label("case_id"),
                    Case.status, Case.opened_at, Case.district_id, Case.test.label("case_test"))
             .select_from(keys).join(Tenant, Tenant.pin_hash == keys.c.key)
             .join(Notice, Notice.id == Tenant.notice_id).outerjoin(Case, Case.id == Notice.case_id))
    return planned_each_time(query)


def tenancies_seen_query(dialect: str, tenancy_keys: set[str], since: datetime) -> tuple[Any, dict[str, Any]]:
    """For a batch: which of these tenancies had a (real) notice received since `since` — the statement
    and its parameters (see `people_seen_query`); its rows are the keys seen.

    One EXISTS per key, which stops at the first such notice: a busy address (a block's
    management office, the benchmark's one apartment) may have thousands of them."""
    return _tenancies_query(dialect), {"tenancy_keys": key_values(dialect, sorted(tenancy_keys)), "since": since}


@cache
def _tenancies_query(dialect: str) -> Any:
    """Built once (a notice sent alone asks once per request): only its parameters change. Planned
    each time it runs (`app/sql.py: planned_each_time`): a plan kept from while `notices` was small
    hashed every notice for each new one (4–5 ms per notice sent alone at 2,500 notices)."""
    keys = key_table(dialect, "tenancy_keys")
    notices = Notice.__table__.c
    return planned_each_time(select(keys.c.key).where(exists().where(
        notices.tenancy_key == keys.c.key, notices.received_at >= bindparam("since"), notices.test.is_(False))))
