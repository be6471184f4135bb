"""What one assignment puts in the state, ours next to bare, field by field (`make bench`).

The engine writes the whole state again at every checkpoint of a deployment (docs/testing.md,
"Scale on the real engine"), so the size of each assignment's record is what a large stack pays
at every step. This deploys a few assignments of our program and of
`benchmarks/bare_assignments/` on the real CLI against one local tenant, exports both stacks
(`pulumi stack export`) and prints, for one `AppRoleAssignment` of each, the bytes of every
field in compact JSON (as the engine's checkpoints write it) and the whole record; then what
the rest of the state weighs (every resource that is not an assignment) and how many
checkpoints that `up` wrote, with their bytes in all (the file backend keeps each one when
PULUMI_RETAIN_CHECKPOINTS is set, pulumi `pkg/backend/diy/state.go`).

    python -m benchmarks.state_size [--assignments 20]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.real_engine import STACK, Side, bare_at, group_ids, ours_at
from tests.e2e.tenant import LocalTenant

ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
RETAIN_CHECKPOINTS = {"PULUMI_RETAIN_CHECKPOINTS": "true"}


@dataclass(frozen=True)
class Deployed:
    """One program's `up`: an assignment's record, the rest of the state, the checkpoints."""

    assignment: dict[str, Any]
    rest_bytes: int
    """Every resource of the state that is not an assignment, in compact JSON."""
    checkpoints: int
    checkpoint_bytes: int


def compact_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def field_bytes(record: dict[str, Any]) -> dict[str, int]:
    """Each field's share of the record: `"key":value,` in compact JSON."""
    return {key: compact_bytes({key: value}) - 1 for key, value in record.items()}


def deployed(side: Side) -> Deployed:
    """Deploy `side`, keeping every checkpoint, and measure what its state holds."""
    print(f"  {side.program}: pulumi up …", flush=True)
    side.workspace.extra_env = {**side.workspace.extra_env, **RETAIN_CHECKPOINTS}
    side.workspace.pulumi("up", "--yes", "--skip-preview", "--stack", STACK, "--non-interactive")
    exported = side.workspace.pulumi("stack", "export", "--stack", STACK).stdout
    resources = json.loads(exported)["deployment"]["resources"]
    kept = retained_checkpoints(side.workspace.state)
    return Deployed(
        assignment=next(r for r in resources if r["type"] == ASSIGNMENT),
        rest_bytes=sum(compact_bytes(r) for r in resources if r["type"] != ASSIGNMENT),
        checkpoints=len(kept),
        checkpoint_bytes=sum(path.stat().st_size for path in kept),
    )


def retained_checkpoints(backend: Path) -> list[Path]:
    """The checkpoints the file backend kept: `<stack>.json.<unix nanoseconds>`."""
    stacks = backend / ".pulumi" / "stacks"
    return [
        path for path in stacks.rglob(f"{STACK}.json.*") if path.name.rsplit(".", 1)[-1].isdigit()
    ]


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


def state_table(ours: Deployed, bare: Deployed, assignments: int) -> str:
    """The rest of the state and the checkpoints `up` wrote: what each step writes beyond the
    assignments' records, and how many times."""
    rows = [
        ("the rest of the state (bytes)", ours.rest_bytes, bare.rest_bytes),
        (f"checkpoints `up` wrote ({assignments} assignments)", ours.checkpoints, bare.checkpoints),
        ("their bytes in all", ours.checkpoint_bytes, bare.checkpoint_bytes),
    ]
    lines = ["| state | ours | bare | ours / bare |", "|---|---:|---:|---:|"]
    for name, mine, theirs in rows:
        lines.append(f"| {name} | {mine:,} | {theirs:,} | {mine / theirs:.2f} |")
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
        ours = deployed(ours_at(base, tenant, groups))
        bare = deployed(bare_at(base, tenant, groups))
    finally:
        tenant.stop()
        shutil.rmtree(base, ignore_errors=True)
    print(table(ours.assignment, bare.assignment))
    print()
    print(state_table(ours, bare, args.assignments))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
