from __future__ import annotations

import pytest

from app.config import DEMO_DATA_KEY, DEMO_SECRET_KEY, ConfigurationError, Settings, check_production
from app.main import create_app

GOOD_SECRET = "x" * 48
GOOD_DATA_KEY = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("VARSEL_DATABASE_URL", "postgres://u:p@db/varsel")
    monkeypatch.setenv("VARSEL_SCHEDULER_ENABLED", "false")
    monkeypatch.setenv("VARSEL_SMTP_PORT", "2525")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u:p@db/varsel"
    assert settings.scheduler_enabled is False
    assert settings.smtp_port == 2525


def test_defaults_are_a_working_development_setup():
    settings = Settings(_env_file=None)
    assert settings.env == "development"
    assert settings.is_sqlite
    assert settings.production_problems() == []
    assert settings.json_logs is False


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"secret_key": DEMO_SECRET_KEY}, "VARSEL_SECRET_KEY"),
        ({"secret_key": "short"}, "VARSEL_SECRET_KEY"),
        ({"data_key": DEMO_DATA_KEY}, "VARSEL_DATA_KEY"),
        ({"database_url": "sqlite:///./prod.db"}, "VARSEL_DATABASE_URL"),
    ],
)
def test_production_refuses_demo_secrets_and_sqlite(overrides, fragment):
    values = {"env": "production", "secret_key": GOOD_SECRET, "data_key": GOOD_DATA_KEY,
              "database_url": "postgresql+psycopg://u@h/db"} | overrides
    settings = Settings(**values)
    with pytest.raises(ConfigurationError, match=fragment):
        check_production(settings)
    with pytest.raises(ConfigurationError):
        create_app(settings)


def test_production_with_real_secrets_is_accepted():
    settings = Settings(env="production", secret_key=GOOD_SECRET, data_key=GOOD_DATA_KEY,
                        database_url="postgresql+psycopg://u@h/db")
    check_production(settings)
    assert settings.json_logs is True
    assert settings.secure_cookies is True
