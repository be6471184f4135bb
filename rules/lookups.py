"""How principals given by object id are looked up: in a few batches, run at the same time. Pure.

pulumi-azuread's `getGroups` and `getUsers` read one object per Graph GET, one after another
(terraform-provider-azuread v3.9.0, `groups_data_source.go` and `users_data_source.go`), so one
invoke for 5,000 ids is 5,000 round trips in a row: minutes on a real tenant. Split into at most
`LOOKUPS_AT_ONCE` invokes, run concurrently, it is an eighth of that. Eight readers stay far
below Microsoft Entra ID's read budget for one application in one tenant (3,500 to 8,000
resource units per 10 seconds, a GET of one object costing 1:
https://learn.microsoft.com/graph/throttling-limits, "Identity and access service limits"), and
the provider retries a 429 itself. A batch is never smaller than `IDS_PER_LOOKUP_AT_LEAST`
unless all the ids are fewer, so a handful of ids is still one invoke.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

LOOKUPS_AT_ONCE = 8
IDS_PER_LOOKUP_AT_LEAST = 25


def lookup_batches(ids: Sequence[T]) -> list[list[T]]:
    """`ids` cut, in order, into as many batches as `LOOKUPS_AT_ONCE` and
    `IDS_PER_LOOKUP_AT_LEAST` allow, their sizes differing by one at most; none when empty."""
    if not ids:
        return []
    count = min(LOOKUPS_AT_ONCE, max(1, len(ids) // IDS_PER_LOOKUP_AT_LEAST))
    size, larger = divmod(len(ids), count)
    batches: list[list[T]] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < larger else 0)
        batches.append(list(ids[start:end]))
        start = end
    return batches
