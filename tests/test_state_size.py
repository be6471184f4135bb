"""benchmarks/state_size.py: its per-field bytes account for the whole record."""

from __future__ import annotations

import json

from benchmarks.state_size import compact_bytes, field_bytes, table

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
