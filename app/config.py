"""Settings, read from the environment with the prefix ``VARSEL_``.

Every setting is documented in the README. Tests override them by building a
``Settings`` object themselves and handing it to ``create_app`` (or by
setting environment variables and clearing ``get_settings``' cache).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.security.crypto import DataKey

# Demo defaults make `varsel demo` work from a clean clone. Production refuses
# them (see `check_production`), so they can never protect real data.
DEMO_SECRET_KEY = "demo-secret-key-not-for-production-use-000000000"
DEMO_DATA_KEY = "ZGVtby1kYXRhLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24="  # base64 of 32 demo bytes


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VARSEL_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./varsel.db"
    municipality: str = "stockholm"
    public_base_url: str = "http://127.0.0.1:8000"

    secret_key: str = DEMO_SECRET_KEY
    data_key: str = DEMO_DATA_KEY
    # The earlier data keys, newest first, comma-separated: read alongside VARSEL_DATA_KEY while
    # `varsel keys rotate-data-key` moves the stored data to it, and afterwards for the retry
    # fingerprints that cannot be recomputed (app/security/crypto.py).
    data_key_previous: str | None = None

    scheduler_enabled: bool = True
    district_boundaries: Path | None = None
    address_register: Path | None = None

    log_level: str = "INFO"
    log_json: bool | None = None  # None: JSON in production, readable in development

    # Staff tokens and web sessions (server-side rows, see app/security/sessions.py)
    token_ttl_seconds: int = 3600
    session_ttl_seconds: int = Field(default=8 * 3600, ge=60)
    # Long enough to write a contact note without losing it, short enough for an unlocked desk.
    session_idle_seconds: int = Field(default=3600, ge=60)
    cookie_secure: bool | None = None  # None: secure cookies in production only

    # Sign-in throttling: growing delays, never a lockout (see app/security/throttle.py).
    # Failures per username, and per source address, before each further attempt waits
    # 1 s, 2 s, 4 s … up to login_max_delay_seconds; failures count within a window from the first.
    login_max_failures: int = Field(default=3, ge=1)
    login_ip_max_failures: int = Field(default=20, ge=1)
    login_max_delay_seconds: int = Field(default=60, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    # The old name: its window of counted failures is what it still sets (there is no lockout any more).
    login_lockout_seconds: int | None = Field(default=None, ge=1)

    # Landlord and authority API keys: per-key token bucket
    rate_limit_per_second: float = 25.0
    rate_limit_burst: int = 50

    # Outgoing email
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "varsel@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = 10.0

    # SMS provider (JSON over HTTP, see notifications/sms.py)
    sms_url: str | None = None
    sms_api_key: str | None = None
    sms_sender: str = "Varsel"

    # Population register (see integrations/population_register/)
    population_register_url: str | None = None
    population_register_api_key: str | None = None
    population_register_file: Path | None = None

    # Geocoder (see integrations/geocoding/): Varsel's own protocol, or Nominatim's search API
    geocoder_url: str | None = None
    geocoder_api_key: str | None = None
    geocoder_protocol: Literal["varsel", "nominatim"] = "varsel"
    geocoder_user_agent: str | None = None  # None: "Varsel/<version> (+public_base_url)"
    geocoder_email: str | None = None  # sent to Nominatim, as its usage policy asks of heavy users

    # Kronofogden (see integrations/kronofogden/)
    kronofogden_url: str | None = None
    kronofogden_api_key: str | None = None

    # Where generated letters (PDF) and reports are stored
    storage_dir: Path = Path("./varsel-files")

    # Sign-in through the city's identity provider (OIDC); local users otherwise
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_username_claim: str = "preferred_username"

    # When set, GET /metrics asks for `Authorization: Bearer <token>` (the scraper's secret)
    metrics_token: str | None = None

    # The reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: comma-separated
    # addresses or networks ("10.0.0.0/8"), "*" for any, empty for none. The audit log and the sign-in
    # throttle record the client's address; behind a proxy that is not trusted here, they would record
    # the proxy's, and every user would share one throttle. The default is uvicorn's own.
    forwarded_allow_ips: str = "127.0.0.1"

    # Retention (gallring), see domain/law-and-deadlines.md
    retention_no_measure_days: int = Field(default=365, ge=1)
    retention_closed_days: int = Field(default=5 * 365, ge=1)
    retention_unrouted_days: int = Field(default=365, ge=1)

    @field_validator("database_url")
    @classmethod
    def _sqlalchemy_driver(cls, value: str) -> str:
        # Operators paste URLs from their hosting panel; give them the psycopg 3 driver.
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @model_validator(mode="after")
    def _old_login_setting(self) -> Settings:
        if self.login_lockout_seconds is not None and "login_window_seconds" not in self.model_fields_set:
            self.login_window_seconds = self.login_lockout_seconds
        return self

    @model_validator(mode="after")
    def _data_key_ring(self) -> Settings:
        # Every reader of the data key (decrypting, comparing fingerprints) then tries the earlier keys too.
        previous = [key.strip() for key in (self.data_key_previous or "").split(",") if key.strip()]
        self.data_key = DataKey(self.data_key, previous)
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def json_logs(self) -> bool:
        return self.env == "production" if self.log_json is None else self.log_json

    @property
    def secure_cookies(self) -> bool:
        return self.env == "production" if self.cookie_secure is None else self.cookie_secure

    def production_problems(self) -> list[str]:
        """What stops this configuration from running in production, in words an operator can act on."""
        problems: list[str] = []
        if self.env != "production":
            return problems
        if self.secret_key == DEMO_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("VARSEL_SECRET_KEY is the demo default or shorter than 32 characters; "
                            "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
        if self.data_key == DEMO_DATA_KEY:
            problems.append("VARSEL_DATA_KEY is the demo default; generate one with "
                            "`python -c 'import os, base64; print(base64.b64encode(os.urandom(32)).decode())'`")
        if self.is_sqlite:
            problems.append("VARSEL_DATABASE_URL points at SQLite; production runs on PostgreSQL "
                            "(postgresql+psycopg://user:password@host/dbname)")
        return problems


class ConfigurationError(RuntimeError):
    pass


def check_production(settings: Settings) -> None:
    problems = settings.production_problems()
    if problems:
        raise ConfigurationError(
            "Varsel refuses to start in production mode:\n- " + "\n- ".join(problems)
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
