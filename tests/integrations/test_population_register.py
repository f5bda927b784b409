"""The population register clients: the HTTP protocol against a real local
server, and the file-backed register used for development and the demo."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.errors import IntegrationRejected, IntegrationUnavailable
from integrations.population_register.factory import population_register_from_settings
from integrations.population_register.http import HttpPopulationRegister
from integrations.population_register.local import (
    FilePopulationRegister,
    InMemoryPopulationRegister,
)
from integrations.population_register.protocol import (
    Household,
    Person,
    PopulationRegister,
    PopulationRegisterUnavailable,
    Resident,
)
from tests.support.httpserver import LocalHTTPServer, RecordedRequest, Reply

PNR = "19850412-1230"
PNR_CANONICAL = "198504121230"
STREET = "Götgatan 30"
POSTAL = "118 46"
APARTMENT = "1102"

PERSON_ANSWER = {
    "birth_date": "1985-04-12",
    "coordination_number": False,
    "registered_address": "Götgatan 30, 118 46 Stockholm",
    "apartment_number": "1102",
    "deceased": False,
}
HOUSEHOLD_ANSWER = {
    "residents": [
        {"birth_date": "1985-04-12", "coordination_number": False},
        {"birth_date": "2015-09-01", "coordination_number": False},
        {"birth_date": "1950-03-11", "coordination_number": True},
    ]
}


@pytest.fixture(scope="module")
def _shared_server() -> Iterator[LocalHTTPServer]:
    # One real server for the module (starting and stopping one costs half a
    # second); each test sets its handler and starts with no recorded requests.
    with LocalHTTPServer(lambda _: Reply(500)) as server:
        yield server


@pytest.fixture
def server(_shared_server: LocalHTTPServer) -> LocalHTTPServer:
    _shared_server.requests.clear()
    return _shared_server


class Sleeps(list):
    """Stands in for time.sleep: records the backoff delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def scripted(*replies: Reply):
    """A handler answering with `replies` in order, then repeating the last one."""
    queue = list(replies)

    def handler(_: RecordedRequest) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def client(url: str, **kwargs) -> HttpPopulationRegister:
    kwargs.setdefault("sleep", Sleeps())
    return HttpPopulationRegister(url, kwargs.pop("api_key", "test-key"), **kwargs)


def free_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def assert_no_personal_data_in(message: str) -> None:
    for secret in (PNR, PNR_CANONICAL, "850412", "Götgatan", "11846", "118 46", APARTMENT):
        assert secret not in message


# ---- HTTP: success ---------------------------------------------------------------


def test_household_lookup_sends_the_documented_request_and_parses_residents(
    server: LocalHTTPServer
) -> None:
    server.handler = scripted(Reply(200, HOUSEHOLD_ANSWER))
    with client(server.url) as register:
        household = register.household_at(STREET, POSTAL, APARTMENT)

    assert household == Household(
        residents=[
            Resident(birth_date=dt.date(1985, 4, 12), coordination=False),
            Resident(birth_date=dt.date(2015, 9, 1), coordination=False),
            Resident(birth_date=dt.date(1950, 3, 11), coordination=True),
        ],
        source="population_register:http",
    )
    [request] = server.requests
    assert request.method == "POST"
    assert request.path == "/v1/household-lookup"
    assert request.json() == {
        "street_address": "Götgatan 30",
        "postal_code": "118 46",
        "apartment_number": "1102",
    }
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"


def test_household_lookup_without_apartment_sends_null(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, {"residents": []}))
    with client(server.url) as register:
        household = register.household_at("Villavägen 3", "165 72", None)

    assert household == Household(residents=[], source="population_register:http")
    assert server.requests[0].json() == {
        "street_address": "Villavägen 3",
        "postal_code": "165 72",
        "apartment_number": None,
    }


def test_person_lookup_posts_the_canonical_number_in_the_body_never_in_the_url(
    server: LocalHTTPServer
) -> None:
    server.handler = scripted(Reply(200, PERSON_ANSWER))
    with client(server.url) as register:
        person = register.person(PNR)

    assert person == Person(
        identity_number_canonical="198504121230",
        birth_date=dt.date(1985, 4, 12),
        registered_address="Götgatan 30, 118 46 Stockholm",
        apartment_number="1102",
        deceased=False,
    )
    [request] = server.requests
    assert request.method == "POST"
    assert request.path == "/v1/person-lookup"
    assert request.json() == {"personal_identity_number": "198504121230"}
    assert "850412" not in request.path
    assert request.headers["authorization"] == "Bearer test-key"


