"""The case as staff see it (JSON API and web UI share this)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import STOCKHOLM, local_today, vardagar_until
from app.cases import people, queue
from app.cases.models import Case, TimelineEvent
from app.errors import Problem
from app.households.models import JointAssessmentPart
from app.identity import age_on
from app.notices.models import Notice
from app.security import audit
from app.security.actors import Actor
from app.security.crypto import decrypt


def _masked(birth_date: Any, coordination: bool | None) -> str | None:
    if birth_date is None:
        return None
    day = birth_date.day + (60 if coordination else 0)
    return f"{birth_date.year:04d}{birth_date.month:02d}{day:02d}-****"


def _deadline(d: Any, today: Any) -> dict[str, Any]:
    due = d.due_on.isoformat() if d.kind not in ("kronofogden_acknowledgement", "first_contact", "eviction") \
        else d.due_at.astimezone(STOCKHOLM).isoformat(timespec="minutes")
    day = d.due_on or d.due_at.astimezone(STOCKHOLM).date()
    return {
        "id": str(d.id),
        "kind": d.kind,
        "due": due,
        "status": d.status,
        "legal_basis": d.legal_basis,
        "estimated": d.estimated,
        "vardagar_left": vardagar_until(today, day) if d.status == "pending" else None,
        "computed_from": d.computed_from,
        "resolution": d.resolution,
        "notice_id": str(d.notice_id) if d.notice_id else None,
    }


def case_detail(session: Session, case: Case, actor: Actor, *, now: Any) -> dict[str, Any]:
    """The whole case. Reading it is audited: it holds personal data."""
    today = local_today(now)
    audit.record(session, actor, "case.view", object_type="case", object_id=case.id, district_id=case.district_id)
    parts = list(session.scalars(select(JointAssessmentPart).where(JointAssessmentPart.case_id == case.id)
                                 .order_by(JointAssessmentPart.unit)))
    timeline = list(session.scalars(select(TimelineEvent).where(TimelineEvent.case_id == case.id)
                                    .order_by(TimelineEvent.id)))
    notices = sorted(case.notices, key=lambda n: n.received_at)
    latest = notices[-1] if notices else None
    tenants = []
    for notice in notices:
        received = notice.received_at.astimezone(STOCKHOLM).date()
        for t in notice.tenants:
            tenants.append({
                "id": str(t.id),
                "notice_id": str(notice.id),
                "name": t.name,
                "personal_identity_number": _masked(t.birth_date, t.coordination_number),
                "has_identity_number": t.pin_encrypted is not None,
                "age": age_on(t.birth_date, received) if t.birth_date else None,
                "phone": t.phone,
                "email": t.email,
            })
    return {
        "case_id": str(case.id),
        "case_number": case.number,
        "status": case.status,
        "district": {"code": case.district.code, "name": case.district.name} if case.district else None,
        "opened_at": case.opened_at.astimezone(STOCKHOLM).isoformat(timespec="seconds"),
        "closed_at": case.closed_at.astimezone(STOCKHOLM).isoformat(timespec="seconds") if case.closed_at else None,
        "priority": case.priority,
        "flags": list(case.flags),
        "explanation": case.explanation,
        "assigned_to": case.assigned_to.username if case.assigned_to else None,
        "assigned_to_name": case.assigned_to.display_name if case.assigned_to else None,
        "property": _property(latest) if latest else None,
        "address": people.address_line(case),
        "tenants": tenants,
        # Each person once (the same tenant on several notices), for reading; `tenants` has every row.
        "people": [_person(p, tenants) for p in people.people(case)],
        "next_deadline": queue.next_deadline(case),
        "kronofogden": [
            {"reference": k.reference, "received_at": k.received_at.astimezone(STOCKHOLM).isoformat(timespec="minutes"),
             "eviction_at": k.eviction_at.astimezone(STOCKHOLM).isoformat(timespec="minutes")}
            for k in case.eviction_notices
        ],
        "household": _household(case, notices),
        "notices": [_notice(n) for n in notices],
        "deadlines": [_deadline(d, today) for d in sorted(case.deadlines, key=lambda d: d.due_at)],
        "contact_attempts": [
            {"id": str(c.id), "at": c.at.astimezone(STOCKHOLM).isoformat(timespec="minutes"), "channel": c.channel,
             "reached": c.reached, "note": c.note, "by": c.by_name}
            for c in case.contacts
        ],
        "payment_commitments": [
            {"id": str(p.id), "amount_sek": float(p.amount_sek), "covers_until": p.covers_until.isoformat(),
             "decided_on": p.decided_on.isoformat(), "statutory": p.statutory, "statutory_reason": p.statutory_reason,
             "note": p.note, "by": p.created_by, "letter": bool(p.letter_path)}
            for p in case.commitments
        ],
        "joint_assessment": {
            "required": bool(case.joint_assessment_units),
            "units": list(case.joint_assessment_units),
            "parts": [
                {"unit": p.unit, "state": p.state, "reason": p.reason,
                 "requested_at": p.requested_at.astimezone(STOCKHOLM).isoformat(timespec="minutes"),
                 "accepted_at": p.accepted_at.astimezone(STOCKHOLM).isoformat(timespec="minutes") if p.accepted_at else None,
                 "completed_at": p.completed_at.astimezone(STOCKHOLM).isoformat(timespec="minutes") if p.completed_at else None,
                 "conclusion": p.conclusion}
                for p in parts
            ],
        },
        "timeline": [
            {"at": e.at.astimezone(STOCKHOLM).isoformat(timespec="seconds"), "type": e.type, "actor": e.actor_name,
             "actor_kind": e.actor_kind, "data": e.data, "notice_id": str(e.notice_id) if e.notice_id else None}
            for e in timeline
        ],
        "outcome": {"outcome": case.outcome, "note": case.outcome_note} if case.outcome else None,
    }


def _person(person: people.Person, rows: list[dict[str, Any]]) -> dict[str, Any]:
    own = [r for t in person.tenants for r in rows if r["id"] == str(t.id)]
    first = own[0] if own else {}
    latest = own[::-1]
    return {
        "id": first.get("id"),
        "name": person.name,
        "personal_identity_number": first.get("personal_identity_number"),
        "has_identity_number": bool(first.get("has_identity_number")),
        "age": next((r["age"] for r in latest if r["age"] is not None), None),
        "phone": next((r["phone"] for r in latest if r["phone"]), None),
        "email": next((r["email"] for r in latest if r["email"]), None),
        "notice_ids": list(dict.fromkeys(person.notice_ids)),
        "from_kronofogden": person.from_kronofogden,
    }


def _property(notice: Notice) -> dict[str, Any]:
    return {
        "street_address": notice.street_address,
        "postal_code": f"{notice.postal_code[:3]} {notice.postal_code[3:]}" if notice.postal_code else None,
        "city": notice.city,
        "apartment_number": notice.apartment_number,
        "rooms": notice.rooms,
        "coordinates": {"lat": notice.lat, "lon": notice.lon} if notice.lat is not None else None,
    }


def _household(case: Case, notices: list[Notice]) -> dict[str, Any]:
    consented = [n for n in notices if n.household_consent]
    return {
        "children_under_18": max((n.household_children for n in consented if n.household_children is not None),
                                 default=None),
        "residents_65_or_older": max((n.household_65_plus for n in consented if n.household_65_plus is not None),
                                     default=None),
        "sources": {k: v for k, v in case.household.items() if k in ("register", "staff")},
        "repeat": case.household.get("repeat"),
    }


def _notice(notice: Notice) -> dict[str, Any]:
    return {
        "id": str(notice.id),
        "kind": notice.kind,
        "external_id": notice.external_id,
        "landlord": notice.landlord.name if notice.landlord else None,
        "received_at": notice.received_at.astimezone(STOCKHOLM).isoformat(timespec="seconds"),
        "sent_on": notice.sent_on.isoformat(),
        "tenant_served_on": notice.tenant_served_on.isoformat() if notice.tenant_served_on else None,
        "termination_on": notice.termination_on.isoformat() if notice.termination_on else None,
        "status": notice.status,
        "arrears": notice.arrears,
        "disturbance": notice.disturbance,
        "landlord_contact": notice.contact,
        "eviction_at": notice.eviction_at.astimezone(STOCKHOLM).isoformat(timespec="minutes") if notice.eviction_at else None,
        "routing": notice.routing,
    }


def reveal_identity_number(session: Session, case: Case, tenant_id: str, actor: Actor, data_key: str) -> str:
    """Show one tenant's full identity number; each showing is audited."""
    for notice in case.notices:
        for tenant in notice.tenants:
            if str(tenant.id) == tenant_id and tenant.pin_encrypted:
                audit.record(session, actor, "tenant.pin.reveal", object_type="tenant", object_id=tenant.id,
                             district_id=case.district_id)
                canonical = decrypt(data_key, tenant.pin_encrypted, context="tenant.pin")
                return f"{canonical[:8]}-{canonical[8:]}"
    raise Problem(404, "No such tenant in this case")

