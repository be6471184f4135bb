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
