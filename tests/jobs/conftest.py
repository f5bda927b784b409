from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from app.notices.schemas import EXAMPLE_NOTICE
from tests.support.smtp import SmtpServer


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(settings, smtp):
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                                       "smtp_from": "varsel@stad.example"})


def notice(external_id: str, **overrides):
    body = copy.deepcopy(EXAMPLE_NOTICE)
    body["external_id"] = external_id
    body["property"]["coordinates"] = None
    body["household"] = None
    body.update(overrides)
    return body


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
