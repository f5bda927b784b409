"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from app.cases.models import Case, CaseNumber, ContactAttempt, EvictionNotice, PaymentCommitment, TimelineEvent
from app.db import Base
from app.deadlines.models import Deadline
from app.households.models import JointAssessmentPart
from app.notices.models import Notice, NoticeEvent, Tenant
from app.routing.models import AddressRegisterEntry, AddressRegisterVersion, BoundaryVersion, District, FormerArea
from app.security.models import ApiKey, AuditEvent, Authority, Landlord, LoginThrottle, User

__all__ = [
    "Case",
    "CaseNumber",
    "ContactAttempt",
    "PaymentCommitment",
    "Deadline",
    "EvictionNotice",
    "JointAssessmentPart",
    "Notice",
    "NoticeEvent",
    "Tenant",
    "TimelineEvent",
    "AddressRegisterEntry",
    "AddressRegisterVersion",
    "ApiKey",
    "AuditEvent",
    "Authority",
    "Base",
    "BoundaryVersion",
    "District",
    "FormerArea",
    "Landlord",
    "LoginThrottle",
    "User",
]
