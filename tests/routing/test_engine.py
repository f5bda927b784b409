"""The routing engine on Stockholm's real districts.

The addresses below are real Stockholm addresses with the postal codes
published for them; the coordinates are the buildings' positions (WGS84,
about ±50 m). `test_every_address_lies_in_its_district` checks each point
against the data pack's district polygons. Routing by postal code alone depends
only on the code's three-digit prefix in the shipped, conservative table.
"""

from __future__ import annotations

import dataclasses

import pytest

from app.routing.boundaries import read_boundaries
from app.routing.engine import (
    OutsideMunicipality,
    Router,
    RoutingData,
    RoutingDecision,
    RoutingInput,
)
from app.routing.addresses import parse_address_register_csv
from app.routing.postal import PostalTable
from tests.routing.geodata import boundaries_bytes, municipality

REGISTER_CSV = """street,number,postal_code,district_code
Götgatan,30 A,118 46,sodermalm
Götgatan,30 B,118 46,sodermalm
Sankt Eriksgatan,117,113 43,norra-innerstaden
Långholmsmuren,20,117 33,sodermalm
Liljeholmstorget,7,117 63,hagersten-alvsjo
Hantverkargatan,1,111 52,kungsholmen
Globentorget,2,121 77,enskede-arsta-vantor
Hagaesplanaden,50,171 65,norra-innerstaden
Rinkebytorget,1,163 73,rinkeby-kista
"""
REGISTER_VERSION = "reg-2026-01"

