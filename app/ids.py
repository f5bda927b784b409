"""New row ids: time-ordered UUIDs (version 7, RFC 9562), made without `uuid.UUID.__init__`.

Why time-ordered: a notice writes some 20 rows, and every one of them adds its id to a primary-key
index and, mostly, to an index of the row it refers to (a timer's deadline, a deadline's case).
With random (version 4) ids each entry lands on a random page of an index, so PostgreSQL's
B-trees are walked from the root each time and touch pages all over memory; with ids that begin
with the time they were made, new entries go to the index's right-hand end, where PostgreSQL
inserts without a descent and the pages stay in the processor's caches. Measured on batches of
500 in process, nine pairs of runs alternating with random ids: PostgreSQL's CPU per batch 17 %
lower on average (4–25 %), the batch's wall time 10 % (docs/performance.md, the ninth pass). At national
scale, where indexes outgrow memory, random ids also cost a disk read and a full-page image in
the WAL per entry; time-ordered ones do not.

What an id gives away: the moment (to the millisecond) its row was made — never more than the
row itself shows (a notice's `received_at`, a case's `opened_at`). No id in Varsel is a secret:
sessions and API keys are found by random secrets of their own, a portal upload only within the
session that made it, and every read is checked against the reader's scope. The 74 random bits
keep ids unique and unguessable.

A batch of 500 notices makes some 7,500 ids (15 a notice); `uuid.UUID(int=…)` spends most of its
time in checks of arguments it was not given, so `new_id` stores the integer in the UUID's own
slots (`int`, `is_safe`) directly. `tests/test_ids.py` holds the result to what `uuid.UUID` itself
reads back, so a Python whose UUID keeps its value otherwise fails there, not in production.
"""

from __future__ import annotations

import os
import time
import uuid

_new = object.__new__
_set = object.__setattr__  # UUID forbids attribute assignment; its own __init__ sets its slots so
_UUID = uuid.UUID
_UNKNOWN = uuid.SafeUUID.unknown
# The low 80 bits: 80 random ones with the version's four (76–79) and the variant's two (62–63) cleared …
_RANDOM = ((1 << 80) - 1) & ~(0xF << 76 | 0x3 << 62)
# … and set: version 7, variant RFC 4122 (binary 10).
_VERSION_7 = 0x7 << 76 | 0x2 << 62


def new_id() -> uuid.UUID:
    """A version 7 UUID: the Unix time in milliseconds (48 bits), the version, 74 random bits, the variant."""
    value = _new(_UUID)
    _set(value, "int", time.time_ns() // 1_000_000 << 80 | int.from_bytes(os.urandom(10)) & _RANDOM | _VERSION_7)
    _set(value, "is_safe", _UNKNOWN)
    return value