def test_person_answer_with_null_address_and_deceased(server: LocalHTTPServer) -> None:
    answer = {**PERSON_ANSWER, "registered_address": None, "apartment_number": None,
              "deceased": True}
    server.handler = scripted(Reply(200, answer))
    with client(server.url) as register:
        person = register.person(PNR_CANONICAL)

    assert person == Person("198504121230", dt.date(1985, 4, 12), None, None, True)


def test_person_repr_does_not_show_who_it_is() -> None:
    person = Person("198504121230", dt.date(1985, 4, 12), "Götgatan 30", "1102", False)
    assert repr(person) == "Person(deceased=False)"


def test_no_api_key_sends_no_authorization_header(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, {"residents": []}))
    with client(server.url, api_key=None) as register:
        register.household_at(STREET, POSTAL, APARTMENT)

    assert "authorization" not in server.requests[0].headers


def test_base_url_with_a_path_prefix_is_kept(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, {"residents": []}))
    with client(server.url + "/folkbokforing-adapter") as register:
        register.household_at(STREET, POSTAL, APARTMENT)

    assert server.requests[0].path == "/folkbokforing-adapter/v1/household-lookup"


def test_http_register_satisfies_the_protocol() -> None:
    with client("http://127.0.0.1:9") as register:
        assert isinstance(register, PopulationRegister)


# ---- HTTP: not found ------------------------------------------------------------------


def test_unknown_address_is_none(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(404, {"error": "not found"}))
    with client(server.url) as register:
        assert register.household_at(STREET, POSTAL, APARTMENT) is None
    assert len(server.requests) == 1


def test_unknown_person_is_none(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(404))
    with client(server.url) as register:
        assert register.person(PNR) is None
    assert len(server.requests) == 1


# ---- HTTP: retries and failures --------------------------------------------------------


def test_retries_after_503_then_succeeds(server: LocalHTTPServer) -> None:
    sleeps = Sleeps()
    handler = scripted(Reply(503), Reply(200, PERSON_ANSWER))
    server.handler = handler
    with client(server.url, sleep=sleeps) as register:
        person = register.person(PNR)

    assert person is not None and person.birth_date == dt.date(1985, 4, 12)
    assert len(server.requests) == 2
    assert [r.json() for r in server.requests] == [{"personal_identity_number": PNR_CANONICAL}] * 2
    assert sleeps == [0.2]


def test_retries_after_429_then_succeeds(server: LocalHTTPServer) -> None:
    sleeps = Sleeps()
    server.handler = scripted(Reply(429), Reply(200, {"residents": []}))
    with client(server.url, sleep=sleeps) as register:
        household = register.household_at(STREET, POSTAL, APARTMENT)

    assert household == Household(residents=[], source="population_register:http")
    assert len(server.requests) == 2
    assert sleeps == [0.2]


def test_persistent_5xx_raises_unavailable_without_personal_data(server: LocalHTTPServer) -> None:
    sleeps = Sleeps()
    server.handler = scripted(Reply(503, {"detail": f"down for {PNR}"}))
    with client(server.url, sleep=sleeps) as register:
        with pytest.raises(PopulationRegisterUnavailable) as caught:
            register.person(PNR)

    message = str(caught.value)
    assert message == "population register person look-up: answered 503 after 3 attempts"
    assert_no_personal_data_in(message)
    assert isinstance(caught.value, IntegrationUnavailable)
    assert caught.value.__cause__ is None
    assert len(server.requests) == 3
    assert sleeps == [0.2, 0.4]


def test_persistent_500_on_household_lookup_names_no_address(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(500))
    with client(server.url, retries=1) as register:
        with pytest.raises(PopulationRegisterUnavailable) as caught:
            register.household_at(STREET, POSTAL, APARTMENT)

    assert str(caught.value) == (
        "population register household look-up: answered 500 after 2 attempts"
    )
    assert_no_personal_data_in(str(caught.value))
    assert len(server.requests) == 2


def test_timeout_is_retried_then_unavailable(server: LocalHTTPServer) -> None:
    sleeps = Sleeps()
    server.handler = scripted(Reply(200, PERSON_ANSWER, delay_s=0.6))
    with client(server.url, timeout=0.1, retries=1, sleep=sleeps) as register:
        with pytest.raises(PopulationRegisterUnavailable) as caught:
            register.person(PNR)

    assert str(caught.value) == (
        "population register person look-up: did not answer in time after 2 attempts"
    )
    assert len(server.requests) == 2
    assert sleeps == [0.2]


