"""What the routing engine answers: a decision that explains itself, or "another municipality".

Every decision stores how it was made (method, confidence, inputs, data
version, notes) so staff can see why a notice is theirs (design rule 5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.routing.postal import format_postal_code
from app.vocabulary import RoutingMethod, codes

METHODS = codes(RoutingMethod)
CONFIDENCES = ("certain", "high", "medium", "none")

# Why a decision went to manual routing (used for the Swedish explanation).
REASON_REGISTER_CONFLICT = "register_conflict"
REASON_COORDINATES_CONFLICT = "coordinates_conflict"
REASON_POSTAL_CONFLICT = "postal_conflict"
REASON_POSTAL_AMBIGUOUS = "postal_ambiguous"
REASON_POSTAL_UNKNOWN = "postal_unknown"
REASON_POSTAL_INVALID = "postal_invalid"


@dataclass(frozen=True)
class RoutingDecision:
    district_code: str | None
    method: str  # 'address_register' | 'boundaries' | 'geocoder' | 'postal_code' | 'manual'
    confidence: str  # 'certain' | 'high' | 'medium' | 'none'
    inputs: dict[str, Any]  # the normalised inputs used
    data_version: str  # register, boundaries and postal-table versions combined
    notes: list[str] = field(default_factory=list)  # English, short, explainable
    district_name: str | None = None
    reason: str | None = None  # why a decision is manual (REASON_*), else None

    @property
    def routed(self) -> bool:
        return self.district_code is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "district_code": self.district_code,
            "district_name": self.district_name,
            "method": self.method,
            "confidence": self.confidence,
            "inputs": dict(self.inputs),
            "data_version": self.data_version,
            "notes": list(self.notes),
            "reason": self.reason,
        }

    def explain_sv(self) -> str:
        """One line in Swedish for staff: how the notice was routed."""
        name = self.district_name or self.district_code
        postal = self.inputs.get("postal_code") or ""
        shown_postal = format_postal_code(postal) if postal else ""
        if self.method == "address_register":
            return f"Adressen finns i stadens adressregister: {name}."
        if self.method == "boundaries":
            return f"Koordinaterna i underrättelsen ligger i stadsdelsområdet {name}."
        if self.method == "geocoder":
            return (
                f"Adressen har slagits upp i en adresstjänst och ligger i stadsdelsområdet {name}."
            )
        if self.method == "postal_code":
            return (
                f"Postnumret {shown_postal} hör till stadsdelsområdet {name} "
                "(fördelat efter postnummer, inte exakt adress)."
            )
        manual = "Underrättelsen fördelas manuellt."
        if self.reason == REASON_REGISTER_CONFLICT:
            return (
                "Adressen finns i stadens adressregister, men koordinaterna ligger i ett annat "
                f"stadsdelsområde. {manual}"
            )
        if self.reason == REASON_COORDINATES_CONFLICT:
            return f"Koordinaterna i underrättelsen och adressuppslaget pekar på olika stadsdelsområden. {manual}"
        if self.reason == REASON_POSTAL_CONFLICT:
            return f"Koordinaterna och postnumret pekar på olika stadsdelsområden. {manual}"
        if self.reason == REASON_POSTAL_AMBIGUOUS:
            return (
                f"Postnumret {shown_postal} räcker inte för att avgöra stadsdelsområdet. {manual}"
            )
        if self.reason == REASON_POSTAL_INVALID:
            return f"Postnumret saknas eller är felaktigt. {manual}"
        return f"Adressen kunde inte kopplas till något stadsdelsområde. {manual}"


@dataclass(frozen=True)
class OutsideMunicipality:
    """The postal code lies wholly outside the municipality: the notice is not ours."""

    municipality: str | None  # e.g. 'Solna'; None when the data pack does not name it
    postal_code: str  # five digits

    def as_dict(self) -> dict[str, Any]:
        return {"outside_municipality": self.municipality, "postal_code": self.postal_code}

    def explain_sv(self) -> str:
        where = f"en annan kommun: {self.municipality}" if self.municipality else "en annan kommun"
        return (
            f"Postnumret {format_postal_code(self.postal_code)} ligger i {where}. "
            "Underrättelsen ska skickas till den kommunen."
        )


@dataclass(frozen=True)
class RoutingInput:
    street_address: str
    postal_code: str  # 'NNN NN' or 'NNNNN'
    city: str  # postort
    apartment_number: str | None = None
    lat: float | None = None
    lon: float | None = None
