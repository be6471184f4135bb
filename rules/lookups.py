"""How principals given by object id are looked up: a few ids per Graph request, a few requests
at once. Pure.

pulumi-azuread's `getGroups` and `getUsers` read one object per Graph GET, one after another
(terraform-provider-azuread v3.9.0, `groups_data_source.go` and `users_data_source.go`): 5,000
ids are 5,000 round trips. Graph finds up to `IDS_PER_REQUEST` objects in one list request,
`GET /groups?$filter=id in ('…', …)` (the `in` operator's limit without advanced queries:
"limited to 15 expressions in the filter clause", https://developer.microsoft.com/graph/known-issues
, "Some limitations apply to query parameters"), with the same permission as reading one
(Group.Read.All, User.Read.All). `REQUESTS_AT_ONCE` such requests run concurrently: eight readers
stay far below Microsoft Entra ID's read budget for one application in one tenant (3,500 to
8,000 resource units per 10 seconds; each of these requests costs 1, `$select` taking the 2 of
`GET users` down to 1: https://learn.microsoft.com/graph/throttling-limits , "Identity and
access service limits").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

IDS_PER_REQUEST = 15
REQUESTS_AT_ONCE = 8


def lookup_requests(ids: Sequence[T]) -> list[list[T]]:
    """`ids` cut, in order, into runs of `IDS_PER_REQUEST` (the last one shorter); none when
    empty."""
    return [
        list(ids[start : start + IDS_PER_REQUEST]) for start in range(0, len(ids), IDS_PER_REQUEST)
    ]


def id_in_filter(ids: Sequence[str]) -> str:
    """The `$filter` that finds these objects: `id in ('a', 'b')`, a quote in an id doubled as
    OData string literals require."""
    if not ids or len(ids) > IDS_PER_REQUEST:
        raise ValueError(f"an id filter takes 1 to {IDS_PER_REQUEST} ids, not {len(ids)}")
    literals = ", ".join("'" + i.replace("'", "''") + "'" for i in ids)
    return f"id in ({literals})"