# (label, street address, postal code, lat, lon, district by polygon,
#  route by postal code alone: (district, confidence) or None for manual)
# fmt: off
ADDRESSES = [
    # Södermalm (incl. Gamla stan, Långholmen, Södra Hammarbyhamnen)
    ("Fjällgatan", "Fjällgatan 23", "116 28", 59.3172, 18.0813, "sodermalm", ("sodermalm", "high")),
    ("Fotografiska", "Stadsgårdshamnen 22", "116 45", 59.3177, 18.0857, "sodermalm", ("sodermalm", "high")),
    ("Södra teatern", "Mosebacke torg 1", "116 46", 59.3186, 18.0753, "sodermalm", ("sodermalm", "high")),
    ("Gamla stan", "Stortorget 2", "111 29", 59.3251, 18.0707, "sodermalm", None),
    ("Långholmen", "Långholmsmuren 20", "117 33", 59.3208, 18.0276, "sodermalm", None),
    ("Hammarby sjöstad", "Hammarby allé 93", "120 63", 59.3045, 18.0975, "sodermalm", None),
    # Norra innerstaden (Norrmalm, Vasastaden, Östermalm, Djurgården, Skeppsholmen)
    ("Stadsbiblioteket", "Sveavägen 73", "113 50", 59.3431, 18.0548, "norra-innerstaden", ("norra-innerstaden", "high")),
    ("Vasamuseet", "Galärvarvsvägen 14", "115 21", 59.3280, 18.0914, "norra-innerstaden", ("norra-innerstaden", "high")),
    ("KTH", "Brinellvägen 8", "114 28", 59.3499, 18.0707, "norra-innerstaden", ("norra-innerstaden", "high")),
    ("Vasastaden", "Sankt Eriksgatan 117, lgh 1102", "113 43", 59.3455, 18.0365, "norra-innerstaden", ("norra-innerstaden", "high")),
    ("Moderna museet", "Exercisplan 4", "111 49", 59.3260, 18.0846, "norra-innerstaden", None),
    ("Centralstationen", "Centralplan 15", "111 20", 59.3302, 18.0582, "norra-innerstaden", None),
    # Kungsholmen
    ("Stadshuset", "Hantverkargatan 1", "111 52", 59.3275, 18.0543, "kungsholmen", None),
    ("Rådhuset", "Scheelegatan 7", "112 28", 59.3316, 18.0493, "kungsholmen", ("kungsholmen", "high")),
    ("Polishuset", "Polhemsgatan 30", "112 30", 59.3330, 18.0420, "kungsholmen", ("kungsholmen", "high")),
    ("Lilla Essingen", "Primusgatan 18", "112 67", 59.3245, 18.0043, "kungsholmen", ("kungsholmen", "high")),
    # Bromma
    ("Alvik", "Gustavslundsvägen 18", "167 51", 59.3336, 17.9802, "bromma", ("bromma", "high")),
    ("Blackeberg", "Björnsonsgatan 195", "168 42", 59.3483, 17.8827, "bromma", ("bromma", "high")),
    ("Bromma flygplats", "Bromma flygplats", "168 67", 59.3540, 17.9420, "bromma", ("bromma", "high")),
    ("Nockeby", "Nockebyvägen 4", "167 74", 59.3280, 17.9180, "bromma", ("bromma", "high")),
    # Hässelby-Vällingby
    ("Vällingby centrum", "Vällingbyplan 2", "162 65", 59.3632, 17.8720, "hasselby-vallingby", ("hasselby-vallingby", "medium")),
    ("Hässelby gård", "Hässelby torg 8", "165 55", 59.3669, 17.8440, "hasselby-vallingby", ("hasselby-vallingby", "high")),
    ("Hässelby villastad", "Riddersviksvägen 119", "165 72", 59.3790, 17.8260, "hasselby-vallingby", ("hasselby-vallingby", "high")),
    ("Råcksta", "Råcksta gårdsväg 2", "162 58", 59.3549, 17.8817, "hasselby-vallingby", ("hasselby-vallingby", "medium")),
    # Järva (formerly Rinkeby-Kista and Spånga-Tensta)
    ("Kista", "Färögatan 33", "164 51", 59.4034, 17.9447, "jarva", ("jarva", "medium")),
    ("Husby", "Trondheimsgatan 1", "164 30", 59.4104, 17.9257, "jarva", ("jarva", "medium")),
    ("Rinkeby", "Rinkebytorget 1", "163 73", 59.3880, 17.9288, "jarva", None),
    ("Tensta", "Tensta allé 1", "163 64", 59.3944, 17.9019, "jarva", None),
    # Skärholmen
    ("Skärholmen", "Skärholmstorget 1", "127 48", 59.2770, 17.9070, "skarholmen", ("skarholmen", "medium")),
    ("Sätra", "Sätra torg 6", "127 38", 59.2849, 17.9214, "skarholmen", ("skarholmen", "medium")),
    ("Bredäng", "Bredängstorget 1", "127 32", 59.2948, 17.9339, "skarholmen", ("skarholmen", "medium")),
    ("Vårberg", "Vårbergsplan 1", "127 43", 59.2759, 17.8902, "skarholmen", ("skarholmen", "medium")),
    # Hägersten-Älvsjö (formerly Hägersten-Liljeholmen and Älvsjö)
    ("Liljeholmen", "Liljeholmstorget 7", "117 63", 59.3100, 18.0230, "hagersten-alvsjo", None),
    ("Telefonplan", "Mikrofonvägen 1", "126 37", 59.2983, 17.9972, "hagersten-alvsjo", None),
    ("Fruängen", "Fruängsgången 5", "129 52", 59.2857, 17.9649, "hagersten-alvsjo", None),
    ("Stockholmsmässan", "Mässvägen 1", "125 80", 59.2806, 18.0105, "hagersten-alvsjo", None),
    # Enskede-Årsta-Vantör
    ("Globen", "Globentorget 2", "121 77", 59.2936, 18.0832, "enskede-arsta-vantor", None),
    ("Årsta", "Årsta torg 5", "120 54", 59.2985, 18.0509, "enskede-arsta-vantor", None),
    ("Högdalen", "Högdalstorget 1", "124 54", 59.2636, 18.0432, "enskede-arsta-vantor", None),
    ("Skogskyrkogården", "Sockenvägen 492", "122 63", 59.2753, 18.0995, "enskede-arsta-vantor", None),
    # Farsta
    ("Farsta centrum", "Farstaplan 11", "123 47", 59.2433, 18.0928, "farsta", ("farsta", "medium")),
    ("Hökarängen", "Hökarängsplan 1", "123 45", 59.2577, 18.0825, "farsta", ("farsta", "medium")),
    ("Gubbängen", "Gubbängstorget 1", "122 45", 59.2629, 18.0821, "farsta", None),
    ("Sköndal", "Sköndalsvägen 100", "128 62", 59.2550, 18.1166, "farsta", None),
    # Skarpnäck
    ("Skarpnäcks gård", "Skarpnäcks allé 1", "128 33", 59.2668, 18.1333, "skarpnack", None),
    ("Bagarmossen", "Bagarmossens torg 1", "128 41", 59.2764, 18.1317, "skarpnack", None),
    ("Kärrtorp", "Kärrtorps torg 1", "121 51", 59.2845, 18.1144, "skarpnack", None),
    ("Björkhagen", "Malmövägen 2", "121 53", 59.2911, 18.1155, "skarpnack", None),
]
# fmt: on
ADDRESS_IDS = [a[0] for a in ADDRESSES]

