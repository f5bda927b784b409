"""The domain's words, defined once: their codes and their Swedish labels.

A code (the enum value) is what the API, the database and the logs use; its
label is what people read in the staff UI, letters, emails and reports
(språklagen 11 §: vårdat, enkelt och begripligt). Schemas derive their
`Literal`s from these enums (`literal_of`), templates get the label tables
(`template_labels`), so a word cannot be spelt two ways in two places.

The glossary behind the words is `docs/law-and-deadlines.md`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal


class Word(StrEnum):
    """A domain word: its value is the code; `label` is its Swedish label."""

    @property
    def label(self) -> str:
        return LABELS[type(self)][self]


class NoticeKind(Word):
    RENT_ARREARS = "rent_arrears"
    DISTURBANCE_WARNING = "disturbance_warning"
    DISTURBANCE_TERMINATION = "disturbance_termination"

    @property
    def statute(self) -> str:
        """The paragraph of Jordabalken that makes the landlord send this notice."""
        return _KIND_STATUTE[self]


class NoticeStatus(Word):
    RECEIVED = "received"  # awaiting manual routing
    ROUTED = "routed"
    CLOSED = "closed"  # by a terminal event the landlord reported


class LandlordEvent(Word):
    TENANT_SERVED = "tenant_served"
    RENT_PAID = "rent_paid"
    PAYMENT_PLAN_AGREED = "payment_plan_agreed"
    TERMINATION_WITHDRAWN = "termination_withdrawn"
    EVICTION_APPLIED = "eviction_applied"
    EVICTION_SCHEDULED = "eviction_scheduled"
    EVICTION_EXECUTED = "eviction_executed"
    TENANT_MOVED_OUT = "tenant_moved_out"


# After these the landlord's notice is closed (the receipt's status says so).
TERMINAL_EVENTS = frozenset({LandlordEvent.RENT_PAID, LandlordEvent.TERMINATION_WITHDRAWN,
                             LandlordEvent.EVICTION_EXECUTED, LandlordEvent.TENANT_MOVED_OUT})


class CaseStatus(Word):
    OPEN = "open"
    CLOSED = "closed"


class Outcome(Word):
    RENT_PAID = "rent_paid"
    PAYMENT_PLAN = "payment_plan"
    PAYMENT_COMMITMENT = "payment_commitment"
    TERMINATION_WITHDRAWN = "termination_withdrawn"
    MOVED_OUT = "moved_out"
    EVICTED = "evicted"
    DECLINED_SUPPORT = "declined_support"
    NO_CONTACT = "no_contact"
    REFERRED = "referred"
    OTHER = "other"


class ContactChannel(Word):
    LETTER = "letter"
    PHONE = "phone"
    SMS = "sms"
    HOME_VISIT = "home_visit"
    MEETING = "meeting"


class DeadlineKind(Word):
    REDEMPTION_PERIOD_END = "redemption_period_end"
    EVICTION_DECISION_EARLIEST = "eviction_decision_earliest"
    FIRST_CONTACT = "first_contact"
    BUDGET_ADVICE_OFFER = "budget_advice_offer"
    KRONOFOGDEN_ACKNOWLEDGEMENT = "kronofogden_acknowledgement"
    EVICTION = "eviction"

    @property
    def phrase(self) -> str:
        """The label inside a sentence ("… löper återvinningsfristen ut …")."""
        return _DEADLINE_PHRASE[self]


# The deadlines the landlord's receipt shows (the law's dates, not the service's own).
STATUTORY_DEADLINES = (DeadlineKind.REDEMPTION_PERIOD_END, DeadlineKind.EVICTION_DECISION_EARLIEST)


class DeadlineStatus(Word):
    PENDING = "pending"
    MET = "met"
    MISSED = "missed"
    CANCELLED = "cancelled"
    INFO = "info"  # information for the handler, never met or missed


class AlertKind(Word):
    REMINDER = "reminder"
    ESCALATION = "escalation"
    MISSED = "missed"


class Flag(Word):
    CHILDREN = "children"
    AGE_65_PLUS = "age_65_plus"
    SERIOUS_DISTURBANCE = "serious_disturbance"
    REPEAT = "repeat"
    EVICTION_SCHEDULED = "eviction_scheduled"
    HOUSEHOLD_UNKNOWN = "household_unknown"


class Priority(Word):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"

    @property
    def rank(self) -> int:
        """The queue's sort key: critical first."""
        return _PRIORITY_RANK[self]


class Unit(Word):
    ELDERLY_CARE = "elderly_care"
    DISABILITY = "disability"
    CHILDREN_FAMILIES = "children_families"


