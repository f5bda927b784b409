"""Swedish words for the codes staff see (the glossary of domain/law-and-deadlines.md)."""

KIND = {
    "rent_arrears": "Obetald hyra (12 kap. 44 § JB)",
    "disturbance_warning": "Störningar – tillsägelse (12 kap. 25 a § JB)",
    "disturbance_termination": "Uppsägning för allvarliga störningar (12 kap. 42 § JB)",
}
FLAG = {
    "children": "Barn i hushållet",
    "age_65_plus": "65 år eller äldre",
    "repeat": "Upprepad underrättelse",
    "household_unknown": "Hushållet okänt",
    "eviction_scheduled": "Avhysning utsatt",
    "serious_disturbance": "Allvarliga störningar",
}
PRIORITY = {"critical": "Kritisk", "high": "Hög", "normal": "Normal"}
DEADLINE = {
    "redemption_period_end": "Återvinningsfristen löper ut",
    "eviction_decision_earliest": "Tidigaste beslut om avhysning",
    "first_contact": "Första kontakt",
    "budget_advice_offer": "Erbjudande om budget- och skuldrådgivning",
    "kronofogden_acknowledgement": "Bekräftelse till Kronofogden",
    "eviction": "Avhysning",
}
DEADLINE_STATUS = {"pending": "Löper", "met": "Uppfylld", "missed": "Missad", "cancelled": "Avbruten",
                   "info": "Information"}
UNIT = {"elderly_care": "Äldreomsorg", "disability": "Funktionsnedsättning", "children_families": "Barn och familj"}
PART_STATE = {"requested": "Begärd", "accepted": "Åtagen", "completed": "Klar"}
CHANNEL = {"letter": "Brev", "phone": "Telefon", "sms": "Sms", "home_visit": "Hembesök", "meeting": "Möte"}
OUTCOME = {
    "rent_paid": "Hyran betald",
    "payment_plan": "Avbetalningsplan",
    "payment_commitment": "Nämndens betalningsåtagande",
    "termination_withdrawn": "Uppsägningen återtagen",
    "moved_out": "Hyresgästen har flyttat",
    "evicted": "Avhyst",
    "declined_support": "Avböjt stöd",
    "no_contact": "Ingen kontakt",
    "referred": "Hänvisad",
    "other": "Annat",
}
ROLE = {"handler": "Handläggare", "manager": "Enhetschef", "joint_assessor": "Gemensam bedömning",
        "intake": "Mottagning", "admin": "Administratör"}
TIMELINE = {
    "case_opened": "Ärendet öppnades",
    "notice_received": "Underrättelse mottagen",
    "case_assessed": "Prioritet och flaggor bedömda",
    "joint_assessment_requested": "Gemensam bedömning begärd",
    "joint_assessment_accepted": "Gemensam bedömning åtagen",
    "joint_assessment_completed": "Gemensam bedömning klar",
    "assigned": "Ärendet tilldelat",
    "contact_attempt": "Kontaktförsök",
    "payment_commitment": "Betalningsåtagande registrerat",
    "case_closed": "Ärendet avslutat",
    "deadline_met": "Tidsfrist uppfylld",
    "deadline_missed": "Tidsfrist missad",
    "deadline_cancelled": "Tidsfrist avbruten",
    "deadline_recomputed": "Tidsfrist omräknad",
    "deadline_escalation_notified": "Eskalerat till enhetschef",
    "deadline_missed_notified": "Missad tidsfrist meddelad",
    "landlord_event": "Händelse från hyresvärden",
    "routed_manually": "Fördelad manuellt",
    "routed_by_geocoder": "Fördelad efter adressuppslag",
    "kronofogden_eviction_notice": "Underrättelse om avhysning från Kronofogden",
    "kronofogden_acknowledged": "Bekräftelse skickad till Kronofogden",
    "household_lookup": "Uppslag i folkbokföringen",
    "household_set": "Hushållet registrerat av handläggare",
}
LANDLORD_EVENT = {
    "tenant_served": "Hyresgästen delgiven",
    "rent_paid": "Hyran betald",
    "payment_plan_agreed": "Avbetalningsplan överenskommen",
    "termination_withdrawn": "Uppsägningen återtagen",
    "eviction_applied": "Ansökan om avhysning till Kronofogden",
    "eviction_scheduled": "Avhysning utsatt av Kronofogden",
    "eviction_executed": "Avhysning verkställd",
    "tenant_moved_out": "Hyresgästen har flyttat",
}
ROUTING_METHOD = {"address_register": "Stadens adressregister", "boundaries": "Koordinater i stadsdelsområde",
                  "geocoder": "Adressuppslag", "postal_code": "Postnummer", "manual": "Manuell fördelning"}


def as_filters() -> dict[str, dict[str, str]]:
    return {
        "kind_sv": KIND, "flag_sv": FLAG, "priority_sv": PRIORITY, "deadline_sv": DEADLINE,
        "deadline_status_sv": DEADLINE_STATUS, "unit_sv": UNIT, "part_state_sv": PART_STATE,
        "channel_sv": CHANNEL, "outcome_sv": OUTCOME, "role_sv": ROLE, "timeline_sv": TIMELINE,
        "landlord_event_sv": LANDLORD_EVENT, "routing_method_sv": ROUTING_METHOD,
    }
