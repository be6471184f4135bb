"""Principals given by object id are looked up in a few batches at once: every id once, in
order, never more than `LOOKUPS_AT_ONCE` invokes, and no batch smaller than it needs to be."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rules.lookups import IDS_PER_LOOKUP_AT_LEAST, LOOKUPS_AT_ONCE, lookup_batches


@given(st.lists(st.integers(), max_size=3_000))
def test_the_batches_hold_every_id_once_in_order_and_are_never_more_than_the_limit(ids):
    batches = lookup_batches(ids)

    assert [i for batch in batches for i in batch] == ids
    assert len(batches) <= LOOKUPS_AT_ONCE
    assert all(batches)


@given(st.lists(st.integers(), min_size=1, max_size=3_000))
def test_no_batch_is_smaller_than_the_least_unless_all_ids_fit_in_one(ids):
    batches = lookup_batches(ids)
    sizes = [len(batch) for batch in batches]

    assert max(sizes) - min(sizes) <= 1
    assert len(batches) == 1 or min(sizes) >= IDS_PER_LOOKUP_AT_LEAST
    if len(ids) >= LOOKUPS_AT_ONCE * IDS_PER_LOOKUP_AT_LEAST:
        assert len(batches) == LOOKUPS_AT_ONCE  # every reader busy once there is enough


def test_sizes_at_the_scales_the_benchmark_runs():
    assert lookup_batches([]) == []
    assert [len(b) for b in lookup_batches(range(10))] == [10]
    assert [len(b) for b in lookup_batches(range(100))] == [25] * 4
    assert [len(b) for b in lookup_batches(range(1_000))] == [125] * 8
    assert [len(b) for b in lookup_batches(range(5_001))] == [626] + [625] * 7
