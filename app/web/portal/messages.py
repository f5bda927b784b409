"""The intake's answers in Swedish, next to the field they are about.

The portal asks the same rules as the API (`NoticeIn`, `validation.check_notice`,
the intake service) and gets their answers in English, as `{field, message}`.
This module only translates: a pydantic error by its type (and limits), a rule's
message by its text. A message without a translation still gets a plain Swedish
sentence (`FALLBACK`); `tests/portal/test_messages.py` makes sure the rules'
own messages all have one.
"""

from __future__ import annotations

import re
from typing import Any

from app.dates import OUT_OF_RANGE
from app.errors import Problem, errors_from_pydantic
from app.money import AmountError
from app.notices.csv_batch import column_of
from app.notices.schemas import APARTMENT_NUMBER_PATTERN
from app.text import MULTI_LINE_MESSAGE, SINGLE_LINE_MESSAGE, SURROGATE_MESSAGE
from app.vocabulary import NoticeKind, labels

FALLBACK = "Kontrollera uppgiften."
KIND_SV = labels(NoticeKind)
SURROGATE_SV = "Texten innehåller tecken som inte kan läsas."
TIME_SV = "Ange dag och klockslag, till exempel 2027-01-14 kl. 09.00."

# A rule's English message → the same in Swedish (språklagen 11 §: vårdat, enkelt och begripligt).
_EXACT = {
    "field required": "Fyll i uppgiften.",
    "unknown field": "Den här kolumnen finns inte i mallen.",
    "must not be in the future": "Datumet får inte vara senare än i dag.",
    "must not be more than one year back": "Datumet får inte vara mer än ett år bakåt i tiden.",
    "only for kind rent_arrears": "Fylls bara i vid underrättelse om obetald hyra.",
    "required for disturbance_termination": "Fyll i dagen för uppsägningen: den behövs vid uppsägning för "
                                            "särskilt allvarliga störningar.",
    "required for rent_arrears": "Fyll i uppgifterna om hyresskulden: de behövs vid underrättelse om obetald hyra.",
    "must not be after sent_on": "Får inte vara senare än dagen då underrättelsen skickades.",
    "must be omitted for rent_arrears": "Ska lämnas tomt vid underrättelse om obetald hyra.",
    "must be omitted for disturbance_warning": "Ska lämnas tomt vid tillsägelse om störningar.",
    "must be omitted for disturbance_termination": "Ska lämnas tomt vid uppsägning för störningar.",
    "required for disturbance_warning": "Beskriv störningarna och när ni bad hyresgästen att upphöra.",
    "must not be blank": "Får inte vara tomt.",
    "give at least one of phone and email": "Ange telefonnummer eller e-postadress, minst ett av dem.",
    "not a valid email address": "Skriv en giltig e-postadress, till exempel namn@exempel.se.",
    "not a valid phone number (e.g. +46701234567 or 08-123 456 00)":
        "Skriv ett giltigt telefonnummer, till exempel 070-123 45 67 eller 08-123 456 00.",
    "must be five digits, written 'NNN NN' or 'NNNNN'": "Postnumret ska ha fem siffror, till exempel 118 46.",
    "must be a date written YYYY-MM-DD": "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-11-20.",
    "not a real calendar date": "Datumet finns inte i kalendern.",
    OUT_OF_RANGE: "Datumet ska ligga mellan år 1900 och 2199.",
    "must be a number (WGS84 decimal degrees)": "Skriv ett tal i grader, till exempel 59,3146.",
    SINGLE_LINE_MESSAGE: "Får inte innehålla radbrytningar, tabbar eller andra styrtecken.",
    MULTI_LINE_MESSAGE: "Får inte innehålla andra styrtecken än radbrytningar.",
    SURROGATE_MESSAGE: SURROGATE_SV,
    # Identity numbers (app/identity.py)
    "checksum does not match": "Kontrollsiffran stämmer inte. Kontrollera numret.",
    "a serial number of all zeros is never issued": "Numret finns inte: födelsenumret 000 delas aldrig ut.",
    "birth date is in the future": "Födelsedatumet i numret ligger i framtiden.",
    "the + separator is only used for a person aged a hundred or more":
        "Plustecknet används bara för den som är 100 år eller äldre. Skriv ett bindestreck.",
    "must be 10 or 12 digits: YYMMDD-NNNC, YYMMDD+NNNC, YYMMDDNNNC, YYYYMMDD-NNNC or YYYYMMDDNNNC":
        "Skriv personnumret med 10 eller 12 siffror, till exempel 19850412-1234.",
    "Input should be a valid string, unable to parse raw data as a unicode string": SURROGATE_SV,
    "must include a UTC offset, e.g. 2027-01-14T09:00:00+01:00": TIME_SV,
    "must be an RFC 3339 timestamp with offset, e.g. 2027-01-14T09:00:00+01:00": TIME_SV,
    # Events (validation.check_event, events.add_event)
    "required for eviction_scheduled": "Ange dag och tid för avhysningen.",
    "only for eviction_scheduled": "Dag och tid anges bara när Kronofogden har bestämt tid för avhysning.",
    "tenant_served applies only to rent_arrears notices":
        "Delgivning rapporteras bara för underrättelser om obetald hyra.",
}
_PREFIXES = {
    "must be omitted for disturbance_warning:":
        "Ska lämnas tomt vid tillsägelse om störningar: ingen uppsägning får ske före underrättelsen till "
        "socialnämnden (12 kap. 42 § tredje stycket jordabalken).",
}


