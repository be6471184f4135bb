"""Group ids are checked fifteen per Graph request, eight requests at a time, under the real
CLI: the program sends `GET /v1.0/groups?$filter=id in (…)` itself
(`components.principal_lookup`), where the azuread provider's `getGroups` would read each id
with its own GET, one after another (terraform-provider-azuread v3.9.0,
`groups_data_source.go`).

Then Graph is made slow for `REQUESTS_AT_ONCE` of those requests: each waits `SLOW` seconds. The
first request is sent alone (it signs in) and the other seven together, so the preview takes
about two waits longer, where requests one after another would take eight. On a real tenant
every request is a round trip, so this is what a large organisation sees on every preview.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.real_engine import STACK, Side, group_ids, ours_at
from rules.lookups import IDS_PER_REQUEST, REQUESTS_AT_ONCE
from tests.e2e.tenant import LocalTenant
from tests.emulator import Fault

GROUPS = REQUESTS_AT_ONCE * IDS_PER_REQUEST
SLOW = 1.5
GROUP_LIST = r"^/v1\.0/groups$"
ONE_GROUP = r"/groups/[0-9a-fA-F-]{36}$"


def preview_seconds(side: Side) -> float:
    started = time.monotonic()
    side.workspace.pulumi("preview", "--stack", STACK, "--non-interactive")
    return time.monotonic() - started


def test_group_ids_are_checked_fifteen_per_request_eight_requests_at_a_time(
    tenant: LocalTenant, tmp_path: Path
):
    groups = group_ids(GROUPS)
    for n, group_id in enumerate(groups):
        tenant.emulator.add_group(f"Lookup group {n}", group_id=group_id)
    side = ours_at(tmp_path, tenant, groups)
    preview_seconds(side)  # the first run starts plugins and fills caches

    lists, reads = (tenant.emulator.count("graph", "GET", p) for p in (GROUP_LIST, ONE_GROUP))
    unhindered = preview_seconds(side)
    assert tenant.emulator.count("graph", "GET", GROUP_LIST) - lists == REQUESTS_AT_ONCE
    assert tenant.emulator.count("graph", "GET", ONE_GROUP) == reads  # no id read alone

    tenant.emulator.inject(Fault.slow(SLOW), method="GET", path=GROUP_LIST, times=REQUESTS_AT_ONCE)
    hindered = preview_seconds(side)

    assert tenant.emulator.pending_faults() == 0  # every slow request happened
    one_after_another = REQUESTS_AT_ONCE * SLOW  # 12 s
    assert hindered - unhindered < one_after_another / 2, (hindered, unhindered)
    assert side.workspace.leftover_processes() == []
