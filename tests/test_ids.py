"""`app.ids.new_id`: a version 7 UUID (RFC 9562), time-ordered, made without `UUID.__init__`."""

from __future__ import annotations

import copy
import pickle
import time
import uuid

import orjson

from app.ids import new_id

FIXED = 0xF << 76 | 0x3 << 62  # the version's and the variant's bits


def test_a_new_id_is_a_uuid_of_version_7_that_reads_back_as_itself():
    for _ in range(1000):
        made = new_id()
        assert type(made) is uuid.UUID
        assert made.version == 7 and made.variant == uuid.RFC_4122
        assert made.is_safe is uuid.SafeUUID.unknown
        # Its value reads back from each of its forms as the same UUID (the checks __init__ skipped).
        assert uuid.UUID(str(made)) == made == uuid.UUID(bytes=made.bytes) == uuid.UUID(int=made.int)
        assert hash(made) == hash(uuid.UUID(str(made)))
        assert pickle.loads(pickle.dumps(made)) == made == copy.deepcopy(made)
        assert orjson.dumps(made) == f'"{made}"'.encode()


def test_it_begins_with_the_unix_time_in_milliseconds():
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= made.int >> 80 <= after


def test_ids_made_in_a_later_millisecond_sort_after_earlier_ones_as_uuids_and_as_text():
    earlier = [new_id() for _ in range(50)]
    moment = time.time_ns()
    while time.time_ns() // 1_000_000 == moment // 1_000_000:
        time.sleep(0.0002)
    later = [new_id() for _ in range(50)]
    assert max(earlier) < min(later)
    # As SQLite stores them (hex text) and as PostgreSQL's uuid type compares them (bytes).
    assert max(e.hex for e in earlier) < min(x.hex for x in later)
    assert max(e.bytes for e in earlier) < min(x.bytes for x in later)


def test_new_ids_differ_in_all_their_random_bits():
    made = [new_id() for _ in range(2000)]
    assert len(set(made)) == len(made)
    # Every one of the 74 random bits takes both values across 2,000 ids; the 6 fixed ones never vary.
    varying = 0
    for made_id in made:
        varying |= (made_id.int ^ made[0].int) & ((1 << 80) - 1)
    assert bin(varying).count("1") == 74
    assert varying & FIXED == 0


def test_its_fixed_bits_are_those_of_version_7_and_rfc_4122s_variant():
    assert new_id().int & FIXED == 0x7 << 76 | 0x2 << 62
