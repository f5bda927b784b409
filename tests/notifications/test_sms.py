"""SMS through the provider protocol, against a real local HTTP server."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from integrations.errors import IntegrationRejected, IntegrationUnavailable
from notifications.sms import (
    HttpSmsSender,
    RecordingSmsSender,
    SentSms,
    SmsSender,
    SmsUnavailable,
    sms_sender_from_settings,
)
from tests.support.httpserver import LocalHTTPServer, RecordedRequest, Reply

PHONE = "+46701234567"
TEXT = (
    "Socialtjänsten Södermalm: ärende VA-2026-000123 behöver åtgärd senast 2026-12-29. "
    "https://varsel.stockholm.se/arenden/VA-2026-000123"
)
NUMBER_MESSAGE = "recipient must be an E.164 number: '+' and 8-15 digits"


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


def sender(url: str, **kwargs) -> HttpSmsSender:
    kwargs.setdefault("sleep", Sleeps())
    return HttpSmsSender(url, kwargs.pop("api_key", "sms-key"), **kwargs)


def free_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# ---- HTTP --------------------------------------------------------------------------


def test_message_is_posted_as_documented(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(202, {"id": "msg-0001"}))
    with sender(server.url) as sms:
        message_id = sms.send(PHONE, TEXT, idempotency_key="outbox-7")

    assert message_id == "msg-0001"
    [request] = server.requests
    assert request.method == "POST"
    assert request.path == "/v1/messages"
    assert request.json() == {
        "to": "+46701234567",
        "from": "Varsel",
        "text": TEXT,
        "reference": "outbox-7",
    }
    assert request.headers["idempotency-key"] == "outbox-7"
    assert request.headers["authorization"] == "Bearer sms-key"
    assert request.headers["content-type"] == "application/json"


def test_sender_name_and_path_prefix(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(202, {"id": "msg-0002"}))
    with sender(server.url + "/sms-gw", sender_name="Stockholm", api_key=None) as sms:
        sms.send(PHONE, "Nytt ärende VA-2026-000124.", idempotency_key="outbox-8")

    [request] = server.requests
    assert request.path == "/sms-gw/v1/messages"
    assert request.json()["from"] == "Stockholm"
    assert "authorization" not in request.headers


def test_a_200_replay_counts_as_success(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(200, {"id": "msg-0001"}))
    with sender(server.url) as sms:
        assert sms.send(PHONE, TEXT, idempotency_key="outbox-7") == "msg-0001"


@pytest.mark.parametrize("status", [400, 401, 403, 409, 422])
def test_4xx_is_rejected_and_not_retried(server: LocalHTTPServer, status: int) -> None:
    sleeps = Sleeps()
    server.handler = scripted(Reply(status, {"detail": f"bad number {PHONE}"}))
    with sender(server.url, sleep=sleeps) as sms:
        with pytest.raises(IntegrationRejected) as caught:
            sms.send(PHONE, TEXT, idempotency_key="outbox-7")

    assert str(caught.value) == f"SMS provider rejected the message with {status}"
    assert caught.value.status_code == status
    assert len(server.requests) == 1
    assert sleeps == []


def test_retry_after_503_then_accepted(server: LocalHTTPServer) -> None:
    sleeps = Sleeps()
    server.handler = scripted(Reply(503), Reply(202, {"id": "msg-0003"}))
    with sender(server.url, sleep=sleeps) as sms:
        assert sms.send(PHONE, TEXT, idempotency_key="outbox-7") == "msg-0003"

    assert [r.headers["idempotency-key"] for r in server.requests] == ["outbox-7", "outbox-7"]
    assert [r.json()["reference"] for r in server.requests] == ["outbox-7", "outbox-7"]
    assert sleeps == [0.2]


def test_persistent_5xx_is_unavailable_without_number_or_text(server: LocalHTTPServer) -> None:
    sleeps = Sleeps()
    server.handler = scripted(Reply(500, {"detail": f"failed for {PHONE}"}))
    with sender(server.url, sleep=sleeps) as sms:
        with pytest.raises(SmsUnavailable) as caught:
            sms.send(PHONE, TEXT, idempotency_key="outbox-7")

    message = str(caught.value)
    assert message == "SMS provider answered 500 after 3 attempts"
    assert PHONE not in message and "701234567" not in message and "VA-2026" not in message
    assert isinstance(caught.value, IntegrationUnavailable)
    assert len(server.requests) == 3
    assert sleeps == [0.2, 0.4]


def test_429_is_retried(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(429), Reply(202, {"id": "msg-0004"}))
    with sender(server.url) as sms:
        assert sms.send(PHONE, TEXT, idempotency_key="outbox-7") == "msg-0004"
    assert len(server.requests) == 2


def test_timeout_is_unavailable(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(202, {"id": "late"}, delay_s=0.6))
    with sender(server.url, timeout=0.1, retries=1) as sms:
        with pytest.raises(SmsUnavailable) as caught:
            sms.send(PHONE, TEXT, idempotency_key="outbox-7")

    assert str(caught.value) == "SMS provider did not answer in time after 2 attempts"
    assert len(server.requests) == 2


def test_connection_refused_is_unavailable() -> None:
    sleeps = Sleeps()
    with sender(free_port_url(), sleep=sleeps) as sms:
        with pytest.raises(SmsUnavailable) as caught:
            sms.send(PHONE, TEXT, idempotency_key="outbox-7")

    assert str(caught.value) == (
        "SMS provider could not be reached (ConnectError) after 3 attempts"
    )
    assert sleeps == [0.2, 0.4]


@pytest.mark.parametrize("body", [{"status": "queued"}, {"id": ""}, b"ok"])
def test_an_answer_without_message_id_is_unavailable(server: LocalHTTPServer, body) -> None:
    server.handler = scripted(Reply(202, body))
    with sender(server.url) as sms:
        with pytest.raises(SmsUnavailable) as caught:
            sms.send(PHONE, TEXT, idempotency_key="outbox-7")

    assert str(caught.value) == "SMS provider answered 202 without a message id"
    assert len(server.requests) == 1


# ---- checks before sending --------------------------------------------------------------


@pytest.mark.parametrize(
    "to",
    [
        "0701234567",  # national form
        "+46 70 123 45 67",  # spaces
        "+46-701234567",
        "+4670123",  # 7 digits
        "+4670123456789012",  # 16 digits
        "+0701234567",  # no country code starts with 0
        "46701234567",
        "",
    ],
)
def test_a_number_that_is_not_e164_is_refused(server: LocalHTTPServer, to: str) -> None:
    server.handler = scripted(Reply(202, {"id": "x"}))
    with sender(server.url) as sms:
        with pytest.raises(ValueError) as caught:
            sms.send(to, TEXT, idempotency_key="outbox-7")

    assert str(caught.value) == NUMBER_MESSAGE
    assert server.requests == []


@pytest.mark.parametrize("to", ["+46701234", "+467012345678901", "+358401234567"])
def test_e164_bounds_are_accepted(server: LocalHTTPServer, to: str) -> None:
    server.handler = scripted(Reply(202, {"id": "ok"}))
    with sender(server.url) as sms:
        assert sms.send(to, "Ärende VA-2026-000123.", idempotency_key="outbox-7") == "ok"
    assert server.requests[0].json()["to"] == to


def test_480_characters_are_sent_481_are_refused(server: LocalHTTPServer) -> None:
    server.handler = scripted(Reply(202, {"id": "long"}))
    with sender(server.url) as sms:
        assert sms.send(PHONE, "å" * 480, idempotency_key="outbox-7") == "long"
        with pytest.raises(ValueError) as caught:
            sms.send(PHONE, "å" * 481, idempotency_key="outbox-8")

    assert str(caught.value) == "SMS text is 481 characters; at most 480 (three segments)"
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "SMS text must not be empty"),
        ("  \n", "SMS text must not be empty"),
        ("Ärende för 19850412-1230", "text contains what looks like a personal identity "
                                     "number (at character 11)"),
        ("Svara till anna@example.se", "text contains what looks like an email address "
                                       "(at character 11)"),
    ],
)
def test_texts_with_personal_data_or_nothing_are_refused(
    server: LocalHTTPServer, text: str, message: str
) -> None:
    server.handler = scripted(Reply(202, {"id": "x"}))
    with sender(server.url) as sms:
        with pytest.raises(ValueError) as caught:
            sms.send(PHONE, text, idempotency_key="outbox-7")

    assert str(caught.value) == message
    assert server.requests == []


@pytest.mark.parametrize("key", ["", "outbox 7", "../7", "-7", "x" * 129])
def test_a_bad_idempotency_key_is_refused(server: LocalHTTPServer, key: str) -> None:
    server.handler = scripted(Reply(202, {"id": "x"}))
    with sender(server.url) as sms:
        with pytest.raises(ValueError):
            sms.send(PHONE, TEXT, idempotency_key=key)
    assert server.requests == []


@pytest.mark.parametrize("name", ["", "Stockholms stad", "Varsel!", "12345"])
def test_a_bad_sender_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError) as caught:
        HttpSmsSender("http://sms.test", "k", name)
    assert str(caught.value) == (
        "SMS sender name must be 1-11 letters, digits or spaces, or an E.164 number"
    )


def test_http_sender_satisfies_the_protocol() -> None:
    with sender("http://127.0.0.1:9", sender_name="+46850825000") as sms:
        assert isinstance(sms, SmsSender)


# ---- recording ------------------------------------------------------------------------------


def test_recording_sender_keeps_one_message_per_key() -> None:
    sms = RecordingSmsSender()

    first = sms.send(PHONE, TEXT, idempotency_key="outbox-7")
    again = sms.send(PHONE, TEXT, idempotency_key="outbox-7")
    other = sms.send("+46709876543", "Ärende VA-2026-000124.", idempotency_key="outbox-8")

    assert (first, again, other) == ("recorded-1", "recorded-1", "recorded-2")
    assert sms.messages == [
        SentSms(PHONE, TEXT, "outbox-7", "recorded-1"),
        SentSms("+46709876543", "Ärende VA-2026-000124.", "outbox-8", "recorded-2"),
    ]
    assert isinstance(sms, SmsSender)
    assert PHONE not in repr(sms.messages[0])


def test_recording_sender_checks_like_the_real_one() -> None:
    sms = RecordingSmsSender()
    with pytest.raises(ValueError) as caught:
        sms.send("0701234567", TEXT, idempotency_key="outbox-7")
    assert str(caught.value) == NUMBER_MESSAGE
    with pytest.raises(ValueError):
        sms.send(PHONE, "pnr 8504121230", idempotency_key="outbox-7")
    assert sms.messages == []


def test_recording_sender_fails_on_demand() -> None:
    sms = RecordingSmsSender()
    sms.fail_with = SmsUnavailable("SMS provider answered 503 after 3 attempts")
    with pytest.raises(SmsUnavailable):
        sms.send(PHONE, TEXT, idempotency_key="outbox-7")
    assert sms.messages == []


# ---- factory --------------------------------------------------------------------------------


def test_factory_gives_the_http_sender_when_a_url_is_configured() -> None:
    sms = sms_sender_from_settings("https://sms.test", "k", "Stockholm")
    assert isinstance(sms, HttpSmsSender)
    assert sms.sender_name == "Stockholm"
    sms.close()


def test_factory_default_sender_name() -> None:
    sms = sms_sender_from_settings("https://sms.test", "k", None)
    assert isinstance(sms, HttpSmsSender) and sms.sender_name == "Varsel"
    sms.close()


def test_factory_records_when_no_provider_is_configured() -> None:
    sms = sms_sender_from_settings(None, None, "Varsel")
    assert isinstance(sms, RecordingSmsSender)
    assert sms.messages == []