def _lies_in(message: str) -> str | None:
    if message.startswith("lies in "):
        where = message.removeprefix("lies in ")
        if where.startswith("this municipality"):
            return "Punkten ligger i kommunen, men postnumret gör det inte. Kontrollera adressen."
        return (f"Adressen ligger i {where}, inte i den här kommunen. Skicka underrättelsen till socialnämnden "
                f"i {where}." if where != "another municipality" else
                "Adressen ligger i en annan kommun. Skicka underrättelsen till socialnämnden där bostaden ligger.")
    return None


# pydantic's own messages for the shapes the schema checks (their limits are in the message).
_PATTERNS = [
    (re.compile(r"^Input should be a valid integer"), lambda m: "Skriv ett heltal, till exempel 2."),
    (re.compile(r"^Input should be greater than or equal to (\S+)$"),
     lambda m: f"Skriv ett tal som är {m[1]} eller större."),
    (re.compile(r"^Input should be less than or equal to (\S+)$"), lambda m: f"Skriv ett tal som är högst {m[1]}."),
    (re.compile(r"^String should have at least 1 character"), lambda m: "Fyll i uppgiften."),
    (re.compile(r"^String should have at least (\d+) characters$"), lambda m: f"Skriv minst {m[1]} tecken."),
    (re.compile(r"^String should have at most (\d+) characters?$"), lambda m: f"Skriv högst {m[1]} tecken."),
    (re.compile(r"^String should match pattern '" + re.escape(APARTMENT_NUMBER_PATTERN) + "'$"),
     lambda m: "Lägenhetsnumret ska ha fyra siffror, till exempel 1102."),
    (re.compile(r"^Input should be a valid boolean"), lambda m: "Svara ja eller nej (true eller false)."),
    (re.compile(r"^Input should be '"), lambda m: "Välj ett av alternativen: " + ", ".join(
        f"{k} ({v})" for k, v in KIND_SV.items()) + "."),
    (re.compile(r"^List should have at least 1 item"), lambda m: "Fyll i minst en hyresgäst."),
    (re.compile(r"^List should have at most (\d+) items"), lambda m: f"Högst {m[1]} hyresgäster kan anges."),
    (re.compile(r"^Input should be a valid string"), lambda m: "Skriv uppgiften som text."),
    (re.compile(r"^Input should be a valid dictionary"), lambda m: "Fyll i uppgifterna i den här delen."),
]


def swedish(message: str) -> str:
    """The Swedish for one of the intake's `{field, message}` messages."""
    text = message.removeprefix("Value error, ")
    if text in _EXACT:
        return _EXACT[text]
    for pattern, translate in _PATTERNS:
        if found := pattern.match(text):
            return translate(found)
    for prefix, translation in _PREFIXES.items():
        if text.startswith(prefix):
            return translation
    try:
        return AmountError(text).swedish  # app/money.py keeps the Swedish of its own reasons
    except KeyError:
        return _lies_in(text) or FALLBACK


