"""One place decides who sees what (rule 4 of the design).

Every query that returns cases or notices to a caller goes through these
filters. Outside the scope is 404, never 403: the caller is not told that
the thing exists.

Test data (notices sent with a landlord's test key, and their cases) is seen by
its landlord only: no staff role sees it, in any queue, search, case or manual
routing list.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, select

from app.cases.models import Case
from app.households.models import JointAssessmentPart
from app.notices.models import Notice
from app.security.actors import Actor

CASE_ROLES = ("handler", "manager", "joint_assessor")
# A landlord's API key and a person signed in to the landlord portal see the same: the landlord's own notices.
LANDLORD_KINDS = ("landlord", "landlord_user")


def cases_readable_by(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause for the cases this actor may see."""
    if actor.kind != "staff" or actor.role not in CASE_ROLES or actor.district_id is None:
        return false()
    own_district = and_(Case.district_id == actor.district_id, Case.test.is_(False))
    if actor.role == "joint_assessor":
        # Only the cases its unit is asked to join (JSON list membership, portable).
        return and_(own_district, _unit_requested(actor.unit))
    return own_district


def _unit_requested(unit: str | None) -> ColumnElement[bool]:
    if unit is None:
        return false()
    return Case.id.in_(select(JointAssessmentPart.case_id).where(JointAssessmentPart.unit == unit))


def notices_readable_by(actor: Actor) -> ColumnElement[bool]:
    if actor.kind in LANDLORD_KINDS:
        return Notice.landlord_id == actor.id
    if actor.kind == "staff" and actor.role == "intake":
        # Manual routing: only notices no district could be routed to.
        return and_(Notice.district_id.is_(None), Notice.test.is_(False))
    if actor.kind == "staff" and actor.role in ("handler", "manager") and actor.district_id is not None:
        return and_(Notice.district_id == actor.district_id, Notice.test.is_(False))
    return false()


def can_work_cases(actor: Actor) -> bool:
    return actor.kind == "staff" and actor.role in ("handler", "manager")