# fmt: off
POSTAL_NOTES = {
    "111": "ambiguous: norra-innerstaden/sodermalm/kungsholmen (Norrmalm; Gamla stan; Stadshuset on Kungsholmen has 111 52)",
    "117": "ambiguous: sodermalm/hagersten-alvsjo (western Södermalm vs Liljeholmen, Gröndal)",
    "120": "ambiguous: sodermalm/enskede-arsta-vantor (Hammarby sjöstad vs Årsta, Östberga)",
    "121": "ambiguous: enskede-arsta-vantor/skarpnack (Johanneshov vs Hammarbyhöjden, Björkhagen, Kärrtorp, Enskededalen)",
    "122": "ambiguous: enskede-arsta-vantor/farsta (Enskede vs Gubbängen, Tallkrogen, Svedmyra)",
    "125": "ambiguous: hagersten-alvsjo/enskede-arsta-vantor (Älvsjö and Örby slott straddle the border)",
    "128": "ambiguous: skarpnack/farsta (Bagarmossen, Skarpnäck vs Sköndal)",
}
# fmt: on


@pytest.fixture(scope="module")
def boundary_set():
    return read_boundaries(boundaries_bytes(), "stockholm-districts-2023.geojson", municipality())


@pytest.fixture(scope="module")
def postal() -> PostalTable:
    return PostalTable.shipped("stockholm")


def build(
    boundary_set, postal, register_csv: str = REGISTER_CSV, register_version: str = REGISTER_VERSION
):
    return RoutingData.build(
        boundaries=boundary_set.as_routing_boundaries(),
        boundaries_version=boundary_set.version,
        addresses=parse_address_register_csv(register_csv),
        addresses_version=register_version,
        postal_codes=postal,
        municipality=municipality(),
    )


@pytest.fixture(scope="module")
def data(boundary_set, postal) -> RoutingData:
    return build(boundary_set, postal)


@pytest.fixture(scope="module")
def router(data) -> Router:
    return Router(data)


@pytest.fixture(scope="module")
def plain_router(boundary_set, postal) -> Router:
    """Boundaries and postal table, no address register."""
    return Router(build(boundary_set, postal, "street,number,postal_code,district_code\n", ""))


@pytest.fixture(scope="module")
def version(data) -> str:
    return data.version


def decision(inp: RoutingInput, router: Router, **kwargs) -> RoutingDecision:
    result = router.route(inp, **kwargs)
    assert isinstance(result, RoutingDecision), result
    return result


# ---- the data -------------------------------------------------------------------------------


def test_data_version_names_every_source(data, boundary_set, postal) -> None:
    assert data.version == (
        f"register:{REGISTER_VERSION};boundaries:{boundary_set.version};postal:{postal.version}"
    )
    assert data.district_codes == (
        "bromma",
        "enskede-arsta-vantor",
        "farsta",
        "hagersten-alvsjo",
        "hasselby-vallingby",
        "jarva",
        "kungsholmen",
        "norra-innerstaden",
        "skarholmen",
        "skarpnack",
        "sodermalm",
    )
    assert data.register_size == 9


@pytest.mark.parametrize(
    "label, street, postal_code, lat, lon, district, by_postal", ADDRESSES, ids=ADDRESS_IDS
)
def test_every_address_lies_in_its_district(
    router, label, street, postal_code, lat, lon, district, by_postal
) -> None:
    assert router.district_at(lat, lon) == district


def test_every_district_has_at_least_three_addresses() -> None:
    counts: dict[str, int] = {}
    for row in ADDRESSES:
        counts[row[5]] = counts.get(row[5], 0) + 1
    assert sorted(counts) == sorted(d["code"] for d in municipality()["districts"])
    assert min(counts.values()) >= 3


@pytest.mark.parametrize(
    "label, street, postal_code, lat, lon, district, by_postal", ADDRESSES, ids=ADDRESS_IDS
)
def test_addresses_with_coordinates_route_by_polygon(
    plain_router, label, street, postal_code, lat, lon, district, by_postal
) -> None:
    result = decision(
        RoutingInput(street, postal_code, "Stockholm", lat=lat, lon=lon), plain_router
    )
    assert (result.district_code, result.method, result.confidence) == (
        district,
        "boundaries",
        "high",
    )
    assert result.notes == []
    assert result.reason is None


