"""Per-scope checksums: the known vector, O(1) upkeep, and the modulo-2**64 wrap."""

import hashlib
import uuid

from hypothesis import given
from hypothesis import strategies as st

from sync_protocol.checksum import (
    MOD,
    ScopeChecksum,
    compute_checksum,
    format_checksum,
    from_signed64,
    parse_checksum,
    record_hash,
    to_signed64,
)
from sync_protocol.messages import ScopeSummary


def _independent_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def test_record_hash_matches_the_definition():
    record_id = "0b3d4c1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e"
    expected = _independent_hash(f"client:{record_id}:1204")
    assert record_hash("client", record_id, 1204) == expected
    assert record_hash("client", uuid.UUID(record_id), 1204) == expected


def test_record_hash_known_vector():
    # sha256(b"code_list:contact.channel:7") computed independently.
    digest = hashlib.sha256(b"code_list:contact.channel:7").hexdigest()
    assert format_checksum(record_hash("code_list", "contact.channel", 7)) == digest[:16]


def test_record_hash_is_utf8():
    assert record_hash("unit", "Pyhäjoki", 3) == _independent_hash("unit:Pyhäjoki:3")


def test_scope_checksum_of_two_records():
    records = [("client", "a", 1), ("attendance", "b", 2)]
    expected = (_independent_hash("client:a:1") + _independent_hash("attendance:b:2")) % MOD
    checksum = compute_checksum(records)
    assert checksum == ScopeChecksum(count=2, sum=expected)
    assert checksum.hex == f"{expected:016x}"
    assert checksum.summary() == ScopeSummary(checksum=f"{expected:016x}", count=2)


def test_format_is_16_lowercase_hex_digits():
    assert format_checksum(0) == "0000000000000000"
    assert format_checksum(0xABC) == "0000000000000abc"
    assert format_checksum(MOD - 1) == "ffffffffffffffff"
    assert format_checksum(MOD + 5) == "0000000000000005"
    assert parse_checksum("ffffffffffffffff") == MOD - 1


def test_add_then_remove_round_trips():
    start = ScopeChecksum(count=3, sum=12345)
    assert start.add("client", "x", 9).remove("client", "x", 9) == start


def test_sum_wraps_modulo_2_64():
    near_top = ScopeChecksum(count=1, sum=MOD - 1)
    h = record_hash("client", "x", 1)
    added = near_top.add("client", "x", 1)
    assert added.sum == (MOD - 1 + h) % MOD
    assert 0 <= added.sum < MOD
    # Removing from zero wraps below zero back into range.
    removed = ScopeChecksum().remove("client", "x", 1)
    assert removed.sum == MOD - h
    assert removed.add("client", "x", 1) == ScopeChecksum(count=0, sum=0)


def test_replace_equals_remove_then_add():
    start = compute_checksum([("client", "x", 1), ("client", "y", 4)])
    assert start.replace("client", "x", 1, 8) == start.remove("client", "x", 1).add("client", "x", 8)
    assert start.replace("client", "x", 1, 8) == compute_checksum([("client", "x", 8), ("client", "y", 4)])


def test_signed_storage_round_trip():
    for value in (0, 1, (1 << 63) - 1, 1 << 63, MOD - 1):
        signed = to_signed64(value)
        assert -(1 << 63) <= signed < (1 << 63)
        assert from_signed64(signed) == value
    checksum = ScopeChecksum(count=2, sum=MOD - 2)
    assert ScopeChecksum.from_signed(2, checksum.signed_sum) == checksum


records_strategy = st.lists(
    st.tuples(st.sampled_from(["client", "unit", "attendance"]), st.text(max_size=8), st.integers(1, 10**9)),
    max_size=30,
    unique=True,
)


@given(records_strategy, st.randoms(use_true_random=False))
def test_incremental_upkeep_equals_recomputation(records, rnd):
    shuffled = list(records)
    rnd.shuffle(shuffled)
    running = ScopeChecksum()
    for record in shuffled:
        running = running.add(*record)
    assert running == compute_checksum(records)
    removed = shuffled[: len(shuffled) // 2]
    for record in removed:
        running = running.remove(*record)
    assert running == compute_checksum(shuffled[len(shuffled) // 2 :])
