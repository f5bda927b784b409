"""`app.ids.new_id` is `uuid.uuid4` made faster: the same kind of value in every respect."""

from __future__ import annotations

import copy
import pickle
import uuid

import orjson

from app.ids import new_id


def test_a_new_id_is_a_random_uuid_of_version_4():
    for _ in range(1000):
        made = new_id()
        assert type(made) is uuid.UUID
        assert made.version == 4 and made.variant == uuid.RFC_4122
        assert made.is_safe is uuid.SafeUUID.unknown
        # Its value reads back from each of its forms as the same UUID (the checks __init__ skipped).
        assert uuid.UUID(str(made)) == made == uuid.UUID(bytes=made.bytes) == uuid.UUID(int=made.int, version=4)
        assert hash(made) == hash(uuid.UUID(str(made)))
        assert pickle.loads(pickle.dumps(made)) == made == copy.deepcopy(made)
        assert orjson.dumps(made) == f'"{made}"'.encode()


def test_new_ids_differ_in_all_their_random_bits():
    made = [new_id() for _ in range(2000)]
    assert len(set(made)) == len(made)
    # Every one of the 122 random bits takes both values across 2,000 ids; the 6 fixed ones never vary.
    varying = 0
    for made_id in made:
        varying |= made_id.int ^ made[0].int
    assert bin(varying).count("1") == 122
    assert varying & (0xC000 << 48 | 0xF000 << 64) == 0


def test_its_fixed_bits_are_uuid4s():
    fixed = 0xC000 << 48 | 0xF000 << 64
    assert new_id().int & fixed == uuid.uuid4().int & fixed
