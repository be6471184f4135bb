"""benchmarks/state_size.py: its per-field bytes account for the whole record; it counts the
checkpoints the file backend kept, and only those."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.real_engine import STACK
from benchmarks.state_size import (
    Deployed,
    compact_bytes,
    field_bytes,
    retained_checkpoints,
    state_table,
    table,
)

RECORD = {
    "urn": "urn:pulumi:s::p::azuread:index/appRoleAssignment:AppRoleAssignment::a",
    "custom": True,
    "dependencies": ["urn:pulumi:s::p::azuread:index/servicePrincipal:ServicePrincipal::sp"],
    "inputs": {"appRoleId": "18d14569-c3bd-439b-9a66-3a2aee01d14f"},
}


def test_the_fields_bytes_and_their_separators_add_up_to_the_compact_record():
    fields = field_bytes(RECORD)

    # each field counts its `"key":value` and one separator; the record adds two braces and has
    # one separator fewer than fields
    assert sum(fields.values()) + 1 == compact_bytes(RECORD)
    dependencies = json.dumps(RECORD["dependencies"], separators=(",", ":"))
    assert fields["dependencies"] == len('"dependencies":') + len(dependencies) + 1


def test_a_field_only_one_side_has_counts_zero_on_the_other():
    bare = {key: value for key, value in RECORD.items() if key != "dependencies"}

    shown = table(RECORD, bare)

    assert f"| `dependencies` | {field_bytes(RECORD)['dependencies']:,} | 0 |" in shown
    assert f"ours / bare: {compact_bytes(RECORD) / compact_bytes(bare):.3f}" in shown


def test_only_the_checkpoints_the_backend_kept_are_counted(tmp_path: Path):
    stacks = tmp_path / ".pulumi" / "stacks" / "project"
    stacks.mkdir(parents=True)
    kept = [stacks / f"{STACK}.json.1796344749285489078", stacks / f"{STACK}.json.17963447492"]
    others = [
        stacks / f"{STACK}.json",  # the current checkpoint, also one of the kept ones
        stacks / f"{STACK}.json.bak",
        stacks / f"{STACK}.json.attrs",
        stacks / f"{STACK}.json.1796344749285489078.attrs",
        stacks / "other.json.1796344749285489078",
    ]
    for path in kept + others:
        path.write_text("{}")

    assert sorted(retained_checkpoints(tmp_path)) == sorted(kept)


def test_the_state_table_gives_each_figure_and_its_ratio():
    ours = Deployed(assignment={}, rest_bytes=44_000, checkpoints=70, checkpoint_bytes=3_900_000)
    bare = Deployed(assignment={}, rest_bytes=2_750, checkpoints=49, checkpoint_bytes=1_500_000)

    shown = state_table(ours, bare, 20)

    assert "| the rest of the state (bytes) | 44,000 | 2,750 | 16.00 |" in shown
    assert "| checkpoints `up` wrote (20 assignments) | 70 | 49 | 1.43 |" in shown
    assert "| their bytes in all | 3,900,000 | 1,500,000 | 2.60 |" in shown
