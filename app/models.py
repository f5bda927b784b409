"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from app.cases.models import Case, CaseNumber, ContactAttempt, EvictionNotice, PaymentCommitment, TimelineEvent
from app.db import Base
from app.deadlines.models import Deadline, DeadlineAlert
from app.households.models import JointAssessmentPart
from app.notices.models import Notice, NoticeEvent, Tenant
from app.reports.models import ReportArchive
from app.routing.models import AddressRegisterEntry, AddressRegisterVersion, BoundaryVersion, District, FormerArea
from app.jobs.base import JobRun
from app.security.models import (
    ApiKey,
    AuditEvent,
    Authority,
    Landlord,
    LandlordUser,
    LandlordWebSession,
    LoginThrottle,
    PortalUpload,
    User,
)
from notifications.models import Delivery, OutboxMessage

__all__ = [
    "Case",
    "CaseNumber",
    "ContactAttempt",
    "PaymentCommitment",
    "Deadline",
    "DeadlineAlert",
    "Delivery",
    "OutboxMessage",
    "ReportArchive",
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
    "JobRun",
    "Landlord",
    "LandlordUser",
    "LandlordWebSession",
    "PortalUpload",
    "LoginThrottle",
    "User",
]
