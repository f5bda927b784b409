"""Service levels around the statutory deadlines, configurable per district.

Defaults (documented in the README): first contact within 2 vardagar (1 for
high and critical priority); a reminder to the handler when 5 vardagar remain
of the redemption period without a recorded contact, an escalation to the
manager at 2; Kronofogden's acknowledgement reminded hourly and escalated
before the day ends. A district may make these stricter, never looser
(`District.policy` holds its overrides).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class DeadlinePolicy:
    first_contact_vardagar: int = 2
    first_contact_vardagar_urgent: int = 1
    redemption_reminder_vardagar: int = 5
    redemption_escalation_vardagar: int = 2
    kronofogden_reminder_minutes: int = 60
    kronofogden_escalation_hours_before: int = 3

    def first_contact_for(self, priority: str) -> int:
        return self.first_contact_vardagar_urgent if priority in ("high", "critical") else self.first_contact_vardagar


# Fields where a smaller number is stricter (less time), and where larger is stricter (earlier warning).
_SMALLER_IS_STRICTER = {"first_contact_vardagar", "first_contact_vardagar_urgent", "kronofogden_reminder_minutes"}


DEFAULT_POLICY = DeadlinePolicy()


def policy_for(overrides: dict[str, Any] | None) -> DeadlinePolicy:
    """The default policy with a district's overrides applied, each only where it is stricter."""
    if not overrides:
        return DEFAULT_POLICY
    policy = DEFAULT_POLICY
    for item in fields(DeadlinePolicy):
        value = overrides.get(item.name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            continue
        default = getattr(DEFAULT_POLICY, item.name)
        stricter = value < default if item.name in _SMALLER_IS_STRICTER else value > default
        if stricter:
            policy = replace(policy, **{item.name: value})
    return policy
