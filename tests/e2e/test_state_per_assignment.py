"""What the state holds per assignment, under the real CLI: its own record and nothing more.

The engine writes the whole state at every checkpoint of a deployment (docs/testing.md, "Scale
on the real engine"), so an entry per assignment anywhere else (a provider's inputs, the
component's outputs) is paid at every step of every `up`. Under Pulumi's mocks such entries
are invisible when the engine adds them itself: the default `pulumi-python` provider took the
stack's whole configuration, group object ids included, and only a real deployment shows it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.real_engine import STACK, group_ids, ours_at
from benchmarks.state_size import ASSIGNMENT, compact_bytes
from tests.e2e.tenant import LocalTenant

STACK_TYPE = "pulumi:pulumi:Stack"
SMALL, LARGE = 2, 22


def records_by_name(tenant: LocalTenant, base: Path, groups: list[str]) -> dict[str, int]:
    """Deploy our program with `groups` assigned; each resource's bytes in compact JSON (as the
    checkpoints write it), but the assignments' and the stack's (whose outputs, registered
    when the program ends, list the assigned principals)."""
    side = ours_at(base, tenant, groups)
    side.workspace.pulumi("up", "--yes", "--skip-preview", "--stack", STACK, "--non-interactive")
    exported = side.workspace.pulumi("stack", "export", "--stack", STACK).stdout
    resources: list[dict[str, Any]] = json.loads(exported)["deployment"]["resources"]
    assert side.workspace.leftover_processes() == []
    return {
        r["urn"].rsplit("::", 1)[-1]: compact_bytes(r)
        for r in resources
        if r["type"] not in (ASSIGNMENT, STACK_TYPE)
    }


def test_no_resource_but_the_assignments_grows_with_the_number_of_assignments(
    tenant: LocalTenant, tmp_path: Path
):
    groups = group_ids(LARGE)
    for n, group_id in enumerate(groups):
        tenant.emulator.add_group(f"State group {n}", group_id=group_id)

    small = records_by_name(tenant, tmp_path / "small", groups[:SMALL])
    large = records_by_name(tenant, tmp_path / "large", groups)

    assert sorted(small) == sorted(large)
    # Less than a byte per added assignment: the display name says how many ("Asana (scale
    # 22)"), and ids and times are of one length; an object id anywhere would add 36 or more.
    grown = {name: large[name] - small[name] for name in small}
    assert {name: bytes_ for name, bytes_ in grown.items() if bytes_ >= LARGE - SMALL} == {}