@pytest.mark.parametrize(
    "label, street, postal_code, lat, lon, district, by_postal", ADDRESSES, ids=ADDRESS_IDS
)
def test_addresses_without_coordinates_route_by_postal_code_only_when_sure(
    plain_router, label, street, postal_code, lat, lon, district, by_postal
) -> None:
    result = decision(RoutingInput(street, postal_code, "Stockholm"), plain_router)
    if by_postal is None:
        assert (result.district_code, result.method, result.confidence) == (None, "manual", "none")
    else:
        assert (result.district_code, result.method, result.confidence) == (
            by_postal[0],
            "postal_code",
            by_postal[1],
        )
        # Never a wrong district: the postal route agrees with the polygon.
        assert result.district_code == district


def test_a_postal_code_route_explains_itself(router, version) -> None:
    result = decision(RoutingInput("Fjällgatan 23", "116 28", "Stockholm"), router)
    assert result == RoutingDecision(
        district_code="sodermalm",
        method="postal_code",
        confidence="high",
        inputs={
            "street": "fjällgatan",
            "number": "23",
            "postal_code": "11628",
            "city": "stockholm",
            "apartment_number": None,
            "lat": None,
            "lon": None,
            "geocoded": None,
        },
        data_version=version,
        notes=[
            "address not in the address register",
            "postal code 116 28: Södermalm (Katarina, Sofia)",
        ],
        district_name="Södermalm",
        reason=None,
    )
    assert result.explain_sv() == (
        "Postnumret 116 28 hör till stadsdelsområdet Södermalm (fördelat efter postnummer, inte exakt adress)."
    )


# ---- the address register -------------------------------------------------------------------


def test_an_exact_register_match_is_certain(router, version) -> None:
    result = decision(RoutingInput("Götgatan 30 A, lgh 1102", "11846", "STOCKHOLM"), router)
    assert result.as_dict() == {
        "district_code": "sodermalm",
        "district_name": "Södermalm",
        "method": "address_register",
        "confidence": "certain",
        "inputs": {
            "street": "götgatan",
            "number": "30a",
            "postal_code": "11846",
            "city": "stockholm",
            "apartment_number": "1102",
            "lat": None,
            "lon": None,
            "geocoded": None,
        },
        "data_version": version,
        "notes": [],
        "reason": None,
    }
    assert result.explain_sv() == "Adressen finns i stadens adressregister: Södermalm."


@pytest.mark.parametrize(
    "street, postal_code",
    [
        ("  GÖTGATAN   30a ", "118 46"),
        ("Götgatan 30 a", "118 46"),
        ("Götgatan 30A 2 tr", "118 46"),
    ],
)
def test_register_match_is_exact_after_normalisation(router, street, postal_code) -> None:
    result = decision(RoutingInput(street, postal_code, "Stockholm"), router)
    assert (result.district_code, result.method, result.confidence) == (
        "sodermalm",
        "address_register",
        "certain",
    )


@pytest.mark.parametrize(
    "street, postal_code",
    [
        ("Götgatan 30", "118 46"),  # no letter: another address
        ("Götgatan 30 C", "118 46"),  # letter not in the register
        ("Götg. 30 A", "118 46"),  # abbreviations are not guessed
        ("Götgatan 30 A", "118 47"),  # postal code must match too
    ],
)
def test_anything_but_an_exact_match_is_not_a_register_match(router, street, postal_code) -> None:
    result = decision(RoutingInput(street, postal_code, "Stockholm"), router)
    assert result.method != "address_register"
    assert "address not in the address register" in result.notes


def test_register_beats_an_ambiguous_postal_code(router) -> None:
    # 117 is shared by Södermalm and Hägersten-Älvsjö: the register knows.
    result = decision(RoutingInput("Liljeholmstorget 7", "117 63", "Stockholm"), router)
    assert (result.district_code, result.method, result.confidence) == (
        "hagersten-alvsjo",
        "address_register",
        "certain",
    )


def test_register_beats_polygon_when_they_agree(router) -> None:
    result = decision(
        RoutingInput("Hantverkargatan 1", "111 52", "Stockholm", lat=59.3275, lon=18.0543), router
    )
    assert (result.district_code, result.method, result.confidence) == (
        "kungsholmen",
        "address_register",
        "certain",
    )
    assert result.notes == []


def test_register_beats_the_neighbour_table(router) -> None:
    # The city's own register is authoritative even where the postal code's
    # range otherwise lies in Solna.
    result = decision(RoutingInput("Hagaesplanaden 50", "171 65", "Stockholm"), router)
    assert (result.district_code, result.method, result.confidence) == (
        "norra-innerstaden",
        "address_register",
        "certain",
    )


