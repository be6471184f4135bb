"""docs/mutation.md, the last `make mutate` result, was computed on the modules as they are now.

It records the SHA-256 of every module it mutated; a module edited since (or added to a mutated
folder) makes the recorded scores and survivors those of other code, so this fails until
`make mutate` is run again and docs/mutation.md committed.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.mutate import GROUPS, REPORT, ROOT, SOURCES_MARKER, modules_of, source_hash


def recorded_sources() -> dict[str, str]:
    match = re.search(rf"<!-- {SOURCES_MARKER} (\{{.*\}}) -->", REPORT.read_text())
    assert match, f"{REPORT.relative_to(ROOT)} has no source hashes; run `make mutate`"
    return json.loads(match.group(1))


MODULES = [module for group in GROUPS for module in modules_of(group)]


@pytest.mark.parametrize("module", MODULES)
def test_the_mutation_result_was_computed_on_the_module_as_it_is(module: str):
    recorded = recorded_sources().get(module)

    assert recorded is not None, (
        f"{module} is not in docs/mutation.md: run `make mutate` and commit docs/mutation.md"
    )
    assert recorded == source_hash(ROOT / module), (
        f"{module} changed since docs/mutation.md was computed: run `make mutate` (incremental: "
        "only the changed functions' mutants run again) and commit docs/mutation.md"
    )


def test_the_report_lists_no_module_that_is_gone():
    assert sorted(set(recorded_sources()) - set(MODULES)) == []
