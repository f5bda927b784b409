"""Where a batch is cut into parts (`bulk_write.cuts`): sizes, and never through a person.

On PostgreSQL each part is written while the next is planned (`bulk_write.Writer`); a part's rows
are final once sent, so a person's notices stay in one part (a later one joins the case an
earlier one opened). The rows themselves are compared with the one-notice path's in
`test_bulk_equivalence.py`, in parts of one notice too.
"""

from __future__ import annotations

from app.notices import bulk_write


def _sizes(item_pins: list[tuple[int, set[str]]]) -> list[int]:
    cuts = sorted(bulk_write.cuts(item_pins))
    ends = [*cuts, len(item_pins)]
    return [end - start for start, end in zip([0, *cuts], ends, strict=True)]


def test_the_first_and_last_parts_are_half_as_long():
    assert bulk_write.PART_SIZE == 100
    assert _sizes([(i, set()) for i in range(500)]) == [50, 100, 100, 100, 100, 50]
    assert _sizes([(i, set()) for i in range(450)]) == [50, 100, 100, 100, 100]
    assert _sizes([(i, set()) for i in range(80)]) == [80]  # one part: nothing to overlap


def test_a_person_is_never_cut_apart():
    items = [(i, set()) for i in range(500)]
    items[40] = (40, {"anna"})
    items[120] = (120, {"anna"})  # Anna's notices span the first cut (at 50)
    items[140] = (140, {"bo", "anna"})  # and Bo shares the second notice's household with her
    items[260] = (260, {"bo"})
    cuts = bulk_write.cuts(items)
    assert min(cuts) == 261  # the first cut after both of them, not at 50, 150 or 250
    for person in ("anna", "bo"):
        positions = [i for i, pins in items if person in pins]
        assert not [c for c in cuts if positions[0] < c <= positions[-1]], person


def test_cuts_name_the_items_own_indexes():
    # A batch's items keep their indexes when invalid ones (422 before the writer) are left out.
    items = [(i, set()) for i in range(0, 1000, 2)]  # every other index
    cuts = bulk_write.cuts(items)
    assert min(cuts) == 100 and all(c % 2 == 0 for c in cuts)
