"""Who gets what (issue: scheduler and notifications), as outbox rows in the caller's transaction.

New cases → the district's handlers (at most one mail an hour each: a digest);
reminders → the assigned handler (or the district's handlers when nobody is);
escalations and missed deadlines → the district's managers; joint-assessment
requests → the unit's assessors. Messages carry a case number and a link, never
personal data.

A test case (opened by a landlord's test key, `Case.test`) causes no message at
all: every message made here passes `_enqueue`, the one place that rule lives.
(The one message made elsewhere, the payment-commitment letter in
`transitions.py`, follows a staff command, and no staff member ever sees a test
case: `app/security/scope.py`.)
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any

import structlog
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.calendar import STOCKHOLM
from app.cases.models import Case
from app.routing.models import District
from app.security.models import User
from app.sql import in_list, planned_each_time
from app.vocabulary import DeadlineKind, Unit
from notifications import outbox

log = structlog.get_logger("varsel.notify")

# Whom a new notice may cause a message to: the district's handlers (the new-case digest) and its
# joint assessors (a joint-assessment request), looked up together, once per district and batch.
INTAKE_ROLES = ("handler", "joint_assessor")

def staff_of(session: Session, district_id: uuid.UUID | None, *roles: str, unit: str | None = None,
             with_role: bool = False) -> list[Any]:
    """The active staff of a district in these roles, as recipients: rows of `id` and `email`, all
    that a message needs (`mail_rows`) — no User objects to build for each notice that asks.
    `with_role`: their `role` and `unit` too, for a caller that sorts them itself."""
    if district_id is None:
        return []
    parameters: dict[str, Any] = {"district_id": district_id, "roles": list(roles)}
    if unit is not None:
        parameters["unit"] = unit
    dialect = session.get_bind().dialect.name
    return list(session.execute(_staff_query(dialect, with_role, unit is not None), parameters))


def staff_by_code_query(dialect: str, code: str, *roles: str) -> tuple[Any, dict[str, Any]]:
    """`staff_of(…, with_role=True)` of the district with this code, as a statement and its parameters,
    for a caller that sends it with the district's own look-up (`app/sql.py: fetch_together`), planned
    each time as that one is, so that both go in the same message as intake's other look-ups."""
    return _staff_by_code_query(dialect), {"code": code, "roles": list(roles)}


@cache
def _staff_by_code_query(dialect: str) -> Any:
    return planned_each_time(_staff_query(dialect, True, False, by_code=True))


@cache
def _staff_query(dialect: str, with_role: bool, by_unit: bool, by_code: bool = False) -> Any:
    """Built once (a notice sent alone asks once per request): only its parameters change."""
    users = User.__table__.c
    columns = (users.id, users.email, users.role, users.unit) if with_role else (users.id, users.email)
    query = select(*columns).where(in_list(users.role, "roles", dialect), users.active.is_(True))
    if by_code:
        query = query.join(District, District.id == users.district_id).where(District.code == bindparam("code"))
    else:
        query = query.where(users.district_id == bindparam("district_id"))
    if by_unit:
        query = query.where(users.unit == bindparam("unit"))
    return query.order_by(users.username)


def _base(case: Any) -> dict[str, Any]:
    # `path` becomes a full link at send time (the email channel knows VARSEL_PUBLIC_BASE_URL).
    if case is None:
        return {}
    return {"case_number": case.number, "district_name": case.district.name if case.district else "",
            "path": f"/arenden/{case.id}"}