class PartState(Word):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    COMPLETED = "completed"


class Role(Word):
    HANDLER = "handler"
    MANAGER = "manager"
    JOINT_ASSESSOR = "joint_assessor"
    INTAKE = "intake"
    ADMIN = "admin"


class RoutingMethod(Word):
    ADDRESS_REGISTER = "address_register"
    BOUNDARIES = "boundaries"
    GEOCODER = "geocoder"
    POSTAL_CODE = "postal_code"
    MANUAL = "manual"


class TimelineType(Word):
    CASE_OPENED = "case_opened"
    NOTICE_RECEIVED = "notice_received"
    CASE_ASSESSED = "case_assessed"
    JOINT_ASSESSMENT_REQUESTED = "joint_assessment_requested"
    JOINT_ASSESSMENT_ACCEPTED = "joint_assessment_accepted"
    JOINT_ASSESSMENT_COMPLETED = "joint_assessment_completed"
    ASSIGNED = "assigned"
    CONTACT_ATTEMPT = "contact_attempt"
    PAYMENT_COMMITMENT = "payment_commitment"
    CASE_CLOSED = "case_closed"
    CASE_REOPENED = "case_reopened"
    DEADLINE_MET = "deadline_met"
    DEADLINE_MISSED = "deadline_missed"
    DEADLINE_CANCELLED = "deadline_cancelled"
    DEADLINE_RECOMPUTED = "deadline_recomputed"
    DEADLINE_ESCALATION_NOTIFIED = "deadline_escalation_notified"
    DEADLINE_MISSED_NOTIFIED = "deadline_missed_notified"
    LANDLORD_EVENT = "landlord_event"
    ROUTED_MANUALLY = "routed_manually"
    ROUTED_BY_GEOCODER = "routed_by_geocoder"
    KRONOFOGDEN_EVICTION_NOTICE = "kronofogden_eviction_notice"
    KRONOFOGDEN_ACKNOWLEDGED = "kronofogden_acknowledged"
    HOUSEHOLD_LOOKUP = "household_lookup"
    HOUSEHOLD_SET = "household_set"


class QueueView(Word):  # the queue's saved views (app/cases/queue.py: view_clause)
    MINE = "mina"
    UNASSIGNED = "ej-tilldelade"
    DUE_TODAY = "i-dag"
    OVERDUE = "forsenade"
    JOINT = "gemensam"