def test_register_codes_of_former_areas_name_todays_district(router) -> None:
    result = decision(RoutingInput("Rinkebytorget 1", "163 73", "Stockholm"), router)
    assert (result.district_code, result.district_name, result.method) == (
        "jarva",
        "Järva",
        "address_register",
    )


def test_register_and_coordinates_disagreeing_go_to_manual(router, version) -> None:
    # Götgatan 30 A is on Södermalm; these coordinates are at Bromma airport.
    result = decision(
        RoutingInput("Götgatan 30 A", "118 46", "Stockholm", lat=59.3540, lon=17.9420), router
    )
    assert (result.district_code, result.method, result.confidence) == (None, "manual", "none")
    assert result.notes == [
        "address register says sodermalm but coordinates say bromma: manual routing"
    ]
    assert result.reason == "register_conflict"
    assert result.data_version == version
    assert result.explain_sv() == (
        "Adressen finns i stadens adressregister, men koordinaterna ligger i ett annat stadsdelsområde. "
        "Underrättelsen fördelas manuellt."
    )


def test_register_and_geocoder_disagreeing_go_to_manual(router) -> None:
    result = decision(
        RoutingInput("Götgatan 30 A", "118 46", "Stockholm"), router, geocoded=(59.3431, 18.0548)
    )
    assert (result.district_code, result.method) == (None, "manual")
    assert result.notes == [
        "address register says sodermalm but geocoded coordinates say norra-innerstaden: manual routing"
    ]


def test_register_match_with_coordinates_outside_every_district_notes_them(router) -> None:
    result = decision(
        RoutingInput("Götgatan 30 B", "118 46", "Stockholm", lat=59.3620, lon=18.0000), router
    )
    assert (result.district_code, result.method, result.confidence) == (
        "sodermalm",
        "address_register",
        "certain",
    )
    assert result.notes == ["coordinates lie outside every district; ignored"]


# ---- border neighbourhoods ------------------------------------------------------------------

# fmt: off
STRADDLING = [
    # (neighbourhood, street, postal code, lat, lon, district on that side)
    ("Älvsjö, Hägersten-Älvsjö side", "Götalandsvägen 220", "125 44", 59.2800, 18.0080, "hagersten-alvsjo"),
    ("Älvsjö, Enskede-Årsta-Vantör side", "Götalandsvägen 230", "125 44", 59.2660, 18.0030, "enskede-arsta-vantor"),
    ("Örby slott, Hägersten-Älvsjö side", "Örby slottsväg 20", "125 71", 59.2800, 18.0300, "hagersten-alvsjo"),
    ("Örby slott, Enskede-Årsta-Vantör side", "Sjöholmsvägen 10", "125 71", 59.2760, 18.0350, "enskede-arsta-vantor"),
    ("Hammarbyhöjden, Skarpnäck side", "Finn Malmgrens väg 9", "121 36", 59.2950, 18.1000, "skarpnack"),
    ("Hammarbyhöjden, Enskede-Årsta-Vantör side", "Hammarbyvägen 50", "121 33", 59.2960, 18.0840, "enskede-arsta-vantor"),
]
# fmt: on


@pytest.mark.parametrize(
    "label, street, postal_code, lat, lon, district", STRADDLING, ids=[s[0] for s in STRADDLING]
)
def test_straddling_neighbourhoods_route_by_polygon_to_their_side(
    router, label, street, postal_code, lat, lon, district
) -> None:
    result = decision(RoutingInput(street, postal_code, "Stockholm", lat=lat, lon=lon), router)
    assert (result.district_code, result.method, result.confidence) == (
        district,
        "boundaries",
        "high",
    )


@pytest.mark.parametrize(
    "label, street, postal_code, lat, lon, district", STRADDLING, ids=[s[0] for s in STRADDLING]
)
def test_straddling_neighbourhoods_are_not_guessed_from_the_postal_code(
    router, label, street, postal_code, lat, lon, district
) -> None:
    result = decision(RoutingInput(street, postal_code, "Stockholm"), router)
    assert (result.district_code, result.method, result.confidence) == (None, "manual", "none")
    assert result.notes[-1] == f"postal code {postal_code}: {POSTAL_NOTES[postal_code[:3]]}"
    assert result.reason == "postal_ambiguous"


