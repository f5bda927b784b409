"""The notice rules that depend on its kind or on today's date (Europe/Stockholm).

Returns every failing field at once, in the spec's `{field, message}` form,
so an integrator fixes a rejected notice in one round.
"""

from __future__ import annotations

from datetime import date

from app.errors import Problem
from app.identity import IdentityNumberError, parse_identity_number
from app.notices.schemas import EventIn, NoticeIn, PropertyIn
from app.routing.engine import OutsideMunicipality, Router, RoutingDecision

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


def require_own_municipality(decision: RoutingDecision | OutsideMunicipality, router: Router,
                             prop: PropertyIn) -> RoutingDecision:
    """The decision, for an address of this municipality; else the 422, for landlords and Kronofogden alike.

    A postal code outside the municipality is `outside-municipality`, naming the other
    municipality where the data pack knows it. When the notice's coordinates
    nevertheless lie in one of our districts, one of the two is wrong, and guessing
    which would route secret data to the wrong authority or turn a family away:
    `address-conflict`, naming both fields.
    """
    if not isinstance(decision, OutsideMunicipality):
        return decision
    where = decision.municipality or "another municipality"
    postal_error = {"field": "property.postal_code", "message": f"lies in {where}"}
    inside = router.data.districts_at(prop.coordinates.lon, prop.coordinates.lat) if prop.coordinates else []
    if inside:
        district = router.data.names.get(inside[0], inside[0])
        raise Problem(
            422,
            f"The postal code {prop.postal_code} lies in {where}, but the coordinates lie in this municipality "
            f"(district {district}). Check the address, correct the postal code or the coordinates, and send "
            "the notice again.",
            type_="address-conflict",
            title="The postal code and the coordinates disagree",
            errors=[postal_error,
                    {"field": "property.coordinates", "message": f"lie in this municipality (district {district})"}],
            extra={"municipality": decision.municipality},
        )
    committee = (f"the social welfare committee of {where} (socialnämnden i {where} kommun)"
                 if decision.municipality else
                 "the social welfare committee of the municipality where the home is "
                 "(socialnämnden i den kommun där bostaden ligger)")
    raise Problem(
        422,
        f"The postal code {prop.postal_code} lies in {where}, not in this municipality. Send the notice to "
        f"{committee}.",
        type_="outside-municipality",
        title="The address is in another municipality",
        errors=[postal_error],
        extra={"municipality": decision.municipality},
    )
