"""The words of Varsel's own records, and their Swedish labels: the audit log and the outbox.

`app/vocabulary.py` holds the domain's words (notices, cases, deadlines …); this
module holds the words of what Varsel records about itself — the actions of the
audit log, who did them, what they concerned, and how the outbox's messages
fared — so that the audit page (`/granskning`) and the administrators' message
page (`/admin/utskick`) show Swedish, never a code. One table per word;
`tests/security/test_record_words.py` checks that every action the code records
and every failure kind the outbox stores has its label here.
"""

from __future__ import annotations

from enum import StrEnum

from app.vocabulary import LandlordEvent

# --------------------------------------------------------------------------- the audit log

# Every action `audit.record` is called with, and how the audit page says it (past tense, the actor
# being the subject: "Sara Lind – Öppnade ärendet"). A case command is recorded as `case.<command>`
# (app/cases/service.py: COMMAND_ROLES), a landlord's event as `notice.event.<type>`.
AUDIT_ACTIONS: dict[str, str] = {
    "case.view": "Öppnade ärendet",
    "case.search": "Sökte i kön",
    "case.assign": "Tilldelade ärendet",
    "case.contact": "Registrerade ett kontaktförsök",
    "case.payment_commitment": "Registrerade nämndens betalningsåtagande",
    "case.household": "Registrerade hushållet",
    "case.budget_advice": "Registrerade erbjudandet om budget- och skuldrådgivning",
    "case.close": "Avslutade ärendet",
    "case.reopen": "Öppnade ärendet igen",
    "case.joint_assessment.accept": "Åtog sig en del av den gemensamma bedömningen",
    "case.joint_assessment.complete": "Slutförde en del av den gemensamma bedömningen",
    "case.commitment_letter": "Hämtade brevet om betalningsåtagandet",
    "tenant.pin.reveal": "Visade ett personnummer",
    "intake.list": "Öppnade listan för manuell fördelning",
    "notice.create": "Skickade in en underrättelse",
    "notice.route": "Fördelade en underrättelse manuellt",
    **{f"notice.event.{event.value}": f"Rapporterade: {event.label.lower()}" for event in LandlordEvent},
    "kronofogden.eviction_notice": "Underrättade om avhysning",
    "population_register.household_at": "Slog upp hushållet i folkbokföringen",
    "report.monthly": "Hämtade månadsrapporten",
    "audit.read": "Läste granskningsloggen",
    "web.sign_in": "Loggade in",
    "web.sign_out": "Loggade ut",
    "auth.token_issued": "Loggade in i API:et",
    "auth.sign_in_failed": "Misslyckad inloggning",
    "admin.landlord.create": "Lade upp en hyresvärd",
    "admin.key.create": "Skapade en API-nyckel",
    "admin.key.revoke": "Spärrade en API-nyckel",
    "admin.district.update": "Ändrade en stadsdels kontaktuppgifter",
    "admin.outbox.retry": "Lade tillbaka ett misslyckat utskick för ett nytt försök",
    "admin.user.create": "Skapade en användare",
    "admin.user.deactivate": "Avaktiverade en användare",
    "admin.user.activate": "Aktiverade en användare",
    "admin.user.password": "Gav en användare nytt lösenord",
    "admin.landlord_user.create": "Skapade en portalanvändare för en hyresvärd",
    "admin.landlord_user.link": "Skapade en ny inloggningslänk för en portalanvändare",
    "admin.landlord_user.deactivate": "Avaktiverade en portalanvändare",
    "portal.sign_in": "Loggade in i hyresvärdsportalen",
    "portal.sign_out": "Loggade ut ur hyresvärdsportalen",
    "portal.password_set": "Valde lösenord till hyresvärdsportalen",
    "portal.notice.list": "Listade sina underrättelser",
    "portal.notice.read": "Läste en underrättelse",
    "portal.notice.receipt_pdf": "Hämtade kvittot som PDF",
    "portal.upload.preview": "Förhandsgranskade en fil med underrättelser",
    "portal.upload.confirm": "Skickade in en fil med underrättelser",
    "purge.case": "Gallrade ett ärende",
    "purge.notice": "Gallrade en underrättelse",
    "purge.test_data": "Raderade testdata",
    "keys.data_key_rotated": "Bytte krypteringsnyckel",
}

# Who acted, when it was not a staff member (`Actor.kind`); a staff member is shown by name alone.
ACTOR_KINDS: dict[str, str] = {
    "staff": "personal",
    "landlord": "hyresvärd, via API",
    "landlord_user": "hyresvärdsportalen",
    "authority": "myndighet",
    "system": "automatiskt",
    "anonymous": "ej inloggad",
}

# What an event concerned (`AuditEvent.object_type`).
OBJECT_TYPES: dict[str, str] = {
    "case": "Ärende",
    "notice": "Underrättelse",
    "tenant": "Hyresgäst",
    "user": "Användare",
    "landlord": "Hyresvärd",
    "landlord_user": "Portalanvändare",
    "api_key": "API-nyckel",
    "district": "Stadsdel",
    "outbox": "Utskick",
}


def audit_action_label(code: str) -> str:
    """The Swedish of an audit action; an action without a label is never shown as its code."""
    return AUDIT_ACTIONS.get(code, "Annan händelse")


