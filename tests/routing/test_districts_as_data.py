"""A reorganisation is a data change: edit the pack, seed again."""

from __future__ import annotations

import copy
from datetime import date

from app.routing.districts import current_districts, district_by_code, load_municipality, seed_districts


def test_a_reorganisation_is_an_edit_of_the_data_pack(db):
    pack = copy.deepcopy(load_municipality("stockholm"))
    # Farsta and Skarpnäck merge into "Söderort öst" from 2027-01-01.
    for district in pack["districts"]:
        if district["code"] in ("farsta", "skarpnack"):
            district["valid_to"] = "2026-12-31"
    pack["districts"].append({"code": "soderort-ost", "name": "Söderort öst", "valid_from": "2027-01-01",
                              "formerly": ["farsta", "skarpnack"]})
    pack["former_areas"] += [
        {"code": "farsta-2026", "name": "Farsta", "valid_until": "2026-12-31", "now": "soderort-ost"},
    ]
    with db() as session:
        added = seed_districts(session, pack)
        assert added == 2
        before = [d.code for d in current_districts(session, date(2026, 12, 31))]
        after = [d.code for d in current_districts(session, date(2027, 1, 1))]
        assert "farsta" in before and "soderort-ost" not in before
        assert "farsta" not in after and "skarpnack" not in after and "soderort-ost" in after
        assert len(after) == 10
        assert district_by_code(session, "farsta-2026").code == "soderort-ost"
    with db() as session:  # seeding the original pack again restores it: the pack is the truth
        seed_districts(session, load_municipality("stockholm"))
        assert len(current_districts(session, date(2027, 1, 1))) == 12  # soderort-ost stays, from 2027
