"""Whose notice is it? The municipality's own postal areas decide (issue #11, item 13).

Göteborg, Uppsala and Kiruna used to get 201 (stored, then manual routing):
only the neighbours' ranges were refused. Now a code outside the municipality's
areas is `outside-municipality` (naming the other municipality where the pack
knows it), and a postal code outside with coordinates inside one of our
districts is `address-conflict`.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from app.notices.schemas import EXAMPLE_NOTICE
from app.routing import service as routing_service
from app.routing.engine import OutsideMunicipality, Router, RoutingData, RoutingDecision, RoutingInput
from app.routing.municipality import PostalAreas, outside_municipality
from app.routing.postal import PostalTable
from app.security import service as accounts
from tests.routing.geodata import BOUNDARIES_FILE, municipality
from tests.support.people import personnummer

NOW = datetime(2026, 11, 20, 8, 14, 3, tzinfo=timezone.utc)
ELSEWHERE = [("411 01", "Göteborg"), ("752 20", "Uppsala"), ("981 38", "Kiruna"), ("130 25", "the archipelago"),
             ("160 00", "no such code")]
SODERMALM = {"lat": 59.3146, "lon": 18.0735}  # Götgatan
SOLNA = {"lat": 59.3620, "lon": 18.0}  # outside every district


# --------------------------------------------------------------------------- the areas file

@pytest.fixture(scope="module")
def areas() -> PostalAreas:
    shipped = PostalAreas.shipped("stockholm")
    assert shipped is not None
    return shipped


@pytest.mark.parametrize("code", ["100 05", "104 20", "111 52", "118 46", "129 99", "161 02", "164 40", "168 67",
                                  "12000", "10000"])
def test_stockholms_own_codes_are_inside(areas, code):
    assert areas.contains(code)


@pytest.mark.parametrize("code", ["411 01", "752 20", "981 38", "130 25", "131 81", "160 99", "169 70", "171 64",
                                  "099 99", "999 99", "bad", ""])
def test_other_codes_are_outside(areas, code):
    assert not areas.contains(code)


def test_the_shipped_pack_agrees_with_itself(areas):
    # Every routed prefix lies in the areas; no neighbour range overlaps them.
    areas.check_against(PostalTable.shipped("stockholm"))


@pytest.mark.parametrize(("text", "message"), [
    ("from,to,note\n", "no ranges"),
    ("from,to,note\n12999,10000,x\n", "runs backwards"),
    ("from,to,note\n10000,12999,a\n12000,13999,b\n", "overlap"),
    ("from,to,note\n100,129,x\n", "bad range"),
    ("start,end\n10000,12999\n", "unknown columns"),
])
def test_a_bad_areas_file_is_refused_with_the_reason(text, message):
    with pytest.raises(ValueError, match=message):
        PostalAreas.from_csv(text)


def test_a_pack_that_contradicts_itself_is_refused():
    table = PostalTable.from_csv("postal_code,district_code,confidence,note\n116,sodermalm,high,x\n",
                                 "from,to,municipality\n12000,12099,Nacka\n")
    with pytest.raises(ValueError) as caught:
        PostalAreas.from_csv("from,to,note\n11700,12999,x\n").check_against(table)
    assert "12000–12099 (Nacka) lies wholly in Nacka but overlaps" in str(caught.value)
    assert "postal code 116 routes to a district but lies outside" in str(caught.value)


def test_outside_names_the_neighbour_or_says_nothing(areas):
    table = PostalTable.shipped("stockholm")
    assert outside_municipality("16970", table, areas) == (True, "Solna")
    assert outside_municipality("41101", table, areas) == (True, None)
    assert outside_municipality("11846", table, areas) == (False, None)
    # Without the areas file only the neighbours' ranges are outside (a pack that has none yet).
    assert outside_municipality("41101", table, None) == (False, None)
    assert outside_municipality("16970", table, None) == (True, "Solna")


# --------------------------------------------------------------------------- the engine

@pytest.fixture(scope="module")
def router(areas) -> Router:
    return Router(RoutingData.build(boundaries=[], boundaries_version="", addresses=[], addresses_version="",
                                    postal_codes=PostalTable.shipped("stockholm"), municipality=municipality(),
                                    areas=areas))


@pytest.mark.parametrize(("postal_code", "_where"), ELSEWHERE)
def test_the_engine_says_not_ours(router, postal_code, _where):
    result = router.route(RoutingInput("Storgatan 1", postal_code, "Någonstans"))
    assert result == OutsideMunicipality(municipality=None, postal_code=postal_code.replace(" ", ""))
    assert result.explain_sv() == (f"Postnumret {postal_code[:3]} {postal_code[-2:]} ligger i en annan kommun. "
                                   "Underrättelsen ska skickas till den kommunen.")


def test_the_engine_still_routes_and_holds_our_own(router, areas):
    routed = router.route(RoutingInput("Götgatan 30", "118 46", "Stockholm"))
    assert isinstance(routed, RoutingDecision) and routed.district_code == "sodermalm"
    assert routed.data_version.endswith(f";areas:{areas.version}")
    box = router.route(RoutingInput("Box 8307", "104 20", "Stockholm"))
    assert isinstance(box, RoutingDecision) and box.method == "manual"  # ours, not routable


# --------------------------------------------------------------------------- the landlord API

def _body(external_id: str, postal_code: str, coordinates: dict | None = None) -> dict:
    notice = copy.deepcopy(EXAMPLE_NOTICE)
    notice["external_id"] = external_id
    notice["property"] = {"street_address": "Storgatan 1", "postal_code": postal_code, "city": "Någonstans",
                          "coordinates": coordinates}
    return notice


@pytest.fixture(autouse=True)
def pinned(app):
    app.state.clock = lambda: NOW


def _notices(db) -> int:
    from app.notices.models import Notice

    with db() as session:
        return session.scalar(select(func.count()).select_from(Notice))


@pytest.mark.parametrize(("postal_code", "_where"), ELSEWHERE)
def test_a_notice_from_another_municipality_is_refused(client, landlord, db, postal_code, _where):
    answer = client.post("/api/v1/notices", json=_body("E-1", postal_code), headers=landlord.headers)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["type"] == "https://varsel.example/problems/outside-municipality"
    assert problem["errors"] == [{"field": "property.postal_code", "message": "lies in another municipality"}]
    assert problem["municipality"] is None
    assert "socialnämnden i den kommun där bostaden ligger" in problem["detail"]
    assert problem["request_id"]
    assert _notices(db) == 0


def test_a_neighbours_code_still_names_the_neighbour(client, landlord, db):
    answer = client.post("/api/v1/notices", json=_body("E-1", "169 70"), headers=landlord.headers)
    problem = answer.json()
    assert (answer.status_code, problem["municipality"]) == (422, "Solna")
    assert problem["errors"] == [{"field": "property.postal_code", "message": "lies in Solna"}]


def test_in_a_batch_it_is_the_items_own_422(client, landlord, db):
    items = [_body("E-1", "118 46"), _body("E-2", "411 01"), _body("E-3", "981 38")]
    results = client.post("/api/v1/notices/batch", json={"notices": items}, headers=landlord.headers).json()["results"]
    assert [r["status"] for r in results] == [201, 422, 422]
    assert {r["problem"]["type"].rsplit("/", 1)[1] for r in results[1:]} == {"outside-municipality"}
    assert _notices(db) == 1


@pytest.fixture
def boundaries(db, client):
    with db() as session:
        routing_service.import_boundaries(session, BOUNDARIES_FILE.read_bytes(), BOUNDARIES_FILE.name, "stockholm")
    client.app.state.routers.invalidate()


@pytest.mark.parametrize(("postal_code", "named"), [("411 01", "another municipality"), ("169 70", "Solna")])
def test_a_postal_code_outside_with_coordinates_inside_is_an_address_conflict(client, landlord, db, boundaries,
                                                                              postal_code, named):
    answer = client.post("/api/v1/notices", json=_body("C-1", postal_code, SODERMALM), headers=landlord.headers)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["type"] == "https://varsel.example/problems/address-conflict"
    assert problem["errors"] == [
        {"field": "property.postal_code", "message": f"lies in {named}"},
        {"field": "property.coordinates", "message": "lie in this municipality (district Södermalm)"},
    ]
    assert "Södermalm" in problem["detail"] and problem["request_id"]
    assert _notices(db) == 0


def test_coordinates_outside_every_district_with_a_foreign_code_are_simply_outside(client, landlord, db, boundaries):
    answer = client.post("/api/v1/notices", json=_body("C-1", "411 01", SOLNA), headers=landlord.headers)
    assert answer.json()["type"].endswith("/outside-municipality")


def test_coordinates_outside_every_district_with_our_code_are_ignored_and_noted(client, landlord, db, boundaries):
    # The published contract: a point outside every district is ignored, and said so in the routing decision.
    answer = client.post("/api/v1/notices", json=_body("C-1", "118 46", SOLNA), headers=landlord.headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["district"] == {"code": "sodermalm", "name": "Södermalm"}
    from app.notices.models import Notice

    with db() as session:
        routing = session.scalar(select(Notice.routing))
    assert "coordinates lie outside every district; ignored" in routing["notes"]


# --------------------------------------------------------------------------- Kronofogden

def _kronofogden(client, db, settings, postal_code: str, coordinates: dict | None = None):
    with db() as session:
        _authority, issued = accounts.create_authority(session, settings, name="Kronofogden")
    prop = {"street_address": "Storgatan 1", "postal_code": postal_code, "city": "Någonstans"}
    if coordinates:
        prop["coordinates"] = coordinates
    return client.post("/api/v1/kronofogden/eviction-notices", headers={"Authorization": f"Bearer {issued.plaintext}"},
                       json={"reference": "KFM-1", "eviction_at": "2027-01-14T09:00:00+01:00",
                             "tenant": {"name": "Anna", "personal_identity_number": personnummer(date(1985, 4, 12))},
                             "property": prop, "landlord": {"name": "HSB", "org_number": "702001-7781"}})


def test_kronofogden_gets_the_same_answer(client, db, settings):
    answer = _kronofogden(client, db, settings, "752 20")
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"].endswith("/outside-municipality")
    assert answer.json()["errors"] == [{"field": "property.postal_code", "message": "lies in another municipality"}]


def test_kronofogden_address_conflict(client, db, settings, boundaries):
    answer = _kronofogden(client, db, settings, "981 38", SODERMALM)
    assert answer.json()["type"].endswith("/address-conflict")