# --------------------------------------------------------------------------- the outbox

class DeliveryFailure(StrEnum):
    """Why a message was not sent (stored by `notifications/outbox.py` with the message).

    The first five are permanent: the same message sent again fails the same way, so
    nobody is offered a retry. The rest may pass once something has changed (the
    receiver answers again, a handler is assigned, the PDF packages are installed).
    """

    NO_RECIPIENT = "no_recipient"
    RECIPIENT_REFUSED = "recipient_refused"
    REJECTED = "rejected"
    CASE_GONE = "case_gone"
    LETTER_NOT_PRODUCED = "letter_not_produced"
    UNAVAILABLE = "unavailable"
    NO_HANDLER = "no_handler"
    PDF_UNAVAILABLE = "pdf_unavailable"
    NO_CHANNEL = "no_channel"
    UNKNOWN = "unknown"  # recorded before the kinds were, or by an error of no known kind

    @property
    def permanent(self) -> bool:
        return self in PERMANENT_FAILURES

    @property
    def label(self) -> str:
        return DELIVERY_FAILURES[self]


PERMANENT_FAILURES = frozenset({DeliveryFailure.NO_RECIPIENT, DeliveryFailure.RECIPIENT_REFUSED,
                                DeliveryFailure.REJECTED, DeliveryFailure.CASE_GONE,
                                DeliveryFailure.LETTER_NOT_PRODUCED})

DELIVERY_FAILURES: dict[DeliveryFailure, str] = {
    DeliveryFailure.NO_RECIPIENT: "Mottagaren saknar e-postadress eller telefonnummer.",
    DeliveryFailure.RECIPIENT_REFUSED: "Mottagarens e-postserver tar inte emot adressen.",
    DeliveryFailure.REJECTED: "Mottagarens system avvisade meddelandet.",
    DeliveryFailure.CASE_GONE: "Ärendet eller underrättelsen finns inte längre (gallrad).",
    DeliveryFailure.LETTER_NOT_PRODUCED: "Brevet kunde inte skapas: uppgifterna i ärendet räcker inte "
                                         "eller gäller inte längre.",
    DeliveryFailure.UNAVAILABLE: "Mottagarens system svarade inte.",
    DeliveryFailure.NO_HANDLER: "Ingen handläggare är tilldelad ärendet ännu.",
    DeliveryFailure.PDF_UNAVAILABLE: "Servern kan inte skapa PDF: systempaket saknas.",
    DeliveryFailure.NO_CHANNEL: "Kanalen är inte inställd på servern.",
    DeliveryFailure.UNKNOWN: "Okänt fel.",
}

# What the administrator can do about it: a permanent failure says why a retry would not help.
DELIVERY_FAILURE_ADVICE: dict[DeliveryFailure, str] = {
    DeliveryFailure.NO_RECIPIENT: "Lägg in adressen hos användaren; kommande utskick når fram.",
    DeliveryFailure.RECIPIENT_REFUSED: "Kontrollera användarens e-postadress; kommande utskick går till den nya.",
    DeliveryFailure.REJECTED: "Samma meddelande avvisas igen. Kontakta mottagaren.",
    DeliveryFailure.CASE_GONE: "Inget att skicka längre.",
    DeliveryFailure.LETTER_NOT_PRODUCED: "Handläggaren skickar brevet på annat sätt.",
    DeliveryFailure.UNAVAILABLE: "Försök igen när mottagarens system fungerar.",
    DeliveryFailure.NO_HANDLER: "Tilldela ärendet en handläggare och försök igen.",
    DeliveryFailure.PDF_UNAVAILABLE: "Installera paketen (se driftdokumentationen) och försök igen.",
    DeliveryFailure.NO_CHANNEL: "Ställ in kanalen och försök igen.",
    DeliveryFailure.UNKNOWN: "Försök igen; misslyckas det igen, se serverns logg.",
}

CHANNELS: dict[str, str] = {"email": "E-post", "sms": "Sms", "letter": "Brev", "kronofogden": "Kronofogden"}

OUTBOX_STATUSES: dict[str, str] = {"pending": "Väntar", "sending": "Skickas", "sent": "Skickat",
                                   "failed": "Misslyckat"}

# What each message is (`OutboxMessage.template`).
MESSAGE_TEMPLATES: dict[str, str] = {
    "new_cases_digest": "Nya ärenden (sammanställning)",
    "deadline_reminder": "Påminnelse om tidsfrist",
    "deadline_escalation": "Eskalering av tidsfrist",
    "deadline_missed": "Missad tidsfrist",
    "joint_assessment_request": "Begäran om gemensam bedömning",
    "kronofogden_reminder": "Påminnelse om bekräftelse till Kronofogden",
    "kronofogden_unassigned": "Kronofogdeärende utan handläggare",
    "kronofogden_acknowledgement": "Bekräftelse till Kronofogden",
    "kronofogden_copy": "Kopia av bekräftelsen till hyresgästen",
    "tenant_redemption_letter": "Brev till hyresgästen om återvinningsfristen",
    "payment_commitment_letter": "Brev till hyresvärden om betalningsåtagande",
    "monthly_report": "Månadsrapport",
}