def test_timeout_then_answer_succeeds(server: LocalHTTPServer) -> None:
    handler = scripted(Reply(200, PERSON_ANSWER, delay_s=0.6), Reply(200, PERSON_ANSWER))
    server.handler = handler
    with client(server.url, timeout=0.1) as register:
        person = register.person(PNR)

    assert person is not None and person.identity_number_canonical == PNR_CANONICAL
    assert len(server.requests) == 2


def test_connection_refused_is_unavailable() -> None:
    sleeps = Sleeps()
    with client(free_port_url(), retries=2, sleep=sleeps) as register:
        with pytest.raises(PopulationRegisterUnavailable) as caught:
            register.household_at(STREET, POSTAL, APARTMENT)

    assert str(caught.value) == (
        "population register household look-up: could not be reached (ConnectError) "
        "after 3 attempts"
    )
    assert sleeps == [0.2, 0.4]


@pytest.mark.parametrize("status", [400, 401, 403, 422])
def test_4xx_is_rejected_and_not_retried(server: LocalHTTPServer, status: int) -> None:
    sleeps = Sleeps()
    server.handler = scripted(Reply(status, {"detail": "no"}))
    with client(server.url, sleep=sleeps) as register:
        with pytest.raises(IntegrationRejected) as caught:
            register.person(PNR)

    assert str(caught.value) == f"population register person look-up: rejected with {status}"
    assert caught.value.status_code == status
    assert len(server.requests) == 1
    assert sleeps == []


def test_retries_zero_means_one_attempt(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(502))
    with client(server.url, retries=0) as register:
        with pytest.raises(PopulationRegisterUnavailable) as caught:
            register.person(PNR)

    assert str(caught.value) == "population register person look-up: answered 502 after 1 attempts"
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>oops</html>", "population register household look-up: answered with a body "
                               "that is not JSON"),
        ({"people": []}, "population register household look-up: answered without a "
                         "residents list"),
        ({"residents": [{"birth_date": "12/04/1985", "coordination_number": False}]},
         "population register household look-up: answered with a malformed body "
         "(residents[0]: birth_date must be a date YYYY-MM-DD)"),
        ({"residents": [{"birth_date": "1985-02-30", "coordination_number": False}]},
         "population register household look-up: answered with a malformed body "
         "(residents[0]: birth_date is not a real calendar date)"),
        ({"residents": [{"birth_date": "1985-04-12"}]},
         "population register household look-up: answered with a malformed body "
         "(residents[0]: coordination_number must be true or false)"),
    ],
)
def test_malformed_household_answer_is_unavailable_without_retry(
    server: LocalHTTPServer, body, message: str
) -> None:
    server.handler = scripted(Reply(200, body))
    with client(server.url) as register:
        with pytest.raises(PopulationRegisterUnavailable) as caught:
            register.household_at(STREET, POSTAL, APARTMENT)

    assert str(caught.value) == message
    assert len(server.requests) == 1


def test_malformed_person_answer_is_unavailable(server: LocalHTTPServer) -> None:
    answer = {k: v for k, v in PERSON_ANSWER.items() if k != "deceased"}
    server.handler = scripted(Reply(200, answer))
    with client(server.url) as register:
        with pytest.raises(PopulationRegisterUnavailable) as caught:
            register.person(PNR)

    assert str(caught.value) == (
        "population register person look-up: answered with a malformed body "
        "(person: deceased must be true or false)"
    )


@pytest.mark.parametrize("bad", ["850412-1230", "19850412+1230", "1985-04-12", "", "abc"])
def test_a_number_that_is_not_12_digits_is_refused_before_sending(
    server: LocalHTTPServer, bad: str
) -> None:
    server.handler = scripted(Reply(200, PERSON_ANSWER))
    with client(server.url) as register:
        with pytest.raises(ValueError) as caught:
            register.person(bad)

    assert str(caught.value) == (
        "identity number must be 12 digits: YYYYMMDDNNNC or YYYYMMDD-NNNC"
    )
    assert server.requests == []


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError):
        HttpPopulationRegister("ftp://register.example")


# ---- file-backed and in-memory ------------------------------------------------------

