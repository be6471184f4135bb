"""A mappings resource in state written by an earlier version reads, diffs and updates cleanly.

The state is the one the real CLI recorded for the demo stack (`tests/fixtures/real/`, captured
by `tests/e2e/capture_fixtures.py`); what is declared now comes from running the program with
that stack's configuration. Only the job and service principal ids are moved onto the
emulator's, so that a refresh can read the live schema.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import SERVICE_PRINCIPAL_ID
from tests.emulator import Emulator
from tests.engine import PROJECT_ROOT, PROVIDER_KEY, EngineResource, ProviderServer
from tests.mapping_resources import mappings_resource
from tests.program import run_program

RECORDED = PROJECT_ROOT / "tests" / "fixtures" / "real" / "refresh_clean.json"
MAPPINGS = "pulumi-python:dynamic/asana:ProvisioningAttributeMappings"
HIDDEN = "[secret]"
PLACEHOLDERS = {
    "asana-provisioning:asanaToken": "2/1/2:recorded-state-test",
    "azuread:clientSecret": "recorded-state-test-secret",
}


def recorded_run() -> dict[str, Any]:
    return json.loads(RECORDED.read_text(encoding="utf-8"))


def moved(value: Any, old_ids: dict[str, str]) -> Any:
    """`value` with the recorded ids replaced by the emulator's."""
    text = json.dumps(value)
    for old, new in old_ids.items():
        text = text.replace(old, new)
    return json.loads(text)


def recorded_state(job: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(id, inputs, outputs) of the user mappings as the earlier version left them in state."""
    (state,) = [
        step["oldState"]
        for step in recorded_run()["steps"]
        if step["urn"].endswith(f"{MAPPINGS}::asana-user-attribute-mappings")
    ]
    old_job = state["id"].split("/")[0]
    old_ids = {state["inputs"]["service_principal_id"]: SERVICE_PRINCIPAL_ID, old_job: job}
    inputs, outputs = (
        {key: value for key, value in moved(state[part], old_ids).items() if key != PROVIDER_KEY}
        for part in ("inputs", "outputs")
    )
    return moved(state["id"], old_ids), inputs, outputs


def declared_now(job: str) -> dict[str, Any]:
    """The user mappings' inputs as the program declares them today for the recorded stack."""
    config = recorded_run()["config"]
    secret_keys = {key for key, value in config.items() if value == HIDDEN}
    run = run_program({**config, **PLACEHOLDERS}, secret_keys, stack="demo")
    assert run.error is None, run.error
    (resource,) = [r for r in run.of_type(MAPPINGS) if r.name == "asana-user-attribute-mappings"]
    declared = {key: value for key, value in resource.inputs.items() if key != PROVIDER_KEY}
    job_id = f"/servicePrincipals/{SERVICE_PRINCIPAL_ID}/synchronization/jobs/{job}"
    return {**declared, "service_principal_id": SERVICE_PRINCIPAL_ID, "job_id": job_id}


@pytest.fixture
def job(emulator: Emulator) -> str:
    return emulator.create_job(SERVICE_PRINCIPAL_ID, "asana")


def from_recorded_state(server: ProviderServer, job: str) -> EngineResource:
    resource = mappings_resource(server, "asana-user-attribute-mappings")
    resource.id, inputs, outputs = recorded_state(job)
    resource.inputs, resource.outputs = (
        resource._with_provider(inputs),
        resource._with_provider(outputs),
    )
    return resource


def test_the_recorded_state_diffs_clean_against_what_the_program_declares_now(
    emulator: Emulator, server: ProviderServer, job: str
):
    resource = from_recorded_state(server, job)

    checked, diff = resource.preview(declared_now(job))

    assert checked.failures == []
    assert diff is not None
    assert (diff.changes, diff.replaces) == (False, [])
    assert emulator.requests == []


def test_the_recorded_state_refreshes_and_updates_without_drift_or_a_write(
    emulator: Emulator, server: ProviderServer, job: str
):
    declared = declared_now(job)
    mappings_resource(server, "deployed-earlier").up(declared)  # the live side of that state
    resource = from_recorded_state(server, job)
    recorded_outputs = dict(resource.outputs)
    before = len(emulator.requests)

    refreshed = resource.refresh()
    resource.up(declared)

    assert not refreshed.drift, refreshed
    assert resource.outputs == recorded_outputs
    graph = [(r.method, r.path) for r in emulator.requests[before:] if r.service == "graph"]
    assert [method for method, _ in graph] == ["GET"]
