"""Pick the geocoder from the settings.

url unset                      → no geocoder: routing uses the register, the
                                 notice's coordinates and the postal-code table
url set, protocol "varsel"     → HttpGeocoder (Varsel's own protocol, `http.py`;
                                 the default, for an adapter in front of any provider)
url set, protocol "nominatim"  → NominatimGeocoder (Nominatim's search API,
                                 `nominatim.py`; a city can run it on OpenStreetMap data)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Protocol

from integrations.geocoding.http import HttpGeocoder
from integrations.geocoding.nominatim import NominatimGeocoder
from integrations.geocoding.null import NullGeocoder
from integrations.geocoding.protocol import Geocoder

__all__ = ["PROTOCOLS", "GeocoderSettings", "default_user_agent", "geocoder_for", "geocoder_from_settings"]

PROTOCOLS = ("varsel", "nominatim")


class GeocoderSettings(Protocol):
    """The settings the geocoder needs (``app.config.Settings`` has them)."""

    geocoder_url: str | None
    geocoder_api_key: str | None
    geocoder_protocol: str
    geocoder_user_agent: str | None
    geocoder_email: str | None
    public_base_url: str


def default_user_agent(public_base_url: str | None = None) -> str:
    """"Varsel/<version> (+<where it runs>)": who is asking, as Nominatim's usage policy wants to know."""
    try:
        release = version("varsel")
    except PackageNotFoundError:  # running from a source tree that was never installed
        release = "dev"
    return f"Varsel/{release} (+{public_base_url})" if public_base_url else f"Varsel/{release}"


def geocoder_from_settings(
    url: str | None,
    api_key: str | None,
    *,
    protocol: str = "varsel",
    user_agent: str | None = None,
    email: str | None = None,
    timeout: float = 3.0,
    retries: int = 2,
) -> Geocoder:
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown geocoder protocol {protocol!r}; one of {', '.join(PROTOCOLS)}")
    if not (url and url.strip()):
        return NullGeocoder()
    if protocol == "nominatim":
        return NominatimGeocoder(url.strip(), user_agent=user_agent or default_user_agent(),
                                 email=email, api_key=api_key or None, timeout=timeout, retries=retries)
    return HttpGeocoder(url.strip(), api_key or None, timeout=timeout, retries=retries)


def geocoder_for(settings: GeocoderSettings) -> Geocoder | None:
    """The configured geocoder, or None when none is configured (no look-ups are made)."""
    if not (settings.geocoder_url and settings.geocoder_url.strip()):
        return None
    return geocoder_from_settings(
        settings.geocoder_url, settings.geocoder_api_key, protocol=settings.geocoder_protocol,
        user_agent=settings.geocoder_user_agent or default_user_agent(settings.public_base_url),
        email=settings.geocoder_email,
    )