REGISTER_DATA = {
    "households": [
        {
            "street_address": "Götgatan 30",
            "postal_code": "118 46",
            "apartment_number": "1102",
            "residents": [
                {"birth_date": "1985-04-12", "coordination_number": False},
                {"birth_date": "2015-09-01", "coordination_number": False},
            ],
        },
        {
            "street_address": "Villavägen 3",
            "postal_code": "16572",
            "apartment_number": None,
            "residents": [{"birth_date": "1948-01-20", "coordination_number": True}],
        },
        {
            "street_address": "Ringvägen 100",
            "postal_code": "118 60",
            "apartment_number": "1201",
            "residents": [],
        },
    ],
    "persons": [
        {
            "personal_identity_number": "19850412-1230",
            "birth_date": "1985-04-12",
            "coordination_number": False,
            "registered_address": "Götgatan 30, 118 46 Stockholm",
            "apartment_number": "1102",
            "deceased": False,
        },
        {
            "personal_identity_number": "194801801234",
            "birth_date": "1948-01-20",
            "coordination_number": True,
            "deceased": True,
        },
    ],
}
GOTGATAN = Household(
    residents=[
        Resident(dt.date(1985, 4, 12), False),
        Resident(dt.date(2015, 9, 1), False),
    ],
    source="population_register:file",
)


def write(path: Path, data: object, mtime_ns: int | None = None) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


@pytest.fixture
def register_file(tmp_path: Path) -> Path:
    path = tmp_path / "folkbokforing.json"
    write(path, REGISTER_DATA, mtime_ns=1_700_000_000_000_000_000)
    return path


def test_file_register_round_trip(register_file: Path) -> None:
    register = FilePopulationRegister(register_file)

    assert register.household_at("Götgatan 30", "118 46", "1102") == GOTGATAN
    assert register.household_at("Villavägen 3", "165 72", None) == Household(
        [Resident(dt.date(1948, 1, 20), True)], "population_register:file"
    )
    assert register.household_at("Ringvägen 100", "11860", "1201") == Household(
        [], "population_register:file"
    )
    assert register.person("198504121230") == Person(
        "198504121230", dt.date(1985, 4, 12), "Götgatan 30, 118 46 Stockholm", "1102", False
    )
    assert register.person("19480180-1234") == Person(
        "194801801234", dt.date(1948, 1, 20), None, None, True
    )
    assert isinstance(register, PopulationRegister)


@pytest.mark.parametrize(
    ("street", "postal", "apartment"),
    [
        ("Götgatan 30", "118 46", "1102"),
        ("götgatan 30", "11846", "1102"),
        ("  GÖTGATAN   30 ", "118-46", " 1102 "),
        ("Go\u0308tgatan\t30", "SE-118 46", "lgh 1102"),  # decomposed ö, a tab
        ("Götgatan 30", "118 46", "LGH1102"),
        ("Götgatan 30", "118 46", "Lägenhet 1102"),
    ],
)
def test_file_register_normalises_street_postal_code_and_apartment(
    register_file: Path, street: str, postal: str, apartment: str
) -> None:
    register = FilePopulationRegister(register_file)
    assert register.household_at(street, postal, apartment) == GOTGATAN


@pytest.mark.parametrize(
    ("street", "postal", "apartment"),
    [
        ("Götgatan 32", "118 46", "1102"),  # other number
        ("Götgatan 30", "118 47", "1102"),  # other postal code
        ("Götgatan 30", "118 46", "1103"),  # other apartment
        ("Götgatan 30", "118 46", None),  # the register lists apartments here
        ("Villavägen 3", "165 72", "1001"),  # a house has no apartments
    ],
)
def test_file_register_unknown_tenancy_is_none(
    register_file: Path, street: str, postal: str, apartment: str | None
) -> None:
    assert FilePopulationRegister(register_file).household_at(street, postal, apartment) is None


def test_file_register_unknown_person_is_none(register_file: Path) -> None:
    assert FilePopulationRegister(register_file).person("19900101-0017") is None


def test_file_register_reloads_when_the_file_changes(register_file: Path) -> None:
    register = FilePopulationRegister(register_file)
    assert register.household_at("Götgatan 30", "118 46", "1102") == GOTGATAN

    changed = json.loads(json.dumps(REGISTER_DATA))
    changed["households"][0]["residents"] = [{"birth_date": "1955-06-06",
                                              "coordination_number": False}]
    write(register_file, changed, mtime_ns=1_700_000_100_000_000_000)

    assert register.household_at("Götgatan 30", "118 46", "1102") == Household(
        [Resident(dt.date(1955, 6, 6), False)], "population_register:file"
    )


