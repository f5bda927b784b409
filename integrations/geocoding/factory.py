"""Pick the geocoder from the settings.

url set   → HttpGeocoder (the protocol in `http.py`)
url unset → NullGeocoder: no look-ups; routing uses the register, the
            notice's coordinates and the postal-code table.
"""

from __future__ import annotations

from integrations.geocoding.http import HttpGeocoder
from integrations.geocoding.null import NullGeocoder
from integrations.geocoding.protocol import Geocoder

__all__ = ["geocoder_from_settings"]


def geocoder_from_settings(
    url: str | None,
    api_key: str | None,
    *,
    timeout: float = 3.0,
    retries: int = 2,
) -> Geocoder:
    if url and url.strip():
        return HttpGeocoder(url.strip(), api_key or None, timeout=timeout, retries=retries)
    return NullGeocoder()