def field_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """{column: [Swedish messages]} from the API's `{field, message}` list."""
    out: dict[str, list[str]] = {}
    for error in errors:
        out.setdefault(column_of(error["field"]), []).append(swedish(error["message"]))
    return out


def pydantic_errors(raw: list[Any]) -> dict[str, list[str]]:
    """The same, from a pydantic ValidationError's errors (as the API lists them: `errors_from_pydantic`)."""
    return field_errors(errors_from_pydantic(raw))


def problem_text(problem: Problem | dict[str, Any]) -> str:
    """A refusal that is about the whole notice (a Problem, or a batch item's problem document), in Swedish."""
    if isinstance(problem, Problem):
        problem = problem.body()
    status, kind, detail = problem.get("status"), problem.get("type", ""), problem.get("detail") or ""
    if status == 409 and "tenant_served_on" in detail:
        return "Delgivningsdagen är redan registrerad och kan inte ändras med en händelse."
    if status == 409 and "purged" in detail:
        return "Uppgifterna om hyresgästen är gallrade. Inga fler händelser kan registreras."
    if status == 409:
        return ("Ni har redan skickat en annan underrättelse med samma referens. Använd en ny referens. "
                "Rättelser av en skickad underrättelse rapporteras som händelser.")
    if kind.endswith("/outside-municipality"):
        return "Adressen ligger inte i den här kommunen. Skicka underrättelsen till socialnämnden där bostaden ligger."
    if kind.endswith("/address-conflict"):
        return "Postnumret och koordinaterna pekar på olika kommuner. Kontrollera adressen."
    if status == 422:
        return "Något behöver rättas."
    if status == 503:
        return "Tjänsten är upptagen just nu. Försök igen om en stund."
    return "Det gick inte att ta emot uppgifterna på grund av ett fel hos oss. Försök igen senare."


# --------------------------------------------------------------------------- what each column is called

_GROUP_SV = {"tenants": "Hyresgäst", "household": "Hushållet", "arrears": "Obetald hyra",
             "disturbance": "Störningar", "contact": "Kontaktperson hos er", "property": "Bostaden"}
_FIELD_SV = {
    "external_id": "Er referens", "kind": "Typ av underrättelse", "sent_on": "Skickad till socialnämnden",
    "tenant_served_on": "Hyresgästen delgiven", "termination_on": "Dag för uppsägningen",
    "street_address": "Gatuadress", "postal_code": "Postnummer", "city": "Postort",
    "apartment_number": "Lägenhetsnummer", "rooms": "Antal rum", "coordinates": "Koordinater",
    "lat": "Latitud", "lon": "Longitud", "name": "Namn", "personal_identity_number": "Personnummer",
    "phone": "Telefon", "email": "E-post", "children_under_18": "Barn under 18 år",
    "residents_65_or_older": "Boende 65 år eller äldre", "consent": "Hushållets samtycke",
    "amount_sek": "Hyresskuld (kr)", "due_date": "Förfallodag", "interest": "Ränta",
    "monthly_rent_sek": "Månadshyra (kr)", "payment_instructions": "Betalningsanvisning",
    "description": "Beskrivning av störningarna", "requested_on": "Dag för tillsägelsen",
    "occurred_on": "Datum", "eviction_at": "Tid för avhysningen", "type": "Händelse",
}


def label_of(column: str) -> str:
    """'tenants.1.name' → 'Hyresgäst 2: Namn'; 'arrears.amount_sek' → 'Obetald hyra: Hyresskuld (kr)'."""
    if column.startswith("(column "):  # a cell to the right of the header's columns (csv_batch.parse)
        return "Cell utanför kolumnerna (kolumn " + column.removeprefix("(column ").split(",")[0] + ")"
    parts = column.split(".")
    if column == "tenants":
        return "Hyresgäster"
    if len(parts) == 1:
        return _FIELD_SV.get(column, _GROUP_SV.get(column, "Underrättelsen"))
    group = _GROUP_SV.get(parts[0], parts[0])
    rest = parts[1:]
    if rest and rest[0].isdigit():
        group = f"{group} {int(rest[0]) + 1}"
        rest = rest[1:]
    if not rest:
        return group
    return f"{group}: {', '.join(_FIELD_SV.get(p, p) for p in rest)}"