def test_file_register_does_not_reread_an_unchanged_file(register_file: Path) -> None:
    register = FilePopulationRegister(register_file)
    # Same size, same mtime: a change the register cannot see, so it keeps its data.
    changed = json.loads(json.dumps(REGISTER_DATA))
    changed["households"][0]["residents"][1]["birth_date"] = "2015-09-02"
    stat = register_file.stat()
    register_file.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    os.utime(register_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    assert register.household_at("Götgatan 30", "118 46", "1102") == GOTGATAN


def test_a_broken_edit_makes_lookups_unavailable_until_fixed(register_file: Path) -> None:
    register = FilePopulationRegister(register_file)
    register_file.write_text('{"households": [ {"street_address": "Götgatan 30",', "utf-8")
    os.utime(register_file, ns=(1_700_000_200_000_000_000,) * 2)

    with pytest.raises(PopulationRegisterUnavailable) as caught:
        register.household_at("Götgatan 30", "118 46", "1102")
    assert str(caught.value) == (
        "population register file could not be read: population register file is not valid "
        "JSON (Expecting property name enclosed in double quotes: line 1 column 51)"
    )
    assert "Götgatan" not in str(caught.value)

    write(register_file, REGISTER_DATA, mtime_ns=1_700_000_300_000_000_000)
    assert register.household_at("Götgatan 30", "118 46", "1102") == GOTGATAN


def test_a_deleted_file_makes_lookups_unavailable(register_file: Path) -> None:
    register = FilePopulationRegister(register_file)
    register_file.unlink()

    with pytest.raises(PopulationRegisterUnavailable) as caught:
        register.person(PNR)
    assert str(caught.value) == (
        "population register file could not be read: No such file or directory"
    )


def test_a_missing_file_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        FilePopulationRegister(tmp_path / "nowhere.json")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"households": {}}, "households and persons must be lists"),
        ({"households": [{"street_address": "Götgatan 30", "postal_code": "118",
                          "residents": []}]},
         "households[0]: postal_code must have five digits"),
        ({"households": [{"street_address": "Götgatan 30", "postal_code": "11846"}]},
         "households[0]: residents must be a list"),
        ({"households": [REGISTER_DATA["households"][0],
                         {**REGISTER_DATA["households"][0], "street_address": "GÖTGATAN 30"}]},
         "households[1]: the same tenancy is listed twice"),
        ({"persons": [{"personal_identity_number": "850412-1230", "birth_date": "1985-04-12",
                       "coordination_number": False, "deceased": False}]},
         "persons[0]: personal_identity_number: identity number must be 12 digits: "
         "YYYYMMDDNNNC or YYYYMMDD-NNNC"),
        ({"persons": [REGISTER_DATA["persons"][0], REGISTER_DATA["persons"][0]]},
         "persons[1]: the same person is listed twice"),
        ({"persons": [{"personal_identity_number": PNR, "birth_date": "1985-04-12",
                       "coordination_number": False, "deceased": "no"}]},
         "persons[0]: deceased must be true or false"),
    ],
)
def test_malformed_register_data_names_the_entry_not_its_content(data, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        InMemoryPopulationRegister(data)
    assert str(caught.value) == message


def test_in_memory_register_from_the_same_dict() -> None:
    register = InMemoryPopulationRegister(REGISTER_DATA)

    assert register.household_at("götgatan 30", "11846", "lgh 1102") == Household(
        GOTGATAN.residents, "population_register:memory"
    )
    assert register.person(PNR) == Person(
        PNR_CANONICAL, dt.date(1985, 4, 12), "Götgatan 30, 118 46 Stockholm", "1102", False
    )
    assert register.household_at("Okändgatan 1", "11111", None) is None
    assert isinstance(register, PopulationRegister)


def test_returned_households_cannot_change_the_register() -> None:
    register = InMemoryPopulationRegister(REGISTER_DATA)
    register.household_at("Götgatan 30", "11846", "1102").residents.clear()
    assert len(register.household_at("Götgatan 30", "11846", "1102").residents) == 2


# ---- factory ---------------------------------------------------------------------------


def test_factory_picks_http_when_a_url_is_configured(register_file: Path) -> None:
    register = population_register_from_settings("http://register.test", "k", str(register_file))
    assert isinstance(register, HttpPopulationRegister)
    register.close()


def test_factory_picks_the_file_without_a_url(register_file: Path) -> None:
    register = population_register_from_settings(None, None, str(register_file))
    assert isinstance(register, FilePopulationRegister)
    assert register.household_at("Götgatan 30", "118 46", "1102") == GOTGATAN


def test_factory_gives_none_when_nothing_is_configured() -> None:
    assert population_register_from_settings(None, None, None) is None
    assert population_register_from_settings("", "", "") is None
