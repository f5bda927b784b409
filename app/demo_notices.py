"""The demo history's notices: fictitious people at fictitious addresses in every district (`demo_history.py`).

Made up, and recognisably so: surnames like "Exempelsson", identity numbers with the
serial numbers 980–989 (`TEST_SERIALS`), phone numbers from the series Post- och
telestyrelsen reserves for fiction (070-174 06 05 – 070-174 06 99, 08-465 004 00 – 99),
addresses of real streets with invented house and flat numbers.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from app.identity import format_identity_number
from app.vocabulary import NoticeKind

HISTORY_PREFIX = "DEMO-H-"  # every history notice's external_id starts so
TEST_SERIALS = tuple(f"98{n}" for n in range(10))
FIRST_OF_EACH = 20  # the oldest notices are rent arrears (each closing outcome needs one)

# Per district: a point inside it (WGS84), its postal code, post town and a few streets; the weight is its share.
DISTRICTS: dict[str, tuple[float, float, str, str, tuple[str, ...], int]] = {
    "sodermalm": (59.3146, 18.0735, "118 46", "Stockholm", ("Götgatan", "Ringvägen", "Folkungagatan"), 4),
    "jarva": (59.4032, 17.9444, "164 40", "Kista", ("Kistagången", "Husbygårdsgatan", "Akallalänken"), 3),
    "bromma": (59.3383, 17.9390, "168 40", "Bromma", ("Brommaplan", "Klövervägen"), 1),
    "enskede-arsta-vantor": (59.2995, 18.0512, "120 54", "Årsta", ("Årstavägen", "Sköntorpsvägen"), 1),
    "farsta": (59.2436, 18.0929, "123 47", "Farsta", ("Farstavägen", "Lingvägen"), 1),
    "hagersten-alvsjo": (59.2970, 17.9800, "126 53", "Hägersten", ("Hägerstensvägen", "Fruängsgatan"), 1),
    "hasselby-vallingby": (59.3636, 17.8720, "162 65", "Vällingby", ("Vällingbyplan", "Råckstavägen"), 1),
    "kungsholmen": (59.3323, 18.0299, "112 40", "Stockholm", ("Fridhemsgatan", "Sankt Eriksgatan"), 1),
    "norra-innerstaden": (59.3429, 18.0496, "113 22", "Stockholm", ("Odengatan", "Karlavägen"), 1),
    "skarpnack": (59.2667, 18.1333, "128 33", "Skarpnäck", ("Skarpnäcks allé", "Horisontvägen"), 1),
    "skarholmen": (59.2772, 17.9070, "127 48", "Skärholmen", ("Skärholmsvägen", "Bredängsvägen"), 1),
}
# Postal codes the data pack calls ambiguous: a notice without coordinates waits for routing by hand.
AMBIGUOUS_POSTAL = {"enskede-arsta-vantor": "121 32", "skarpnack": "128 33", "hagersten-alvsjo": "117 61"}

FIRST_NAMES = ("Amira", "Bengt", "Camilla", "David", "Elin", "Farid", "Greta", "Hassan", "Ida", "Jonas", "Karin",
               "Lars", "Maja", "Nils", "Olga", "Pontus", "Rut", "Samir", "Tilda", "Viktor", "Yusuf", "Åsa")
LAST_NAMES = ("Exempelsson", "Prov", "Testberg", "Demoström", "Fiktivsson", "Låtsasdotter", "Provlund",
              "Modellin", "Övningsberg", "Påhittad")


def person(rng: random.Random, today: date, index: int) -> dict[str, Any]:
    born = date(today.year - rng.randint(20, 80), rng.randint(1, 12), rng.randint(1, 28))
    person: dict[str, Any] = {"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"}
    if rng.random() < 0.8:
        person["personal_identity_number"] = format_identity_number(
            born, TEST_SERIALS[index % len(TEST_SERIALS)], coordination=rng.random() < 0.1)
    if rng.random() < 0.6:
        person["phone"] = f"070-174 06 {5 + index % 95:02d}"
    return person


def household(rng: random.Random) -> dict[str, Any] | None:
    draw = rng.random()
    if draw < 0.3:
        return {"children_under_18": rng.randint(1, 3), "residents_65_or_older": 0, "consent": True}
    if draw < 0.45:
        return {"children_under_18": 0, "residents_65_or_older": rng.randint(1, 2), "consent": True}
    if draw < 0.8:
        return {"children_under_18": 0, "residents_65_or_older": 0, "consent": True}
    return None if draw < 0.9 else {"children_under_18": None, "residents_65_or_older": None, "consent": False}


def notice_body(rng: random.Random, index: int, code: str, sent_on: date) -> dict[str, Any]:
    lat, lon, postal, city, streets, _weight = DISTRICTS[code]
    draw = rng.random()
    kind = (NoticeKind.RENT_ARREARS if draw < 0.7 or index < FIRST_OF_EACH else
            NoticeKind.DISTURBANCE_WARNING if draw < 0.9 else NoticeKind.DISTURBANCE_TERMINATION)
    unrouted = code in AMBIGUOUS_POSTAL and rng.random() < 0.3
    prop: dict[str, Any] = {
        "street_address": f"{rng.choice(streets)} {rng.randint(1, 120)}", "city": city,
        "postal_code": AMBIGUOUS_POSTAL[code] if unrouted else postal,
        "apartment_number": f"{rng.randint(10, 16)}{rng.randint(1, 9):02d}", "rooms": rng.randint(1, 5),
    }
    if not unrouted:
        prop["coordinates"] = {"lat": round(lat + rng.uniform(-0.001, 0.001), 5),
                               "lon": round(lon + rng.uniform(-0.001, 0.001), 5)}
    tenants = [person(rng, sent_on, index)]
    if rng.random() < 0.25:
        tenants.append(person(rng, sent_on, index + 1))
    body: dict[str, Any] = {
        "external_id": f"{HISTORY_PREFIX}{sent_on:%Y%m}-{index:04d}", "kind": kind, "sent_on": sent_on.isoformat(),
        "property": prop, "tenants": tenants, "household": household(rng),
        "contact": {"name": "Kim Lind (demo)", "phone": f"08-465 004 {index % 100:02d}",
                    "email": "hyresavdelningen@example.se"},
    }
    if kind == NoticeKind.RENT_ARREARS:
        rent = Decimal(rng.randrange(5500, 14500, 50))
        months = rng.randint(1, 3)
        terminated = rng.randint(0, 3)  # days before the notice was sent; served between the two
        body["termination_on"] = (sent_on - timedelta(days=terminated)).isoformat()
        if rng.random() < 0.7:
            body["tenant_served_on"] = (sent_on - timedelta(days=rng.randint(0, terminated))).isoformat()
        body["arrears"] = {"amount_sek": float(rent * months), "monthly_rent_sek": float(rent),
                           "due_date": (sent_on - timedelta(days=10 + 30 * (months - 1))).isoformat(),
                           "payment_instructions": "Bankgiro 123-4567, ange OCR 998877"}
    else:
        if kind == NoticeKind.DISTURBANCE_TERMINATION:
            body["termination_on"] = (sent_on - timedelta(days=1)).isoformat()
        body["disturbance"] = {"description": "Upprepade störningar nattetid enligt grannar (demo).",
                               "requested_on": (sent_on - timedelta(days=rng.randint(14, 40))).isoformat()}
    return body
