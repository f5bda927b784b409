"""Kronofogden: the same-day acknowledgement over the HTTP protocol (against a
real local server), the file-backed and recording clients, and the import of
the authority's eviction notices from a file."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integrations.errors import IntegrationRejected, IntegrationUnavailable
from integrations.kronofogden.factory import kronofogden_client_from_settings
from integrations.kronofogden.files import parse_eviction_notice_file
from integrations.kronofogden.http import HttpKronofogdenClient
from integrations.kronofogden.local import (
    FileKronofogdenClient,
    RecordingKronofogdenClient,
    SentAcknowledgement,
)
from integrations.kronofogden.protocol import (
    AckReceipt,
    Acknowledgement,
    KronofogdenClient,
    KronofogdenUnavailable,
)
from tests.support.httpserver import LocalHTTPServer, RecordedRequest, Reply

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HANDLER_NAME = "Karin Lindqvist"
ACK = Acknowledgement(
    reference="KFM-2026-001234",
    received_at=dt.datetime(2026, 12, 11, 9, 12, tzinfo=STOCKHOLM),
    responsible_handler_name=HANDLER_NAME,
    responsible_handler_phone="08-508 25 000",
    district_name="Södermalm",
    committee="Södermalms stadsdelsnämnd",
)
ACK_BODY = {
    "reference": "KFM-2026-001234",
    "received_at": "2026-12-11T09:12:00+01:00",
    "responsible_handler_name": "Karin Lindqvist",
    "responsible_handler_phone": "08-508 25 000",
    "district_name": "Södermalm",
    "committee": "Södermalms stadsdelsnämnd",
}
RECEIPT_BODY = {"authority_reference": "KFM-ACK-778899", "accepted_at": "2026-12-11T09:12:03+01:00"}
RECEIPT = AckReceipt(
    authority_reference="KFM-ACK-778899",
    accepted_at=dt.datetime(2026, 12, 11, 9, 12, 3, tzinfo=dt.timezone(dt.timedelta(hours=1))),
)
ACK_PATH = "/v1/eviction-notices/KFM-2026-001234/acknowledgements"


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
    queue = list(replies)

    def handler(_: RecordedRequest) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def client(url: str, **kwargs) -> HttpKronofogdenClient:
    kwargs.setdefault("sleep", Sleeps())
    return HttpKronofogdenClient(url, kwargs.pop("api_key", "kfm-key"), **kwargs)


def free_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# ---- HTTP ------------------------------------------------------------------------------


def test_acknowledgement_is_posted_as_documented(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(201, RECEIPT_BODY))
    with client(server.url) as kronofogden:
        receipt = kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")

    assert receipt == RECEIPT
    [request] = server.requests
    assert request.method == "POST"
    assert request.path == ACK_PATH
    assert request.json() == ACK_BODY
    assert request.headers["idempotency-key"] == "outbox-42"
    assert request.headers["authorization"] == "Bearer kfm-key"
    assert request.headers["content-type"] == "application/json"


def test_a_200_replay_counts_as_success(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, RECEIPT_BODY))
    with client(server.url) as kronofogden:
        assert kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42") == RECEIPT
    assert len(server.requests) == 1


def test_utc_accepted_at_with_z_is_understood(server: LocalHTTPServer) -> None:
    server.handler = scripted(
        Reply(201, {"authority_reference": "A1", "accepted_at": "2026-12-11T08:12:03.250Z"})
    )
    with client(server.url) as kronofogden:
        receipt = kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")
    assert receipt == AckReceipt(
        "A1", dt.datetime(2026, 12, 11, 8, 12, 3, 250000, tzinfo=dt.timezone.utc)
    )


def test_handler_without_phone_is_sent_as_null(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(201, RECEIPT_BODY))
    ack = Acknowledgement(
        "KFM-2026-001234", ACK.received_at, HANDLER_NAME, None, "Södermalm",
        "Södermalms stadsdelsnämnd",
    )
    with client(server.url, api_key=None) as kronofogden:
        kronofogden.send_acknowledgement(ack, idempotency_key="outbox-43")

    [request] = server.requests
    assert request.json() == {**ACK_BODY, "responsible_handler_phone": None}
    assert "authorization" not in request.headers


def test_reference_is_one_percent_encoded_path_segment(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(201, RECEIPT_BODY))
    ack = Acknowledgement("KFM 2026/77?x", ACK.received_at, HANDLER_NAME, None, "S", "S")
    with client(server.url + "/kfm") as kronofogden:
        kronofogden.send_acknowledgement(ack, idempotency_key="outbox-44")

    assert server.requests[0].path == (
        "/kfm/v1/eviction-notices/KFM%202026%2F77%3Fx/acknowledgements"
    )
    assert server.requests[0].json()["reference"] == "KFM 2026/77?x"


def test_unknown_reference_is_rejected_not_retried(server: LocalHTTPServer) -> None:
    sleeps = Sleeps()
    server.handler = scripted(Reply(404, {"detail": "unknown reference"}))
    with client(server.url, sleep=sleeps) as kronofogden:
        with pytest.raises(IntegrationRejected) as caught:
            kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")

    assert str(caught.value) == (
        "Kronofogden acknowledgement: answered 404, the eviction notice reference is unknown"
    )
    assert caught.value.status_code == 404
    assert len(server.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [400, 401, 409, 422])
def test_other_4xx_are_rejected_not_retried(server: LocalHTTPServer, status: int) -> None:
    server.handler = scripted(Reply(status))
    with client(server.url) as kronofogden:
        with pytest.raises(IntegrationRejected) as caught:
            kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")

    assert str(caught.value) == f"Kronofogden acknowledgement: rejected with {status}"
    assert caught.value.status_code == status
    assert len(server.requests) == 1


def test_retry_after_503_sends_the_same_key_and_body(server: LocalHTTPServer) -> None:
    sleeps = Sleeps()
    server.handler = scripted(Reply(503), Reply(201, RECEIPT_BODY))
    with client(server.url, sleep=sleeps) as kronofogden:
        receipt = kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")

    assert receipt == RECEIPT
    assert [r.headers["idempotency-key"] for r in server.requests] == ["outbox-42", "outbox-42"]
    assert [r.json() for r in server.requests] == [ACK_BODY, ACK_BODY]
    assert sleeps == [0.2]


def test_persistent_5xx_is_unavailable_without_personal_data(server: LocalHTTPServer) -> None:
    sleeps = Sleeps()
    server.handler = scripted(Reply(502, {"detail": f"cannot file for {HANDLER_NAME}"}))
    with client(server.url, sleep=sleeps) as kronofogden:
        with pytest.raises(KronofogdenUnavailable) as caught:
            kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")

    assert str(caught.value) == "Kronofogden acknowledgement: answered 502 after 3 attempts"
    assert HANDLER_NAME not in str(caught.value)
    assert "08-508" not in str(caught.value)
    assert isinstance(caught.value, IntegrationUnavailable)
    assert len(server.requests) == 3
    assert sleeps == [0.2, 0.4]


def test_429_is_retried(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(429), Reply(429), Reply(201, RECEIPT_BODY))
    sleeps = Sleeps()
    with client(server.url, sleep=sleeps) as kronofogden:
        assert kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42") == RECEIPT
    assert len(server.requests) == 3
    assert sleeps == [0.2, 0.4]


def test_timeout_is_unavailable(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(201, RECEIPT_BODY, delay_s=0.6))
    with client(server.url, timeout=0.1, retries=1) as kronofogden:
        with pytest.raises(KronofogdenUnavailable) as caught:
            kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")

    assert str(caught.value) == (
        "Kronofogden acknowledgement: did not answer in time after 2 attempts"
    )
    assert [r.headers["idempotency-key"] for r in server.requests] == ["outbox-42", "outbox-42"]


def test_connection_refused_is_unavailable() -> None:
    with client(free_port_url(), retries=1) as kronofogden:
        with pytest.raises(KronofogdenUnavailable) as caught:
            kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")

    assert str(caught.value) == (
        "Kronofogden acknowledgement: could not be reached (ConnectError) after 2 attempts"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"accepted", "Kronofogden acknowledgement: answered 201 with a body that is not a JSON "
                      "object"),
        ({"accepted_at": "2026-12-11T09:12:03+01:00"},
         "Kronofogden acknowledgement: answered 201 without an authority_reference"),
        ({"authority_reference": "A1", "accepted_at": "2026-12-11 09:12"},
         "Kronofogden acknowledgement: answered 201 with accepted_at that must be an RFC 3339 "
         "timestamp with a time zone offset"),
        ({"authority_reference": "A1", "accepted_at": "2026-12-11T09:12:03"},
         "Kronofogden acknowledgement: answered 201 with accepted_at that must be an RFC 3339 "
         "timestamp with a time zone offset"),
    ],
)
def test_malformed_receipt_is_unavailable_without_retry(
    server: LocalHTTPServer, body, message: str
) -> None:
    server.handler = scripted(Reply(201, body))
    with client(server.url) as kronofogden:
        with pytest.raises(KronofogdenUnavailable) as caught:
            kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")

    assert str(caught.value) == message
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("ack", "key", "message"),
    [
        (ACK, "", "idempotency_key must be 1-128 characters: letters, digits, '.', '_', ':' or "
                  "'-', starting with a letter or digit"),
        (ACK, "../outbox", "idempotency_key must be 1-128 characters: letters, digits, '.', '_', "
                           "':' or '-', starting with a letter or digit"),
        (ACK, "outbox 42", "idempotency_key must be 1-128 characters: letters, digits, '.', '_', "
                           "':' or '-', starting with a letter or digit"),
        (Acknowledgement("KFM-1", dt.datetime(2026, 12, 11, 9, 12), HANDLER_NAME, None, "S", "S"),
         "outbox-42", "acknowledgement received_at must be timezone-aware"),
        (Acknowledgement("KFM-1", ACK.received_at, "  ", None, "S", "S"),
         "outbox-42", "acknowledgement must name the responsible handler"),
        (Acknowledgement(" ", ACK.received_at, HANDLER_NAME, None, "S", "S"),
         "outbox-42", "acknowledgement reference must not be empty"),
    ],
)
def test_invalid_acknowledgement_is_refused_before_sending(
    server: LocalHTTPServer, ack: Acknowledgement, key: str, message: str
) -> None:
    server.handler = scripted(Reply(201, RECEIPT_BODY))
    with client(server.url) as kronofogden:
        with pytest.raises(ValueError) as caught:
            kronofogden.send_acknowledgement(ack, idempotency_key=key)

    assert str(caught.value) == message
    assert server.requests == []


def test_http_client_satisfies_the_protocol() -> None:
    with client("http://127.0.0.1:9") as kronofogden:
        assert isinstance(kronofogden, KronofogdenClient)


# ---- file-backed -------------------------------------------------------------------------

FIXED_NOW = dt.datetime(2026, 12, 11, 8, 12, 3, tzinfo=dt.timezone.utc)


def test_file_client_writes_one_file_per_key(tmp_path: Path) -> None:
    outbox = tmp_path / "kronofogden-outbox"
    kronofogden = FileKronofogdenClient(outbox, now=lambda: FIXED_NOW)

    receipt = kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")

    assert receipt == AckReceipt("LOCAL-outbox-42", FIXED_NOW)
    assert sorted(p.name for p in outbox.iterdir()) == ["outbox-42.json"]
    assert json.loads((outbox / "outbox-42.json").read_text("utf-8")) == {
        "idempotency_key": "outbox-42",
        "acknowledgement": ACK_BODY,
        "receipt": {
            "authority_reference": "LOCAL-outbox-42",
            "accepted_at": "2026-12-11T08:12:03+00:00",
        },
    }
    assert isinstance(kronofogden, KronofogdenClient)


def test_file_client_same_key_twice_is_a_no_op(tmp_path: Path) -> None:
    times = iter([FIXED_NOW, FIXED_NOW + dt.timedelta(hours=1)])
    kronofogden = FileKronofogdenClient(tmp_path, now=lambda: next(times))
    first = kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")
    content = (tmp_path / "outbox-42.json").read_bytes()

    second = kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")

    assert second == first == AckReceipt("LOCAL-outbox-42", FIXED_NOW)
    assert (tmp_path / "outbox-42.json").read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outbox-42.json"]


def test_file_client_same_key_from_a_new_instance_returns_the_stored_receipt(
    tmp_path: Path,
) -> None:
    FileKronofogdenClient(tmp_path, now=lambda: FIXED_NOW).send_acknowledgement(
        ACK, idempotency_key="outbox-42"
    )
    later = FileKronofogdenClient(tmp_path, now=lambda: FIXED_NOW + dt.timedelta(days=1))

    assert later.send_acknowledgement(ACK, idempotency_key="outbox-42") == AckReceipt(
        "LOCAL-outbox-42", FIXED_NOW
    )


def test_file_client_different_keys_give_different_files(tmp_path: Path) -> None:
    kronofogden = FileKronofogdenClient(tmp_path, now=lambda: FIXED_NOW)
    kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")
    kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-43")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["outbox-42.json", "outbox-43.json"]


def test_file_client_refuses_a_key_that_is_not_a_plain_name(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    kronofogden = FileKronofogdenClient(outbox, now=lambda: FIXED_NOW)

    with pytest.raises(ValueError):
        kronofogden.send_acknowledgement(ACK, idempotency_key="../escaped")

    assert list(outbox.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outbox"]


def test_file_client_unreadable_stored_file_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "outbox-42.json").write_text("{not json", "utf-8")
    kronofogden = FileKronofogdenClient(tmp_path, now=lambda: FIXED_NOW)

    with pytest.raises(KronofogdenUnavailable) as caught:
        kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")
    assert str(caught.value) == (
        "Kronofogden acknowledgement: the stored file for this idempotency key is unreadable"
    )


# ---- recording -----------------------------------------------------------------------------


def test_recording_client_records_once_per_key() -> None:
    kronofogden = RecordingKronofogdenClient(now=lambda: FIXED_NOW)

    first = kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")
    again = kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")
    other = kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-43")

    assert first == again == AckReceipt("REC-1", FIXED_NOW)
    assert other == AckReceipt("REC-2", FIXED_NOW)
    assert kronofogden.sent == [
        SentAcknowledgement("outbox-42", ACK, AckReceipt("REC-1", FIXED_NOW)),
        SentAcknowledgement("outbox-43", ACK, AckReceipt("REC-2", FIXED_NOW)),
    ]
    assert isinstance(kronofogden, KronofogdenClient)


def test_recording_client_fails_on_demand() -> None:
    kronofogden = RecordingKronofogdenClient()
    kronofogden.fail_with = KronofogdenUnavailable("Kronofogden acknowledgement: answered 503")

    with pytest.raises(KronofogdenUnavailable):
        kronofogden.send_acknowledgement(ACK, idempotency_key="outbox-42")
    assert kronofogden.sent == []


def test_recording_client_checks_like_the_real_ones() -> None:
    naive = Acknowledgement("KFM-1", dt.datetime(2026, 12, 11, 9, 12), HANDLER_NAME, None, "S", "S")
    with pytest.raises(ValueError):
        RecordingKronofogdenClient().send_acknowledgement(naive, idempotency_key="outbox-42")


# ---- factory ---------------------------------------------------------------------------------


def test_factory_prefers_http(tmp_path: Path) -> None:
    kronofogden = kronofogden_client_from_settings("https://kfm.test", "k", tmp_path)
    assert isinstance(kronofogden, HttpKronofogdenClient)
    kronofogden.close()


def test_factory_falls_back_to_files(tmp_path: Path) -> None:
    kronofogden = kronofogden_client_from_settings(None, None, str(tmp_path / "acks"))
    assert isinstance(kronofogden, FileKronofogdenClient)
    assert kronofogden.directory == tmp_path / "acks"
    assert (tmp_path / "acks").is_dir()


def test_factory_refuses_to_drop_acknowledgements() -> None:
    with pytest.raises(ValueError) as caught:
        kronofogden_client_from_settings(None, None, None)
    assert str(caught.value) == (
        "configure a Kronofogden URL or a directory for acknowledgement files"
    )


# ---- the authority's notices as a file -----------------------------------------------------

TENANT_NAME = "Anna Andersson"
TENANT_PNR = "19850412-1230"


def notice(reference: str = "KFM-2026-001234", **changes) -> dict:
    entry = {
        "reference": reference,
        "eviction_at": "2026-12-18T09:00:00+01:00",
        "tenant": {"name": TENANT_NAME, "personal_identity_number": TENANT_PNR},
        "property": {
            "street_address": "Götgatan 30",
            "postal_code": "118 46",
            "city": "Stockholm",
            "apartment_number": "1102",
        },
        "landlord": {"name": "Bostadsbolaget AB", "org_number": "556677-8899"},
    }
    entry.update(changes)
    return entry


def test_parses_a_json_array() -> None:
    entries = [notice("KFM-1"), notice("KFM-2", eviction_at="2026-12-18T08:00:00Z")]
    assert parse_eviction_notice_file(json.dumps(entries, ensure_ascii=False)) == entries


def test_parses_json_lines_skipping_blank_lines_and_a_bom() -> None:
    first, second = notice("KFM-1"), notice("KFM-2")
    text = "\ufeff" + json.dumps(first) + "\n\n  \n" + json.dumps(second) + "\n"
    assert parse_eviction_notice_file(text) == [first, second]


def test_a_notice_without_apartment_is_accepted() -> None:
    entry = notice()
    del entry["property"]["apartment_number"]
    assert parse_eviction_notice_file(json.dumps([entry])) == [entry]


@pytest.mark.parametrize("text", ["", "   \n", "[]", " [ ] "])
def test_an_empty_file_has_no_notices(text: str) -> None:
    assert parse_eviction_notice_file(text) == []


def without(name: str, field: str) -> dict:
    entry = notice()
    del entry[name][field]
    return entry


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("not an object", "must be a JSON object"),
        (notice(reference=""), "reference must be a non-empty string"),
        (notice(eviction_at="2026-12-18 09:00"),
         "eviction_at must be an RFC 3339 timestamp with a time zone offset"),
        (notice(eviction_at="2026-12-18T09:00:00"),
         "eviction_at must be an RFC 3339 timestamp with a time zone offset"),
        (notice(eviction_at="2026-02-30T09:00:00+01:00"),
         "eviction_at is not a real date and time"),
        (notice(tenant=TENANT_NAME), "tenant must be an object"),
        (without("tenant", "personal_identity_number"),
         "tenant.personal_identity_number must be a non-empty string"),
        (without("property", "postal_code"), "property.postal_code must be a non-empty string"),
        (without("landlord", "org_number"), "landlord.org_number must be a non-empty string"),
        (notice(property={**notice()["property"], "apartment_number": 1102}),
         "property.apartment_number must be a string or null"),
    ],
)
def test_a_malformed_entry_is_named_by_index_and_line(bad, message: str) -> None:
    with pytest.raises(ValueError) as in_array:
        parse_eviction_notice_file(json.dumps([notice(), bad, notice()]))
    assert str(in_array.value) == f"index 1: {message}"

    with pytest.raises(ValueError) as in_lines:
        parse_eviction_notice_file("\n".join(json.dumps(e) for e in [notice(), notice(), bad]))
    assert str(in_lines.value) == f"line 3: {message}"

    for secret in (TENANT_NAME, TENANT_PNR, "Götgatan"):
        assert secret not in str(in_array.value) + str(in_lines.value)


def test_invalid_json_lines_name_the_line() -> None:
    text = json.dumps(notice()) + "\n" + '{"reference": "KFM-2", "tenant": {"name": "Anna' + "\n"
    with pytest.raises(ValueError) as caught:
        parse_eviction_notice_file(text)
    assert str(caught.value) == (
        "line 2: not valid JSON (Unterminated string starting at: column 43)"
    )
    assert "Anna" not in str(caught.value)


def test_invalid_json_array_names_the_position() -> None:
    text = "[\n" + json.dumps(notice()) + ",\n{broken}\n]"
    with pytest.raises(ValueError) as caught:
        parse_eviction_notice_file(text)
    assert str(caught.value) == (
        "not valid JSON (Expecting property name enclosed in double quotes: line 3 column 2)"
    )