LABELS: dict[type[Word], dict[Any, str]] = {
    NoticeKind: {
        NoticeKind.RENT_ARREARS: "Obetald hyra",
        NoticeKind.DISTURBANCE_WARNING: "Störningar – tillsägelse",
        NoticeKind.DISTURBANCE_TERMINATION: "Uppsägning för särskilt allvarliga störningar",
    },
    NoticeStatus: {
        NoticeStatus.RECEIVED: "Väntar på fördelning",
        NoticeStatus.ROUTED: "Fördelad",
        NoticeStatus.CLOSED: "Avslutad av hyresvärden",
    },
    LandlordEvent: {
        LandlordEvent.TENANT_SERVED: "Hyresgästen delgiven",
        LandlordEvent.RENT_PAID: "Hyran betald",
        LandlordEvent.PAYMENT_PLAN_AGREED: "Avbetalningsplan överenskommen",
        LandlordEvent.TERMINATION_WITHDRAWN: "Uppsägningen återkallad",
        LandlordEvent.EVICTION_APPLIED: "Ansökan om avhysning till Kronofogden",
        LandlordEvent.EVICTION_SCHEDULED: "Avhysning utsatt av Kronofogden",
        LandlordEvent.EVICTION_EXECUTED: "Avhysning verkställd",
        LandlordEvent.TENANT_MOVED_OUT: "Hyresgästen har flyttat",
    },
    CaseStatus: {CaseStatus.OPEN: "Öppet", CaseStatus.CLOSED: "Avslutat"},
    Outcome: {
        Outcome.RENT_PAID: "Hyran betald",
        Outcome.PAYMENT_PLAN: "Avbetalningsplan",
        Outcome.PAYMENT_COMMITMENT: "Nämndens betalningsåtagande",
        Outcome.TERMINATION_WITHDRAWN: "Uppsägningen återkallad",
        Outcome.MOVED_OUT: "Hyresgästen har flyttat",
        Outcome.EVICTED: "Avhyst",
        Outcome.DECLINED_SUPPORT: "Avböjt stöd",
        Outcome.NO_CONTACT: "Ingen kontakt",
        Outcome.REFERRED: "Hänvisad vidare",
        Outcome.OTHER: "Annat",
    },
    ContactChannel: {
        ContactChannel.LETTER: "Brev",
        ContactChannel.PHONE: "Telefon",
        ContactChannel.SMS: "Sms",
        ContactChannel.HOME_VISIT: "Hembesök",
        ContactChannel.MEETING: "Möte",
    },
    DeadlineKind: {
        DeadlineKind.REDEMPTION_PERIOD_END: "Återvinningsfristen",
        DeadlineKind.EVICTION_DECISION_EARLIEST: "Tidigaste beslut om avhysning",
        DeadlineKind.FIRST_CONTACT: "Första kontakt",
        DeadlineKind.BUDGET_ADVICE_OFFER: "Erbjudande om budget- och skuldrådgivning",
        DeadlineKind.KRONOFOGDEN_ACKNOWLEDGEMENT: "Bekräftelse till Kronofogden",
        DeadlineKind.EVICTION: "Avhysning",
    },
    DeadlineStatus: {
        DeadlineStatus.PENDING: "Löper",
        DeadlineStatus.MET: "Uppfylld",
        DeadlineStatus.MISSED: "Missad",
        DeadlineStatus.CANCELLED: "Avbruten",
        DeadlineStatus.INFO: "Information",
    },
    AlertKind: {AlertKind.REMINDER: "Påminnelse", AlertKind.ESCALATION: "Eskalering",
                AlertKind.MISSED: "Missad tidsfrist"},
    Flag: {
        Flag.CHILDREN: "Barn i hushållet",
        Flag.AGE_65_PLUS: "65 år eller äldre",
        Flag.SERIOUS_DISTURBANCE: "Allvarliga störningar",
        Flag.REPEAT: "Upprepad underrättelse",
        Flag.EVICTION_SCHEDULED: "Avhysning utsatt",
        Flag.HOUSEHOLD_UNKNOWN: "Hushållet okänt",
    },
    Priority: {Priority.CRITICAL: "Kritisk", Priority.HIGH: "Hög", Priority.NORMAL: "Normal"},
    Unit: {
        Unit.ELDERLY_CARE: "Äldreomsorg",
        Unit.DISABILITY: "Funktionsnedsättning",
        Unit.CHILDREN_FAMILIES: "Barn och familj",
    },
    PartState: {PartState.REQUESTED: "Begärd", PartState.ACCEPTED: "Åtagen", PartState.COMPLETED: "Klar"},
    Role: {
        Role.HANDLER: "Handläggare",
        Role.MANAGER: "Enhetschef",
        Role.JOINT_ASSESSOR: "Gemensam bedömning",
        Role.INTAKE: "Mottagning",
        Role.ADMIN: "Administratör",
    },
    RoutingMethod: {
        RoutingMethod.ADDRESS_REGISTER: "Stadens adressregister",
        RoutingMethod.BOUNDARIES: "Koordinater i stadsdelsområde",
        RoutingMethod.GEOCODER: "Adressuppslag",
        RoutingMethod.POSTAL_CODE: "Postnummer",
        RoutingMethod.MANUAL: "Manuell fördelning",
    },
    TimelineType: {
        TimelineType.CASE_OPENED: "Ärendet öppnades",
        TimelineType.NOTICE_RECEIVED: "Underrättelse mottagen",
        TimelineType.CASE_ASSESSED: "Prioritet och flaggor bedömda",
        TimelineType.JOINT_ASSESSMENT_REQUESTED: "Gemensam bedömning begärd",
        TimelineType.JOINT_ASSESSMENT_ACCEPTED: "Gemensam bedömning åtagen",
        TimelineType.JOINT_ASSESSMENT_COMPLETED: "Gemensam bedömning klar",
        TimelineType.ASSIGNED: "Ärendet tilldelat",
        TimelineType.CONTACT_ATTEMPT: "Kontaktförsök",
        TimelineType.PAYMENT_COMMITMENT: "Betalningsåtagande registrerat",
        TimelineType.CASE_CLOSED: "Ärendet avslutat",
        TimelineType.CASE_REOPENED: "Ärendet återöppnat",
        TimelineType.DEADLINE_MET: "Tidsfrist uppfylld",
        TimelineType.DEADLINE_MISSED: "Tidsfrist missad",
        TimelineType.DEADLINE_CANCELLED: "Tidsfrist avbruten",
        TimelineType.DEADLINE_RECOMPUTED: "Tidsfrist omräknad",
        TimelineType.DEADLINE_ESCALATION_NOTIFIED: "Eskalerat till enhetschef",
        TimelineType.DEADLINE_MISSED_NOTIFIED: "Missad tidsfrist meddelad",
        TimelineType.LANDLORD_EVENT: "Händelse från hyresvärden",
        TimelineType.ROUTED_MANUALLY: "Fördelad manuellt",
        TimelineType.ROUTED_BY_GEOCODER: "Fördelad efter adressuppslag",
        TimelineType.KRONOFOGDEN_EVICTION_NOTICE: "Underrättelse om avhysning från Kronofogden",
        TimelineType.KRONOFOGDEN_ACKNOWLEDGED: "Bekräftelse skickad till Kronofogden",
        TimelineType.HOUSEHOLD_LOOKUP: "Uppslag i folkbokföringen",
        TimelineType.HOUSEHOLD_SET: "Hushållet registrerat av handläggare",
    },
    QueueView: {QueueView.MINE: "Mina", QueueView.UNASSIGNED: "Ej tilldelade", QueueView.DUE_TODAY: "Förfaller i dag",
                QueueView.OVERDUE: "Försenade", QueueView.JOINT: "Gemensam bedömning"},
}