@pytest.mark.parametrize(
    "street, postal_code",
    [
        ("Hornsgatan 170", "117 28"),
        ("Hammarby allé 93", "120 63"),
        ("Arenavägen 75", "121 77"),
        ("Gubbängstorget 1", "122 45"),
        ("Bagarmossens torg 1", "128 41"),
        ("Västerlånggatan 68", "111 29"),
    ],
)
def test_postal_codes_shared_by_two_districts_go_to_manual(router, street, postal_code) -> None:
    result = decision(RoutingInput(street, postal_code, "Stockholm"), router)
    assert (result.district_code, result.method, result.confidence, result.reason) == (
        None,
        "manual",
        "none",
        "postal_ambiguous",
    )
    assert result.notes == [
        "address not in the address register",
        f"postal code {postal_code}: {POSTAL_NOTES[postal_code[:3]]}",
    ]
    assert result.explain_sv() == (
        f"Postnumret {postal_code} räcker inte för att avgöra stadsdelsområdet. Underrättelsen fördelas manuellt."
    )


# ---- other municipalities -------------------------------------------------------------------

# fmt: off
NEIGHBOURS = [
    ("Eugeniavägen 3", "171 64", "Solna", "Solna"),
    ("Solnavägen 1", "171 77", "Stockholm", "Solna"),  # Karolinska: postort Stockholm, kommun Solna
    ("Råsta strandväg 1", "169 79", "Solna", "Solna"),
    ("Sturegatan 10", "172 31", "Sundbyberg", "Sundbyberg"),
    ("Hallonbergsplan 1", "174 53", "Sundbyberg", "Sundbyberg"),
    ("Granitvägen 15", "131 81", "Nacka", "Nacka"),
    ("Kommunalvägen 28", "141 85", "Huddinge", "Huddinge"),
    ("Stockholmsvägen 50", "181 82", "Lidingö", "Lidingö"),
    ("Mörbygårdsvägen 18", "182 88", "Stockholm", "Danderyd"),  # Danderyds sjukhus
    ("Vasaplatsen 11", "177 80", "Järfälla", "Järfälla"),
    ("Turebergs allé 2", "191 86", "Sollentuna", "Sollentuna"),
]
# fmt: on


@pytest.mark.parametrize(
    "street, postal_code, city, expected", NEIGHBOURS, ids=[n[0] for n in NEIGHBOURS]
)
def test_addresses_in_neighbouring_municipalities_are_not_ours(
    router, street, postal_code, city, expected
) -> None:
    result = router.route(RoutingInput(street, postal_code, city))
    assert result == OutsideMunicipality(
        municipality=expected, postal_code=postal_code.replace(" ", "")
    )


def test_the_municipality_check_comes_before_coordinates(router) -> None:
    # A Solna postal code with coordinates inside Stockholm: never a guessed district.
    result = router.route(
        RoutingInput("Eugeniavägen 3", "171 64", "Solna", lat=59.3431, lon=18.0548)
    )
    assert result == OutsideMunicipality(municipality="Solna", postal_code="17164")
    assert result.as_dict() == {"outside_municipality": "Solna", "postal_code": "17164"}
    assert result.explain_sv() == (
        "Postnumret 171 64 ligger i en annan kommun: Solna. Underrättelsen ska skickas till den kommunen."
    )


# ---- coordinates ----------------------------------------------------------------------------


def test_coordinates_outside_every_district_are_noted_and_ignored(router) -> None:
    # A point in Solna (Råsunda) with a Södermalm postal code.
    result = decision(
        RoutingInput("Fjällgatan 23", "116 28", "Stockholm", lat=59.3620, lon=18.0000), router
    )
    assert (result.district_code, result.method, result.confidence) == (
        "sodermalm",
        "postal_code",
        "high",
    )
    assert result.notes == [
        "coordinates lie outside every district; ignored",
        "address not in the address register",
        "postal code 116 28: Södermalm (Katarina, Sofia)",
    ]


def test_coordinates_outside_and_an_ambiguous_postal_code_go_to_manual(router) -> None:
    result = decision(
        RoutingInput("Hornsgatan 170", "117 28", "Stockholm", lat=59.3620, lon=18.0000), router
    )
    assert (result.district_code, result.method) == (None, "manual")
    assert result.notes[0] == "coordinates lie outside every district; ignored"


def test_coordinates_and_postal_table_disagreeing_go_to_manual(router) -> None:
    # Coordinates at Bromma airport, postal code of Södermalm: one of them is wrong.
    result = decision(
        RoutingInput("Fjällgatan 23", "116 28", "Stockholm", lat=59.3540, lon=17.9420), router
    )
    assert (result.district_code, result.method, result.confidence, result.reason) == (
        None,
        "manual",
        "none",
        "postal_conflict",
    )
    assert result.notes == [
        "address not in the address register",
        "coordinates say bromma but the postal-code table says sodermalm: manual routing",
    ]


