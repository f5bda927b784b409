"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from app.db import Base
from app.routing.models import AddressRegisterEntry, AddressRegisterVersion, BoundaryVersion, District, FormerArea
from app.security.models import ApiKey, AuditEvent, Authority, Landlord, LoginThrottle, User

__all__ = [
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
