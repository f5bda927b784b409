"""The postal-code table: the shipped Stockholm data and an operator's own files."""

from __future__ import annotations

import hashlib

import pytest

from app.routing.postal import (
    PostalMatch,
    PostalTable,
    format_postal_code,
    normalise_postal_code,
)
from tests.routing.geodata import REPO, municipality

HEADER = "postal_code,district_code,confidence,note\n"
NEIGHBOURS_HEADER = "from,to,municipality\n"
DATA = REPO / "app" / "routing" / "data" / "stockholm"


@pytest.fixture(scope="module")
def shipped() -> PostalTable:
    return PostalTable.shipped("stockholm")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("116 46", "11646"),
        ("11646", "11646"),
        (" 116  46 ", "11646"),
        ("SE-116 46", "11646"),
        ("se11646", "11646"),
        ("1164", None),
        ("116 460", None),
        ("ABC DE", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_postal_code(raw, expected) -> None:
    assert normalise_postal_code(raw) == expected


def test_format_postal_code() -> None:
    assert format_postal_code("11646") == "116 46"
    assert format_postal_code("1164") == "1164"


# ---- the shipped table ----------------------------------------------------------------------


def test_shipped_table_loads_with_its_version(shipped) -> None:
    postal_text = (DATA / "postal_codes.csv").read_text(encoding="utf-8")
    neighbours_text = (DATA / "neighbours.csv").read_text(encoding="utf-8")
    digest = hashlib.sha256(postal_text.encode() + b"\x00" + neighbours_text.encode()).hexdigest()[
        :12
    ]
    assert shipped.version == digest
    assert shipped.row_count == len(postal_text.strip().splitlines()) - 1
    assert shipped.range_count == len(neighbours_text.strip().splitlines()) - 1


def test_shipped_table_names_only_real_districts(shipped) -> None:
    known = {d["code"] for d in municipality()["districts"]}
    assert shipped.district_codes() <= known
    assert shipped.district_codes() == {
        "bromma",
        "farsta",
        "hasselby-vallingby",
        "jarva",
        "kungsholmen",
        "norra-innerstaden",
        "skarholmen",
        "sodermalm",
    }


@pytest.mark.parametrize(
    "code, district, confidence",
    [
        ("116 28", "sodermalm", "high"),
        ("118 46", "sodermalm", "high"),
        ("112 28", "kungsholmen", "high"),
        ("113 43", "norra-innerstaden", "high"),
        ("114 28", "norra-innerstaden", "high"),
        ("115 21", "norra-innerstaden", "high"),
        ("123 47", "farsta", "medium"),
        ("127 48", "skarholmen", "medium"),
        ("162 65", "hasselby-vallingby", "medium"),
        ("164 51", "jarva", "medium"),
        ("165 55", "hasselby-vallingby", "high"),
        ("167 51", "bromma", "high"),
        ("168 67", "bromma", "high"),
    ],
)
def test_shipped_table_routes_the_codes_it_is_sure_of(shipped, code, district, confidence) -> None:
    match = shipped.lookup(code)
    assert (match.district_code, match.confidence) == (district, confidence)
    assert shipped.outside(code) is None


@pytest.mark.parametrize(
    "code, note_start",
    [
        ("111 29", "ambiguous: norra-innerstaden/sodermalm/kungsholmen"),  # Gamla stan
        ("111 52", "ambiguous: norra-innerstaden/sodermalm/kungsholmen"),  # Stadshuset
        ("117 33", "ambiguous: sodermalm/hagersten-alvsjo"),
        ("120 63", "ambiguous: sodermalm/enskede-arsta-vantor"),
        ("121 77", "ambiguous: enskede-arsta-vantor/skarpnack"),
        ("122 45", "ambiguous: enskede-arsta-vantor/farsta"),
        ("124 54", "not verified: Bandhagen postort"),
        ("125 44", "ambiguous: hagersten-alvsjo/enskede-arsta-vantor"),
        ("126 37", "not verified: Hägersten postort"),
        ("128 41", "ambiguous: skarpnack/farsta"),
        ("129 52", "not verified: Hägersten postort"),
        ("163 73", "ambiguous: jarva/hasselby-vallingby"),
        ("104 20", "box and large-recipient codes"),
    ],
)
def test_shipped_table_does_not_route_split_or_unverified_codes(shipped, code, note_start) -> None:
    match = shipped.lookup(code)
    assert (match.district_code, match.confidence) == (None, "none")
    assert match.note.startswith(note_start)
    assert match.matched == code.replace(" ", "")[:3]


@pytest.mark.parametrize(
    "code, municipality_name",
    [
        ("169 79", "Solna"),
        ("170 65", "Solna"),
        ("171 77", "Solna"),
        ("172 31", "Sundbyberg"),
        ("174 53", "Sundbyberg"),
        ("131 81", "Nacka"),
        ("132 36", "Nacka"),
        ("138 30", "Nacka"),
        ("134 40", "Värmdö"),
        ("135 81", "Tyresö"),
        ("136 81", "Haninge"),
        ("141 85", "Huddinge"),
        ("142 52", "Huddinge"),
        ("144 80", "Salem"),
        ("147 85", "Botkyrka"),
        ("149 81", "Nynäshamn"),
        ("151 89", "Södertälje"),
        ("155 80", "Nykvarn"),
        ("175 61", "Järfälla"),
        ("177 80", "Järfälla"),
        ("178 80", "Ekerö"),
        ("181 82", "Lidingö"),
        ("182 88", "Danderyd"),
        ("183 80", "Täby"),
        ("187 80", "Täby"),
        ("184 86", "Österåker"),
        ("185 83", "Vaxholm"),
        ("186 80", "Vallentuna"),
        ("191 86", "Sollentuna"),
        ("192 70", "Sollentuna"),
        ("193 30", "Sigtuna"),
        ("195 85", "Sigtuna"),
        ("194 80", "Upplands Väsby"),
        ("196 81", "Upplands-Bro"),
        ("761 80", "Norrtälje"),
    ],
)
def test_shipped_neighbours(shipped, code, municipality_name) -> None:
    assert shipped.outside(code) == municipality_name
    assert shipped.lookup(code) == PostalMatch(
        None, "none", f"postal code lies in {municipality_name}"
    )


@pytest.mark.parametrize(
    "code", ["162 65", "163 73", "164 51", "165 55", "167 51", "168 67", "112 28", "999 99"]
)
def test_stockholm_codes_next_to_neighbour_ranges_are_not_outside(shipped, code) -> None:
    assert shipped.outside(code) is None


def test_unknown_code_is_not_routed(shipped) -> None:
    assert shipped.lookup("999 99") == PostalMatch(None, "none", "postal code not in the table")
    assert shipped.lookup("1164") == PostalMatch(
        None, "none", "postal code '1164' is not a five-digit code"
    )


def test_shipped_refuses_a_path_as_municipality_code() -> None:
    with pytest.raises(ValueError, match="bad municipality code"):
        PostalTable.shipped("../stockholm")
    with pytest.raises(FileNotFoundError, match="no postal-code table for municipality 'goteborg'"):
        PostalTable.shipped("goteborg")


# ---- an operator's table --------------------------------------------------------------------


def test_five_digit_rows_beat_prefix_rows() -> None:
    table = PostalTable.from_csv(
        HEADER
        + "117,,,ambiguous: sodermalm/hagersten-alvsjo\n"
        + "117 33,sodermalm,high,Långholmen\n"
        + "11763,hagersten-alvsjo,medium,Liljeholmen\n"
    )
    assert table.lookup("117 33") == PostalMatch("sodermalm", "high", "Långholmen", "11733")
    assert table.lookup("11763") == PostalMatch(
        "hagersten-alvsjo", "medium", "Liljeholmen", "11763"
    )
    assert table.lookup("117 40") == PostalMatch(
        None, "none", "ambiguous: sodermalm/hagersten-alvsjo", "117"
    )


def test_semicolon_delimiter_and_bom_are_accepted() -> None:
    table = PostalTable.from_csv(
        "\ufeffpostal_code;district_code;confidence;note\r\n116;sodermalm;high;Södermalm\r\n",
        "\ufefffrom;to;municipality\r\n16900;17199;Solna\r\n",
    )
    assert table.lookup("11628").district_code == "sodermalm"
    assert table.outside("17000") == "Solna"


def test_version_follows_the_content() -> None:
    a = PostalTable.from_csv(HEADER + "116,sodermalm,high,x\n")
    b = PostalTable.from_csv(HEADER + "116,sodermalm,high,x\n")
    c = PostalTable.from_csv(HEADER + "116,sodermalm,medium,x\n")
    d = PostalTable.from_csv(
        HEADER + "116,sodermalm,high,x\n", NEIGHBOURS_HEADER + "16900,17199,Solna\n"
    )
    assert a.version == b.version
    assert len({a.version, c.version, d.version}) == 3
    assert len(a.version) == 12


@pytest.mark.parametrize(
    "postal, neighbours, message",
    [
        (HEADER + "1160,sodermalm,high,x\n", "", "line 2: bad postal code '1160'"),
        (
            HEADER + "116,sodermalm,certain,x\n",
            "",
            "line 2: confidence 'certain' must be high or medium",
        ),
        (HEADER + "116,sodermalm,,x\n", "", "line 2: confidence '' must be high or medium"),
        (HEADER + "117,,high,x\n", "", "line 2: a row without district must have no confidence"),
        (HEADER + "117,,,\n", "", "line 2: a row without district needs a note saying why"),
        (
            HEADER + "116,sodermalm,high,x\n116,sodermalm,high,y\n",
            "",
            "line 3: postal code '116' listed twice",
        ),
        (HEADER + "116,sodermalm,high\n", "", "line 2: 3 fields, expected 4"),
        (
            "postal_code,district,confidence,note\n",
            "",
            "unknown columns district; missing columns district_code",
        ),
        (
            HEADER,
            NEIGHBOURS_HEADER + "17199,16900,Solna\n",
            "line 2: range 17199–16900 runs backwards",
        ),
        (HEADER, NEIGHBOURS_HEADER + "169,171,Solna\n", "line 2: bad range '169'–'171'"),
        (HEADER, NEIGHBOURS_HEADER + "16900,17199,\n", "line 2: empty municipality"),
        (
            HEADER,
            NEIGHBOURS_HEADER + "16900,17199,Solna\n17100,17299,Sundbyberg\n",
            "neighbour ranges overlap: 16900–17199 (Solna) and 17100–17299 (Sundbyberg)",
        ),
        (
            HEADER + "17164,norra-innerstaden,high,x\n",
            NEIGHBOURS_HEADER + "16900,17199,Solna\n",
            "postal code 17164 routes to norra-innerstaden but lies in a neighbour range",
        ),
        (
            HEADER + "171,norra-innerstaden,high,x\n",
            NEIGHBOURS_HEADER + "17150,17160,Solna\n",
            "prefix 171 routes to norra-innerstaden but overlaps a neighbour range",
        ),
    ],
)
def test_bad_tables_are_refused_with_the_line(postal, neighbours, message) -> None:
    with pytest.raises(ValueError) as caught:
        PostalTable.from_csv(postal, neighbours)
    assert message in str(caught.value)


def test_unknown_district_codes_are_refused_when_the_districts_are_known() -> None:
    with pytest.raises(ValueError, match="line 2: unknown district code 'gamla-stan'"):
        PostalTable.from_csv(HEADER + "111,gamla-stan,high,x\n", district_codes={"sodermalm"})


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(ValueError) as caught:
        PostalTable.from_csv(HEADER + "1,sodermalm,high,x\n116,sodermalm,high,x\n2,,,\n")
    assert str(caught.value) == (
        "postal-code table: line 2: bad postal code '1' (five digits or a three-digit prefix); "
        "line 4: bad postal code '2' (five digits or a three-digit prefix)"
    )


def test_empty_table_routes_nothing() -> None:
    table = PostalTable.empty()
    assert table.lookup("116 28") == PostalMatch(None, "none", "postal code not in the table")
    assert table.outside("171 64") is None
