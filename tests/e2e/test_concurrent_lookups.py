"""Group ids are looked up in batches that run at the same time, under the real CLI and the
azuread stand-in, whose `getGroups` reads one id per Graph GET, one after another, as upstream
does (terraform-provider-azuread v3.9.0, `groups_data_source.go`).

Graph is made slow for the first `LOOKUPS_AT_ONCE` reads of a group: each waits `SLOW` seconds.
Batches run at the same time take those waits together, so the preview takes about `SLOW`
longer than without them. One invoke for every id takes them one after another,
`LOOKUPS_AT_ONCE` times `SLOW` longer. On a real tenant every read is a round trip, so this is
the difference a large organisation sees on every preview.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.real_engine import STACK, Side, group_ids, ours_at
from rules.lookups import IDS_PER_LOOKUP_AT_LEAST, LOOKUPS_AT_ONCE
from tests.e2e.tenant import LocalTenant
from tests.emulator import Fault

GROUPS = LOOKUPS_AT_ONCE * IDS_PER_LOOKUP_AT_LEAST
SLOW = 1.5
GROUP_READ = r"/groups/[0-9a-f-]{36}$"


def preview_seconds(side: Side) -> float:
    started = time.monotonic()
    side.workspace.pulumi("preview", "--stack", STACK, "--non-interactive")
    return time.monotonic() - started


def test_slow_group_reads_delay_the_preview_once_not_once_per_batch(
    tenant: LocalTenant, tmp_path: Path
):
    groups = group_ids(GROUPS)
    for n, group_id in enumerate(groups):
        tenant.emulator.add_group(f"Lookup group {n}", group_id=group_id)
    side = ours_at(tmp_path, tenant, groups)
    preview_seconds(side)  # the first run starts plugins and fills caches
    unhindered = preview_seconds(side)

    tenant.emulator.inject(Fault.slow(SLOW), method="GET", path=GROUP_READ, times=LOOKUPS_AT_ONCE)
    hindered = preview_seconds(side)

    assert tenant.emulator.pending_faults() == 0  # every slow read happened
    one_after_another = LOOKUPS_AT_ONCE * SLOW  # 12 s
    assert hindered - unhindered < one_after_another / 2, (hindered, unhindered)
    assert side.workspace.leftover_processes() == []
