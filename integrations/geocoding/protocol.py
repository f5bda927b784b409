"""Address search (geocoding) as Varsel needs it: an address → a point to route by.

Varsel asks one question: where is this street address? Any implementation —
the client of Varsel's own protocol in `http.py`, the Nominatim client in
`nominatim.py`, `NullGeocoder` when none is configured, or another provider's
client — satisfies `Geocoder` (`factory.py` picks one from the settings).

Only results of quality ``address`` (the point of that very address) may be
used for routing: a ``street`` result is somewhere on the street and a
``postal_code`` result is the middle of the postal-code area, and both can lie
in another district than the address. `GeocodeResult.routable` says which is
which; the routing engine is given only routable points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from integrations.errors import IntegrationUnavailable

__all__ = ["QUALITIES", "GeocodeResult", "Geocoder", "GeocoderUnavailable"]

QUALITIES = ("address", "street", "postal_code")


class GeocoderUnavailable(IntegrationUnavailable):
    """The geocoder gave no usable answer now (network, timeout, 5xx, bad body); try again later."""


@dataclass(frozen=True)
class GeocodeResult:
    lat: float  # WGS84
    lon: float  # WGS84
    quality: str  # 'address' | 'street' | 'postal_code'

    @property
    def routable(self) -> bool:
        """Whether the point may be used for routing: only an exact address hit."""
        return self.quality == "address"


@runtime_checkable
class Geocoder(Protocol):
    def locate(self, street_address: str, postal_code: str, city: str) -> GeocodeResult | None:
        """The best point for the address, or None when the address is not found.

        Raises GeocoderUnavailable when no answer can be had now.
        """
        ...
