"""The geocoder used when none is configured: it makes no call and finds nothing.

Notices are then routed by the address register, the notice's own coordinates
and the postal-code table; what remains goes to manual routing.
"""

from __future__ import annotations

from integrations.geocoding.protocol import GeocodeResult

__all__ = ["NullGeocoder"]


class NullGeocoder:
    source = "geocoder:none"

    def locate(self, street_address: str, postal_code: str, city: str) -> GeocodeResult | None:
        return None