def test_coordinates_decide_where_the_postal_code_is_ambiguous(router) -> None:
    result = decision(
        RoutingInput("Hornsgatan 170", "117 28", "Stockholm", lat=59.3172, lon=18.0290), router
    )
    assert (result.district_code, result.method, result.confidence) == (
        "sodermalm",
        "boundaries",
        "high",
    )
    assert (
        result.explain_sv() == "Koordinaterna i underrättelsen ligger i stadsdelsområdet Södermalm."
    )


@pytest.mark.parametrize(
    "lat, lon, note",
    [
        (59.3172, None, "coordinates incomplete (latitude or longitude missing); ignored"),
        (float("nan"), 18.08, "coordinates are out of range; ignored"),
        (159.3, 18.08, "coordinates are out of range; ignored"),
    ],
)
def test_unusable_coordinates_are_noted(router, lat, lon, note) -> None:
    result = decision(
        RoutingInput("Fjällgatan 23", "116 28", "Stockholm", lat=lat, lon=lon), router
    )
    assert (result.district_code, result.method) == ("sodermalm", "postal_code")
    assert result.notes[0] == note
    assert (result.inputs["lat"], result.inputs["lon"]) == (None, None)


def test_geocoded_point_routes_with_method_geocoder(router) -> None:
    result = decision(
        RoutingInput("Hornsgatan 170", "117 28", "Stockholm"), router, geocoded=(59.3172, 18.0290)
    )
    assert (result.district_code, result.method, result.confidence) == (
        "sodermalm",
        "geocoder",
        "high",
    )
    assert result.inputs["geocoded"] == [59.3172, 18.0290]
    assert result.explain_sv() == (
        "Adressen har slagits upp i en adresstjänst och ligger i stadsdelsområdet Södermalm."
    )


def test_geocoded_point_outside_every_district_falls_through(router) -> None:
    result = decision(
        RoutingInput("Fjällgatan 23", "116 28", "Stockholm"), router, geocoded=(59.3620, 18.0)
    )
    assert (result.district_code, result.method) == ("sodermalm", "postal_code")
    assert result.notes[0] == "geocoded coordinates lie outside every district; ignored"


def test_notice_coordinates_and_geocoder_disagreeing_go_to_manual(router) -> None:
    result = decision(
        RoutingInput("Hornsgatan 170", "117 28", "Stockholm", lat=59.3172, lon=18.0290),
        router,
        geocoded=(59.3100, 18.0230),
    )
    assert (result.district_code, result.method, result.reason) == (
        None,
        "manual",
        "coordinates_conflict",
    )
    assert (
        result.notes[-1]
        == "coordinates say sodermalm but geocoded coordinates say hagersten-alvsjo: manual routing"
    )


def test_district_at_outside_is_none(router) -> None:
    assert router.district_at(59.3620, 18.0000) is None  # Solna
    assert router.district_at(57.7089, 11.9746) is None  # Göteborg


# ---- nothing to route by --------------------------------------------------------------------


def test_unknown_postal_code_without_coordinates_goes_to_manual(router, version) -> None:
    result = decision(RoutingInput("Storgatan 1", "999 99", "Stockholm"), router)
    assert result == RoutingDecision(
        district_code=None,
        method="manual",
        confidence="none",
        inputs={
            "street": "storgatan",
            "number": "1",
            "postal_code": "99999",
            "city": "stockholm",
            "apartment_number": None,
            "lat": None,
            "lon": None,
            "geocoded": None,
        },
        data_version=version,
        notes=[
            "address not in the address register",
            "postal code 999 99: postal code not in the table",
        ],
        district_name=None,
        reason="postal_unknown",
    )
    assert result.explain_sv() == (
        "Adressen kunde inte kopplas till något stadsdelsområde. Underrättelsen fördelas manuellt."
    )


def test_a_box_address_is_not_routed(router) -> None:
    result = decision(RoutingInput("Box 8307", "104 20", "Stockholm"), router)
    assert (result.district_code, result.method, result.reason) == (
        None,
        "manual",
        "postal_ambiguous",
    )
    assert (
        result.notes[-1]
        == "postal code 104 20: box and large-recipient codes: not a place of residence"
    )