_KIND_STATUTE = {
    NoticeKind.RENT_ARREARS: "12 kap. 44 § JB",
    NoticeKind.DISTURBANCE_WARNING: "12 kap. 25 a § JB",
    NoticeKind.DISTURBANCE_TERMINATION: "12 kap. 42 § JB",
}
_DEADLINE_PHRASE = {
    DeadlineKind.REDEMPTION_PERIOD_END: "återvinningsfristen",
    DeadlineKind.EVICTION_DECISION_EARLIEST: "den tidigaste dagen för beslut om avhysning",
    DeadlineKind.FIRST_CONTACT: "tiden för första kontakt",
    DeadlineKind.BUDGET_ADVICE_OFFER: "erbjudandet om budget- och skuldrådgivning",
    DeadlineKind.KRONOFOGDEN_ACKNOWLEDGEMENT: "bekräftelsen till Kronofogden",
    DeadlineKind.EVICTION: "avhysningen",
}
_PRIORITY_RANK = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.NORMAL: 2}
# How a deadline was resolved (`Deadline.resolution`), besides the landlord's events (LandlordEvent).
RESOLUTIONS = {"reached": "hushållet nåddes", "two_attempts": "två kontaktförsök registrerade",
               "payment_commitment": "nämndens betalningsåtagande", "case_closed": "ärendet avslutades",
               "acknowledgement_sent": "bekräftelsen skickades", "offered": "erbjudande lämnat", "not met by the due time": "inte uppfylld i tid"}


def codes(word: type[Word]) -> tuple[str, ...]:
    return tuple(member.value for member in word)


def literal_of(word: type[Word]) -> Any:
    """`Literal["a", "b", …]` of a word's codes, for schemas (their errors list the allowed values)."""
    return Literal[codes(word)]  # type: ignore[valid-type]


def label(word: type[Word], code: str | None, default: str | None = None) -> str:
    """The Swedish label of a code; an unknown code gives `default` (never the raw code to people)."""
    try:
        return LABELS[word][word(code)]
    except ValueError:
        return default if default is not None else "–"


def labels(word: type[Word]) -> dict[str, str]:
    """code → label, in the enum's order (for option lists)."""
    return {member.value: LABELS[word][member] for member in word}


def resolution_label(code: str | None) -> str:
    return RESOLUTIONS.get(code or "") or (label(LandlordEvent, code, "–").lower() if code else "–")


def kind_with_statute(kind: NoticeKind) -> str:
    return f"{kind.label} ({kind.statute})"


def template_labels() -> dict[str, dict[str, str]]:
    """The label tables the staff UI's templates use, by their historical names."""
    return {
        "kind_sv": {k.value: kind_with_statute(k) for k in NoticeKind},
        "notice_status_sv": labels(NoticeStatus),
        "flag_sv": labels(Flag),
        "priority_sv": labels(Priority),
        "deadline_sv": labels(DeadlineKind),
        "deadline_status_sv": labels(DeadlineStatus),
        "unit_sv": labels(Unit),
        "part_state_sv": labels(PartState),
        "channel_sv": labels(ContactChannel),
        "outcome_sv": labels(Outcome),
        "role_sv": labels(Role),
        "timeline_sv": labels(TimelineType),
        "landlord_event_sv": labels(LandlordEvent),
        "routing_method_sv": labels(RoutingMethod),
        "case_status_sv": labels(CaseStatus),
        "kind_short_sv": labels(NoticeKind),
        "view_sv": labels(QueueView),
    }
