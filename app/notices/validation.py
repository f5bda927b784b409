"""The notice rules that depend on its kind or on today's date (Europe/Stockholm).

Returns every failing field at once, in the spec's `{field, message}` form,
so an integrator fixes a rejected notice in one round.
"""

from __future__ import annotations

from datetime import date

from app.identity import IdentityNumberError, parse_identity_number
from app.notices.schemas import EventIn, NoticeIn

FieldError = dict[str, str]


def one_year_before(today: date) -> date:
    try:
        return today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28)


def check_notice(notice: NoticeIn, today: date) -> list[FieldError]:
    errors: list[FieldError] = []

    def error(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    kind = notice.kind
    if notice.sent_on > today:
        error("sent_on", "must not be in the future")
    elif notice.sent_on < one_year_before(today):
        error("sent_on", "must not be more than one year back")

    if notice.tenant_served_on is not None:
        if kind != "rent_arrears":
            error("tenant_served_on", "only for kind rent_arrears")
        elif notice.tenant_served_on > today:
            error("tenant_served_on", "must not be in the future")

    if notice.termination_on is not None:
        if kind == "disturbance_warning":
            error("termination_on", "must be omitted for disturbance_warning: no termination may precede "
                                    "the notice to the committee (JB 12 kap. 42 § tredje stycket)")
        elif notice.termination_on > today:
            error("termination_on", "must not be in the future")
    elif kind == "disturbance_termination":
        error("termination_on", "required for disturbance_termination")

    if kind == "rent_arrears":
        if notice.arrears is None:
            error("arrears", "required for rent_arrears")
        elif notice.arrears.due_date > notice.sent_on:
            error("arrears.due_date", "must not be after sent_on")
        if notice.disturbance is not None:
            error("disturbance", "must be omitted for rent_arrears")
    else:
        if notice.arrears is not None:
            error("arrears", f"must be omitted for {kind}")
        if notice.disturbance is None:
            error("disturbance", f"required for {kind}")
        elif notice.disturbance.requested_on > today:
            error("disturbance.requested_on", "must not be in the future")

    for index, tenant in enumerate(notice.tenants):
        if tenant.personal_identity_number is not None:
            try:
                parse_identity_number(tenant.personal_identity_number, today=today)
            except IdentityNumberError as exc:
                error(f"tenants[{index}].personal_identity_number", str(exc))
        if not tenant.name.strip():
            error(f"tenants[{index}].name", "must not be blank")

    if not notice.external_id.strip():
        error("external_id", "must not be blank")
    if notice.contact.phone is None and notice.contact.email is None:
        error("contact", "give at least one of phone and email")
    return errors


def check_event(event: EventIn, today: date) -> list[FieldError]:
    errors: list[FieldError] = []
    if event.occurred_on > today:
        errors.append({"field": "occurred_on", "message": "must not be in the future"})
    if event.type == "eviction_scheduled" and event.eviction_at is None:
        errors.append({"field": "eviction_at", "message": "required for eviction_scheduled"})
    if event.type != "eviction_scheduled" and event.eviction_at is not None:
        errors.append({"field": "eviction_at", "message": "only for eviction_scheduled"})
    return errors