def _enqueue(session: Session, about: Case, messages: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Every message about a case goes into the outbox here — unless the case is test data."""
    if about.test:
        return []
    return outbox.enqueue_many(session, messages)


def mail_rows(users: list[Any], *, template: str, key: str, payload: dict[str, Any],
              case_id: uuid.UUID | None, district_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """One outbox message per recipient with an address (pure: the batch writer builds its rows with it)."""
    messages = []
    for user in users:
        if not user.email:
            log.warning("recipient_without_email", user_id=str(user.id), template=template)
            continue
        messages.append({"channel": "email", "template": template, "dedup_key": f"{key}:{user.id}",
                         "recipient": user.email, "recipient_user_id": user.id, "case_id": case_id,
                         "district_id": district_id, "payload": payload})
    return messages


def _mail(session: Session, users: list[User], *, template: str, key: str, payload: dict[str, Any],
          about: Case, case: Case | None = None, district_id: uuid.UUID | None = None) -> int:
    """`about`: the case that causes the mail; `case`: the case the mail names (a digest names none)."""
    messages = mail_rows(users, template=template, key=key, payload=payload, case_id=case.id if case else None,
                         district_id=district_id or (case.district_id if case else None))
    # One INSERT for all recipients; each one's dedup key still decides for that one.
    return len(_enqueue(session, about, messages))


def digest_key(district_id: uuid.UUID, now: datetime) -> str:
    """New cases of a district in one hour share one digest per handler."""
    return f"digest:{district_id}:{now.astimezone(STOCKHOLM).strftime('%Y-%m-%dT%H')}"


def digest_payload(case: Any) -> dict[str, Any]:
    return {"district_name": case.district.name if case.district else "", "path": "/ko"}


def new_case(session: Session, case: Case, now: datetime, *, enqueued: set[str] | None = None) -> None:
    """The district's handlers get one digest an hour about new cases.

    `enqueued` holds the digest keys this transaction has already enqueued (a batch opens
    many cases in one district and hour); a key found there is skipped: its rows exist.
    """
    if case.district_id is None:
        return
    key = digest_key(case.district_id, now)
    if enqueued is not None:
        if key in enqueued:
            return
        enqueued.add(key)
    _mail(session, staff_of(session, case.district_id, "handler"), template="new_cases_digest",
          key=key, payload=digest_payload(case), about=case, district_id=case.district_id)


def deadline_alert(session: Session, case: Case, *, alert_id: uuid.UUID, alert_kind: str,
                   deadline_kind: str, due_text: str, vardagar_left: int | None) -> int:
    payload = _base(case) | {
        "deadline_sv": DeadlineKind(deadline_kind).phrase,
        "kind": deadline_kind,
        "due_text": due_text,
        "vardagar_left": vardagar_left,
        "assignee": case.assigned_to.display_name if case.assigned_to else None,
    }
    key = f"alert:{alert_id}"
    if deadline_kind == "kronofogden_acknowledgement":
        if alert_kind == "reminder":
            users = [case.assigned_to] if case.assigned_to else staff_of(session, case.district_id, "handler")
            template = "kronofogden_reminder"
        else:
            users = staff_of(session, case.district_id, "manager")
            template = "kronofogden_unassigned" if case.assigned_to is None else "deadline_missed" \
                if alert_kind == "missed" else "kronofogden_reminder"
        return _mail(session, users, template=template, key=key, payload=payload, about=case, case=case)
    if alert_kind == "reminder":
        users = [case.assigned_to] if case.assigned_to else staff_of(session, case.district_id, "handler")
        return _mail(session, users, template="deadline_reminder", key=key, payload=payload, about=case, case=case)
    template = "deadline_escalation" if alert_kind == "escalation" else "deadline_missed"
    return _mail(session, staff_of(session, case.district_id, "manager"), template=template, key=key,
                 payload=payload, about=case, case=case)


def joint_assessment_payload(case: Any, unit: str) -> dict[str, Any]:
    return _base(case) | {"unit_sv": Unit(unit).label}


def joint_assessment_key(case: Any, unit: str) -> str:
    return f"joint:{case.id}:{unit}"


def joint_assessment_requested(session: Session, case: Case, unit: str) -> None:
    _mail(session, staff_of(session, case.district_id, "joint_assessor", unit=unit),
          template="joint_assessment_request", key=joint_assessment_key(case, unit),
          payload=joint_assessment_payload(case, unit), about=case, case=case)


def kronofogden_without_handler(session: Session, case: Case, eviction_notice_id: uuid.UUID,
                                due_text: str) -> None:
    payload = _base(case) | {"due_text": due_text}
    _mail(session, staff_of(session, case.district_id, "manager"), template="kronofogden_unassigned",
          key=f"kf-unassigned:{eviction_notice_id}", payload=payload, about=case, case=case)


def request_acknowledgements(session: Session, case: Case) -> int:
    """Queue Kronofogden acknowledgements that can go now: they must name the responsible handler."""
    if case.assigned_to_id is None:
        return 0
    count = 0
    for deadline in case.deadlines:
        if deadline.kind != "kronofogden_acknowledgement" or deadline.status != "pending":
            continue
        notice_id = deadline.computed_from.get("eviction_notice_id")
        count += len(_enqueue(session, case, [_letter(case, "kronofogden_acknowledgement", f"kfack:{notice_id}", {
            "eviction_notice_id": notice_id, "deadline_id": str(deadline.id)}, channel="kronofogden")]))
    return count


def kronofogden_copy_to_tenant(session: Session, case: Case, eviction_notice_id: uuid.UUID) -> None:
    """The copy of the acknowledgement to the person the eviction concerns (same paragraph of the förordning)."""
    _enqueue(session, case, [_letter(case, "kronofogden_copy", f"kfcopy:{eviction_notice_id}",
                                     {"eviction_notice_id": str(eviction_notice_id)})])


def tenant_letter(case: Any, notice_id: uuid.UUID) -> dict[str, Any]:
    """The message for the letter to the tenant of a rent-arrears notice (pure)."""
    return _letter(case, "tenant_redemption_letter", f"tenant-letter:{notice_id}", {"notice_id": str(notice_id)})


def tenant_redemption_letter(session: Session, case: Case, notice_id: uuid.UUID) -> None:
    """The letter to the tenant of a rent-arrears notice: the date that matters, in plain Swedish
    (printed and posted by the district)."""
    _enqueue(session, case, [tenant_letter(case, notice_id)])


def _letter(case: Any, template: str, key: str, payload: dict[str, Any], *, channel: str = "letter") -> dict[str, Any]:
    return {"channel": channel, "template": template, "dedup_key": key, "case_id": case.id,
            "district_id": case.district_id, "payload": payload}
