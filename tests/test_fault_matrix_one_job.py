"""A late write of one mapping resource never silently undoes the other's change.

The user and the group mappings are two resources editing one job's schema, and Graph's PUT
replaces the whole document: a copy of the user mappings' write that lands after the group
mappings were written takes their change away. Within the window in which the job's lock is
held the copy is seen landing (tests/test_mappings_on_one_job.py); here it lands well after,
and the group mappings' write is refused rather than reported as done and then undone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import SERVICE_PRINCIPAL_ID, Tenant
from tests.emulator import Emulator
from tests.engine import EngineResource, ProviderError, ProviderServer
from tests.fault_subjects import (
    LATE_SECONDS,
    LATER_SECONDS,
    MATRIX_TIMEOUT_SECONDS,
    inject_late,
    matrix_provider,
    versions,
    wait_for_landing,
)
from tests.mapping_resources import (
    ORGANIZATION,
    SCHEMA_PATH,
    group_inputs,
    job_inputs,
    mappings_resource,
    user_inputs,
)
from tests.reporting import record, table

STEPS = {
    "create both": ("create", "create"),
    "destroy the user mappings, update the group mappings": ("delete", "update"),
}
LATE = {"first write lands late": 1, "both sends land late": 2}
TABLE = table(
    "Late-landing writes on one job (the user mappings' write lands late, then the group "
    "mappings are written)",
    module=__name__,
    cases=len(STEPS) * len(LATE),
    about=f"""
    The user and the group mappings edit one job's schema, and Graph's PUT replaces the whole
    document, so a late copy of the user mappings' write would take away a change the group
    mappings made after it. Here the user mappings' first write (or both its sends) is held
    without a reply and lands {LATE_SECONDS:g} s after it came (a second send
    {LATER_SECONDS:g} s after), past the {MATRIX_TIMEOUT_SECONDS} s timeout and every read the
    operation makes; then the group mappings' operation runs in the same provider process, as
    in one `pulumi up` (the job's lock keeps the two one after the other), before anything
    has landed. "Ok": the operation reported success, and once everything had landed what it
    recorded was still live (no drift on refresh). "Error, may still land": neither send was
    answered nor seen landing; the error says so, and nothing was recorded. "Refused, a write
    may still land": the group mappings' write was not sent, because a write of the same job
    made earlier in this deployment may still land and would undo it; the error says so, and
    nothing was recorded. In every cell, once the late writes had landed, a new `pulumi up`
    (a new provider process, the state as recorded) converged with both changes live.
    """,
)


@pytest.fixture(scope="module")
def matrix_server(emulator_session: Emulator, tenant: Tenant) -> Iterator[ProviderServer]:
    with matrix_provider(emulator_session, tenant) as server:
        yield server


def user_inputs_changed(job: str) -> dict[str, Any]:
    return job_inputs(
        job,
        "user",
        mappings=[{"target": ORGANIZATION, "constant": "Contoso (prod)"}],
        scoping_filter=user_inputs(job)["scoping_filter"],
    )


def group_inputs_for(operation: str, job: str) -> dict[str, Any]:
    if operation == "create":
        return group_inputs(job)
    mapping = {"target": "displayName", "attribute": "displayName", "matchingPriority": 1}
    return {**group_inputs(job), "mappings": [mapping]}


def step(resource: EngineResource, operation: str, inputs: dict[str, Any]) -> str:
    """Runs one operation; its outcome in the table's words."""
    try:
        if operation == "delete":
            resource.destroy()
        else:
            resource.up(inputs)
    except ProviderError as error:
        message = error.details.strip().splitlines()[-1]
        assert "run the command again" in message, message
        if "nothing has landed yet, but it may still" in message:
            return "error, may still land"
        if "not been seen landing" in message and "nothing was written" in message:
            return "refused, a write may still land"
        raise AssertionError(f"an error the table has no words for: {message}") from None
    return "ok"


@pytest.mark.parametrize("late", list(LATE))
@pytest.mark.parametrize("steps", list(STEPS))
def test_a_late_write_of_one_mapping_never_silently_undoes_the_other(
    emulator: Emulator, tenant: Tenant, matrix_server: ProviderServer, steps: str, late: str
):
    job = emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")
    users = mappings_resource(matrix_server, "asana-user-attribute-mappings")
    groups = mappings_resource(matrix_server, "asana-group-attribute-mappings")
    user_step, group_step = STEPS[steps]
    if user_step != "create":
        users.up(user_inputs(job))
        groups.up(group_inputs(job))
    inject_late(emulator, LATE[late], service="graph", method="PUT", path=SCHEMA_PATH)

    user_outcome = step(users, user_step, user_inputs_changed(job))
    assert emulator.pending_faults() == 0, "the user mappings' writes were not all held"
    group_outcome = step(groups, group_step, group_inputs_for(group_step, job))
    assert emulator.late_writes_held(), "a late write landed before the group mappings' step"
    before_landing = versions(emulator)
    wait_for_landing(emulator)
    assert versions(emulator) != before_landing, "the late write did not land"

    for resource, outcome in ((users, user_outcome), (groups, group_outcome)):
        if resource.id is not None and outcome != "error, may still land":
            assert not resource.refresh(write_state=False).drift, (
                f"{resource.name} ({outcome}): a late write undid what it recorded"
            )
    with matrix_provider(emulator, tenant) as rerun:  # a new `pulumi up`
        users, groups = (dataclasses.replace(r, server=rerun) for r in (users, groups))
        if user_step == "delete":
            if users.id is not None:
                users.destroy()
        else:
            users.up(user_inputs_changed(job))
            assert not users.refresh().drift
        groups.up(group_inputs_for(group_step, job))
        assert not groups.refresh().drift
    record(TABLE, steps, late, f"user: {user_outcome}; group: {group_outcome}")


def test_once_the_late_copy_is_seen_landing_the_other_mapping_is_written(
    emulator: Emulator, matrix_server: ProviderServer
):
    """The refusal lasts only while the copy may still land: the group mappings' read sees
    the user mappings' document under a version it had not seen, so the copy has landed and
    the group mappings are written in the same deployment."""
    job = emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")
    users = mappings_resource(matrix_server, "asana-user-attribute-mappings")
    groups = mappings_resource(matrix_server, "asana-group-attribute-mappings")
    inject_late(emulator, 1, service="graph", method="PUT", path=SCHEMA_PATH)

    assert step(users, "create", user_inputs_changed(job)) == "ok"
    assert emulator.late_writes_held() == 1
    before_landing = versions(emulator)
    wait_for_landing(emulator)
    assert versions(emulator) != before_landing, "the late write did not land"

    assert step(groups, "create", group_inputs(job)) == "ok"
    assert not users.refresh().drift
    assert not groups.refresh().drift
