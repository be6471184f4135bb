"""The program at scale: a stack with 1,000 group assignments builds under mocks."""

from __future__ import annotations

import json
import uuid

from tests.program import run_program

TOKEN_KEY = "asana-provisioning:asanaToken"
ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"


def test_a_stack_with_1000_group_assignments_builds_one_assignment_each():
    groups = [str(uuid.uuid5(uuid.NAMESPACE_OID, f"group-{n}")) for n in range(1000)]
    config = {
        "asana-provisioning:assignmentGroups": json.dumps(groups),
        TOKEN_KEY: "2/1/2:scale-test-token",
    }

    run = run_program(config, {TOKEN_KEY})

    assert run.error is None, run.error
    assignments = run.of_type(ASSIGNMENT)
    assert sorted(a.inputs["principalObjectId"] for a in assignments) == sorted(groups)
    assert len({a.name for a in assignments}) == 1000


def test_declaring_thousands_of_dynamic_resources_in_one_process_does_not_exhaust_the_stack():
    """pulumi 3.272.0's serialize_provider nests a pickle hook per call; the harness puts it
    back (`tests/pickler.py`), so the suite can declare as many as it likes in one process."""
    import pickle

    import pulumi

    from providers.asana_token import AsanaServiceAccountToken

    before = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]

    def many_tokens() -> None:
        for n in range(2000):
            AsanaServiceAccountToken(f"token-{n}", token=pulumi.Output.secret("2/1/2:x"))

    run = run_program({}, set(), main=many_tokens)

    assert run.error is None, run.error
    assert len(run.resources) == 2000
    assert pickle._Pickler._batch_setitems is before  # type: ignore[attr-defined]