def test_a_malformed_postal_code_goes_to_manual(router) -> None:
    result = decision(RoutingInput("Götgatan 30 A", "1184", "Stockholm"), router)
    assert (result.district_code, result.method, result.reason) == (
        None,
        "manual",
        "postal_invalid",
    )
    assert result.notes == ["postal code '1184' is not a five-digit postal code"]
    assert result.inputs["postal_code"] == "1184"
    assert (
        result.explain_sv()
        == "Postnumret saknas eller är felaktigt. Underrättelsen fördelas manuellt."
    )


# ---- determinism and versions ---------------------------------------------------------------


@pytest.mark.parametrize(
    "label, street, postal_code, lat, lon, district, by_postal",
    ADDRESSES[:12],
    ids=ADDRESS_IDS[:12],
)
def test_same_input_and_data_give_the_same_decision(
    boundary_set, postal, router, label, street, postal_code, lat, lon, district, by_postal
) -> None:
    other = Router(build(boundary_set, postal))
    for inp in (
        RoutingInput(street, postal_code, "Stockholm", lat=lat, lon=lon),
        RoutingInput(street, postal_code, "Stockholm"),
    ):
        first, second, third = router.route(inp), router.route(inp), other.route(inp)
        assert first == second == third
        assert first.as_dict() == third.as_dict()


def test_data_version_changes_when_any_data_changes(boundary_set, postal, data) -> None:
    inp = RoutingInput("Fjällgatan 23", "116 28", "Stockholm")
    baseline = Router(data).route(inp).data_version
    new_register = build(
        boundary_set, postal, REGISTER_CSV + "Fjällgatan,23,116 28,sodermalm\n", "reg-2026-02"
    )
    moved = dataclasses.replace(boundary_set, version="0123456789abcdef")
    new_boundaries = build(moved, postal)
    new_postal = build(
        boundary_set,
        PostalTable.from_csv(
            "postal_code,district_code,confidence,note\n116,sodermalm,high,Södermalm\n",
            "from,to,municipality\n17000,17199,Solna\n",
        ),
    )
    versions = {
        baseline,
        Router(new_register).route(inp).data_version,
        Router(new_boundaries).route(inp).data_version,
        Router(new_postal).route(inp).data_version,
    }
    assert len(versions) == 4
    assert Router(new_register).route(inp).data_version == (
        f"register:reg-2026-02;boundaries:{boundary_set.version};postal:{postal.version}"
    )
    assert Router(new_register).route(inp).method == "address_register"


def test_routing_data_rejects_unknown_districts(boundary_set, postal) -> None:
    with pytest.raises(ValueError, match="address register: unknown district code 'gamla-stan'"):
        build(
            boundary_set,
            postal,
            "street,number,postal_code,district_code\nStortorget,2,111 29,gamla-stan\n",
        )


def test_routing_data_rejects_a_register_naming_two_districts(boundary_set, postal) -> None:
    csv_text = REGISTER_CSV + "Götgatan,30 A,118 46,kungsholmen\n"
    with pytest.raises(
        ValueError, match=r"names two districts for: Götgatan 30a, 11846: sodermalm and kungsholmen"
    ):
        build(boundary_set, postal, csv_text)


def test_without_boundaries_coordinates_are_not_used(postal) -> None:
    data = RoutingData.build(
        boundaries=[],
        boundaries_version="",
        addresses=[],
        addresses_version="",
        postal_codes=postal,
    )
    result = Router(data).route(
        RoutingInput("Fjällgatan 23", "116 28", "Stockholm", lat=59.3172, lon=18.0813)
    )
    assert (result.district_code, result.method, result.confidence) == (
        "sodermalm",
        "postal_code",
        "high",
    )
    assert result.notes == [
        "no district boundaries loaded; coordinates not used",
        "postal code 116 28: Södermalm (Katarina, Sofia)",
    ]
    assert result.data_version == f"register:-;boundaries:-;postal:{postal.version}"
    assert result.district_name is None  # no municipality given: codes only


def test_one_router_is_shared_by_threads(plain_router) -> None:
    from concurrent.futures import ThreadPoolExecutor

    inputs = [
        RoutingInput(street, postal_code, "Stockholm", lat=lat, lon=lon)
        for _label, street, postal_code, lat, lon, _district, _by_postal in ADDRESSES
    ] * 40
    expected = [plain_router.route(inp) for inp in inputs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(plain_router.route, inputs))
    assert results == expected
    assert [r.district_code for r in results[: len(ADDRESSES)]] == [a[5] for a in ADDRESSES]
