"""Geocoding the notices no local method could route — after commit, as a job.

The geocoder is an outside system, so it never sits in the intake transaction:
the `geocode-unrouted` job reads the unrouted notices, asks the geocoder with no
transaction open, and routes by polygon when it finds the address exactly. The
decision records that the point came from the geocoder (method `geocoder`).
Each notice is asked once (`routing["geocoded"]` records the outcome); what
stays unrouted waits for the intake role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.cases import service
from app.db import transaction
from app.jobs.base import JobContext
from app.notices.models import Notice
from app.routing.districts import district_by_code
from app.routing.engine import OutsideMunicipality
from app.routing.service import RouterProvider, route
from integrations.geocoding.factory import geocoder_for
from integrations.geocoding.protocol import Geocoder, GeocoderUnavailable

log = structlog.get_logger("varsel.geocoding")


@dataclass
class GeocodeResult:
    routed: int = 0
    still_unrouted: int = 0
    unavailable: int = 0

    def __str__(self) -> str:
        return f"{self.routed} routed by geocoding, {self.still_unrouted} left for intake, {self.unavailable} to retry"

    @property
    def idle(self) -> bool:
        return not (self.routed or self.still_unrouted or self.unavailable)


def geocode_unrouted(sessions: sessionmaker[Session], geocoder: Geocoder | None, routers: RouterProvider, *,
                     now: datetime, batch: int = 50) -> GeocodeResult:
    result = GeocodeResult()
    if geocoder is None:
        return result
    with transaction(sessions) as session:
        pending = [
            (n.id, n.street_address, n.postal_code, n.city)
            # Test notices (a landlord's test key) are not sent to the outside geocoder.
            for n in session.scalars(select(Notice).where(Notice.district_id.is_(None), Notice.purged_at.is_(None),
                                                          Notice.test.is_(False))
                                     .order_by(Notice.received_at).limit(batch * 4))
            if "geocoded" not in (n.routing or {}) and n.street_address
        ][:batch]
    for notice_id, street, postal, city in pending:
        try:
            found = geocoder.locate(street or "", postal, city or "")
        except GeocoderUnavailable:
            result.unavailable += 1
            continue
        with transaction(sessions) as session:
            notice = session.get(Notice, notice_id)
            if notice is None or notice.district_id is not None:
                continue
            point = (found.lat, found.lon) if found is not None and found.routable else None
            decision = None
            if point is not None:
                decision = route(routers.get(session), street_address=notice.street_address or "",
                                 postal_code=notice.postal_code, city=notice.city or "",
                                 apartment_number=notice.apartment_number, lat=notice.lat, lon=notice.lon,
                                 geocoded=point)
            routed = decision is not None and not isinstance(decision, OutsideMunicipality) and decision.routed
            notice.routing = {**(notice.routing or {}), "geocoded": {
                "at": now.isoformat(), "found": found is not None, "quality": found.quality if found else None,
                "routed": routed}}
            if not routed:
                result.still_unrouted += 1
                continue
            district = district_by_code(session, decision.district_code)
            routing = {**notice.routing, **{k: v for k, v in decision.as_dict().items() if k != "inputs"},
                       "inputs": decision.inputs}
            service.route_by_geocoder(session, notice, district, routing, now)
            result.routed += 1
    return result


def run(context: JobContext) -> GeocodeResult:
    """The `geocode-unrouted` job (no call at all without VARSEL_GEOCODER_URL)."""
    settings = context.settings
    return geocode_unrouted(context.sessions, geocoder_for(settings), RouterProvider(settings.municipality),
                            now=context.now())
