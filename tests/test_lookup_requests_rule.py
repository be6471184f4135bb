"""Principals given by object id are looked up a few ids per Graph request: every id once, in
order, never more per request than Graph's `in` operator takes, and a filter Graph parses."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.lookups import IDS_PER_REQUEST, id_in_filter, lookup_requests


@given(st.lists(st.integers(), max_size=3_000))
def test_the_requests_hold_every_id_once_in_order_and_none_more_than_the_limit(ids):
    requests = lookup_requests(ids)

    assert [i for request in requests for i in request] == ids
    assert all(0 < len(request) <= IDS_PER_REQUEST for request in requests)
    assert len(requests) == -(-len(ids) // IDS_PER_REQUEST)  # as few as the limit allows


def test_sizes_at_the_scales_the_benchmark_runs():
    assert lookup_requests([]) == []
    assert [len(r) for r in lookup_requests(range(10))] == [10]
    assert [len(r) for r in lookup_requests(range(100))] == [15] * 6 + [10]
    assert len(lookup_requests(range(1_000))) == 67
    assert len(lookup_requests(range(5_000))) == 334


LITERAL = r"'(?:[^']|'')*'"


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=IDS_PER_REQUEST))
def test_the_filter_is_one_in_clause_whose_literals_read_back_as_the_ids(ids):
    clause = id_in_filter(ids)

    found = re.fullmatch(rf"id in \(({LITERAL}(?:, {LITERAL})*)\)", clause)
    assert found is not None, clause
    literals = re.findall(LITERAL, found[1])
    assert [literal[1:-1].replace("''", "'") for literal in literals] == ids


def test_the_filter_spells_object_ids_as_graph_documents_them():
    ids = ["1f0e5c1e-1111-4c3b-9a7e-2b1e0d9c8a01", "2f0e5c1e-2222-4c3b-9a7e-2b1e0d9c8a02"]
    assert id_in_filter(ids) == f"id in ('{ids[0]}', '{ids[1]}')"


@pytest.mark.parametrize("count", [0, IDS_PER_REQUEST + 1])
def test_a_filter_of_no_ids_or_more_than_graph_takes_is_refused(count):
    with pytest.raises(ValueError, match=f"1 to {IDS_PER_REQUEST} ids"):
        id_in_filter([f"id-{n}" for n in range(count)])
