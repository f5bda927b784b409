"""The city's address register file, and how written addresses are split and normalised."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.routing.addresses import (
    AddressEntry,
    normalise_number,
    normalise_street,
    parse_address_register_csv,
    split_street_address,
)

# ---- the register CSV -----------------------------------------------------------------------


def test_comma_separated_register() -> None:
    text = (
        "street,number,postal_code,district_code\n"
        "Götgatan,30 A,118 46,sodermalm\n"
        "Sankt  Eriksgatan ,117,11343,norra-innerstaden\n"
    )
    assert parse_address_register_csv(text) == [
        AddressEntry("Götgatan", "30a", "11846", "sodermalm"),
        AddressEntry("Sankt Eriksgatan", "117", "11343", "norra-innerstaden"),
    ]


def test_semicolon_bom_crlf_and_free_column_order() -> None:
    text = (
        "\ufeffPostal_Code;Street;District_Code;Number\r\n"
        "118 46;Götgatan;sodermalm;30B\r\n"
        "\r\n"
        "117 63;Liljeholmstorget;hagersten-alvsjo;7\r\n"
    )
    assert parse_address_register_csv(text) == [
        AddressEntry("Götgatan", "30b", "11846", "sodermalm"),
        AddressEntry("Liljeholmstorget", "7", "11763", "hagersten-alvsjo"),
    ]


def test_quoted_fields_may_hold_the_delimiter() -> None:
    text = 'street,number,postal_code,district_code\n"Hornsgatan, norra",12,118 20,sodermalm\n'
    assert parse_address_register_csv(text) == [
        AddressEntry("Hornsgatan, norra", "12", "11820", "sodermalm")
    ]


def test_entry_key_is_normalised() -> None:
    assert AddressEntry("  SANKT Eriksgatan ", "117", "11343", "norra-innerstaden").key == (
        "sankt eriksgatan",
        "117",
        "11343",
    )


def test_unknown_and_missing_columns_are_refused() -> None:
    with pytest.raises(ValueError) as caught:
        parse_address_register_csv(
            "street,nr,postal_code,district_code,kommun\nGötgatan,1,11846,sodermalm,x\n"
        )
    assert str(caught.value) == (
        "address register: line 1: unknown columns: nr, kommun; missing columns: number "
        "(expected street,number,postal_code,district_code)"
    )


def test_repeated_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="line 1: repeated columns: street"):
        parse_address_register_csv("street,street,number,postal_code,district_code\n")


def test_bad_rows_are_reported_with_their_line_numbers() -> None:
    text = (
        "street,number,postal_code,district_code\n"  # line 1
        "Götgatan,30 A,118 46,sodermalm\n"  # 2: fine
        ",12,118 46,sodermalm\n"  # 3: empty street
        "Götgatan,12,1184,sodermalm\n"  # 4: bad postal code
        "\n"  # 5: blank, skipped
        "Götgatan,tolv,118 46,sodermalm\n"  # 6: bad number
        "Götgatan,12,118 46,\n"  # 7: empty district
        "Götgatan,12,118 46\n"  # 8: too few fields
        " ,,ABCDE,\n"  # 9: everything wrong
    )
    with pytest.raises(ValueError) as caught:
        parse_address_register_csv(text)
    assert str(caught.value) == (
        "address register: "
        "line 3: empty street; "
        "line 4: bad postal code '1184'; "
        "line 6: bad number 'tolv'; "
        "line 7: empty district_code; "
        "line 8: 3 fields, expected 4; "
        "line 9: empty street, bad number '', bad postal code 'ABCDE', empty district_code"
    )


def test_many_bad_rows_are_summarised() -> None:
    text = "street,number,postal_code,district_code\n" + "Götgatan,1,0,sodermalm\n" * 25
    with pytest.raises(ValueError) as caught:
        parse_address_register_csv(text)
    message = str(caught.value)
    assert message.count("bad postal code '0'") == 20
    assert message.endswith("line 21: bad postal code '0'; and 5 more")


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n"])
def test_an_empty_file_is_refused(text) -> None:
    with pytest.raises(ValueError, match="the file is empty"):
        parse_address_register_csv(text)


def test_a_header_only_file_is_an_empty_register() -> None:
    assert parse_address_register_csv("street,number,postal_code,district_code\n") == []


# ---- splitting written addresses ------------------------------------------------------------


@pytest.mark.parametrize(
    "written, expected",
    [
        ("Götgatan 30 A", ("götgatan", "30a")),
        ("Götgatan 30A", ("götgatan", "30a")),
        ("götgatan 30 a", ("götgatan", "30a")),
        ("Sankt Eriksgatan 117, lgh 1102", ("sankt eriksgatan", "117")),
        ("Sankt Eriksgatan 117 lgh 1102", ("sankt eriksgatan", "117")),
        ("Hornsgatan 12B lgh 1001 2 tr", ("hornsgatan", "12b")),
        ("Hornsgatan 12 B, 3 tr", ("hornsgatan", "12b")),
        ("Drottninggatan 5-7", ("drottninggatan", "5-7")),
        ("Drottninggatan 5 – 7", ("drottninggatan", "5-7")),
        ("  Fleminggatan\t\t22  ", ("fleminggatan", "22")),
        ("S:t Göransgatan 84", ("s:t göransgatan", "84")),
        ("Karl XII:s torg 1", ("karl xii:s torg", "1")),
        ("Bromma flygplats", ("bromma flygplats", None)),
        ("Lilla Nygatan 5.", ("lilla nygatan", "5")),
        ("Ö. Långgatan 7", ("ö. långgatan", "7")),
        ("", ("", None)),
    ],
)
def test_split_street_address(written, expected) -> None:
    assert split_street_address(written) == expected


@pytest.mark.parametrize(
    "written, expected",
    [
        ("30 A", "30a"),
        ("30a", "30a"),
        ("117", "117"),
        ("5-7", "5-7"),
        ("5 B-7 C", "5b-7c"),
        ("tolv", None),
        ("", None),
        ("30 AB", None),
    ],
)
def test_normalise_number(written, expected) -> None:
    assert normalise_number(written) == expected


def test_street_names_are_folded_but_not_expanded() -> None:
    assert normalise_street("Götgatan") == normalise_street("GÖTGATAN ") == "götgatan"
    assert normalise_street("Götg.") == "götg"
    assert normalise_street("Götg.") != normalise_street("Götgatan")
    # Composed and decomposed Å/Ä/Ö are the same letter.
    assert (
        normalise_street("A\u030arstavägen") == normalise_street("\u00c5rstavägen") == "årstavägen"
    )


@given(
    street=st.sampled_from(
        ["Götgatan", "Sankt Eriksgatan", "Hornsgatan", "Årsta torg", "Karl XII:s torg"]
    ),
    number=st.integers(min_value=1, max_value=300),
    letter=st.sampled_from(["", "a", "B", " c", " D"]),
    tail=st.sampled_from(["", ", lgh 1102", " lgh 1001", " 2 tr", ", c/o Svensson"]),
    spaces=st.sampled_from([" ", "  ", "\t"]),
)
def test_split_recovers_street_and_number(street, number, letter, tail, spaces) -> None:
    written = f"{street}{spaces}{number}{letter}{tail}"
    assert split_street_address(written) == (
        normalise_street(street),
        f"{number}{letter.strip().casefold()}",
    )
