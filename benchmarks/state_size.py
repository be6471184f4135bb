"""What one assignment puts in the state, ours next to bare, field by field (`make bench`).

The engine writes the whole state again at every checkpoint of a deployment (docs/testing.md,
"Scale on the real engine"), so the size of each assignment's record is what a large stack pays
at every step. This deploys a few assignments of our program and of
`benchmarks/bare_assignments/` on the real CLI against one local tenant, exports both stacks
(`pulumi stack export`) and prints, for one `AppRoleAssignment` of each, the bytes of every
field in compact JSON (as the engine's checkpoints write it) and the whole record.

    python -m benchmarks.state_size [--assignments 20]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.real_engine import STACK, Side, bare_at, group_ids, ours_at
from tests.e2e.tenant import LocalTenant

ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"


def compact_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def field_bytes(record: dict[str, Any]) -> dict[str, int]:
    """Each field's share of the record: `"key":value,` in compact JSON."""
    return {key: compact_bytes({key: value}) - 1 for key, value in record.items()}


def deployed_assignment(side: Side) -> dict[str, Any]:
    """Deploy `side` and return one of its assignments' records from the exported state."""
    print(f"  {side.program}: pulumi up …", flush=True)
    side.workspace.pulumi("up", "--yes", "--skip-preview", "--stack", STACK, "--non-interactive")
    exported = side.workspace.pulumi("stack", "export", "--stack", STACK).stdout
    resources = json.loads(exported)["deployment"]["resources"]
    return next(r for r in resources if r["type"] == ASSIGNMENT)


def table(ours: dict[str, Any], bare: dict[str, Any]) -> str:
    ours_fields, bare_fields = field_bytes(ours), field_bytes(bare)
    keys = list(ours_fields) + [k for k in bare_fields if k not in ours_fields]
    lines = ["| field | ours (bytes) | bare (bytes) |", "|---|---:|---:|"]
    for key in keys:
        lines.append(f"| `{key}` | {ours_fields.get(key, 0):,} | {bare_fields.get(key, 0):,} |")
    total_ours, total_bare = compact_bytes(ours), compact_bytes(bare)
    lines.append(f"| whole record | {total_ours:,} | {total_bare:,} |")
    lines.append(f"\nours / bare: {total_ours / total_bare:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.state_size", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--assignments", type=int, default=20, help="per program (default 20)")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="bench-state-"))
    tenant = LocalTenant.start()
    try:
        groups = group_ids(args.assignments)
        for n, group_id in enumerate(groups):
            tenant.emulator.add_group(f"Bench group {n}", group_id=group_id)
        ours = deployed_assignment(ours_at(base, tenant, groups))
        bare = deployed_assignment(bare_at(base, tenant, groups))
    finally:
        tenant.stop()
        shutil.rmtree(base, ignore_errors=True)
    print(table(ours, bare))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
