"""The dev stack's whole life under the real CLI, in order: preview, up, a clean refresh and
preview, each kind of out-of-band change found by the drift workflow's own commands and put back
by `up`, and destroy leaving the tenant exactly as it was before `up`.

The tests share one deployed stack and run in the order they are written (pytest keeps file
order); each drift test leaves the stack converged for the next.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e import portal
from tests.e2e.drift import DRIFT, NO_DRIFT, run_drift_check
from tests.e2e.stacks import shipped_stack_on_a_local_tenant
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import Workspace

STACK = "dev"
EXPECT_NO_CHANGES_FOUND = 7
"""`--expect-no-changes` exit code when there were changes (CLI v3.226 and later)."""
ORGANIZATION = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization"


@dataclass
class DevStack:
    tenant: LocalTenant
    workspace: Workspace
    before_up: dict[str, Any]

    def up(self) -> str:
        up = ("up", "--refresh", "--stack", STACK, "--yes", "--non-interactive")
        return self.workspace.pulumi(*up).stdout

    def outputs(self) -> dict[str, Any]:
        run = self.workspace.pulumi("stack", "output", "--stack", STACK, "--json")
        return json.loads(run.stdout)

    def deployed(self) -> portal.Deployed:
        return portal.Deployed.from_outputs(self.outputs())


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    tenant, workspace = shipped_stack_on_a_local_tenant(tmp_path_factory.mktemp("dev"), STACK)
    yield DevStack(tenant, workspace, tenant.emulator.snapshot())
    tenant.stop()


def test_preview_then_up_creates_the_whole_app(dev: DevStack):
    preview = dev.workspace.pulumi("preview", "--stack", STACK, "--non-interactive", "--diff")
    assert "to create" in preview.stdout

    output = dev.up()

    assert "created" in output
    outputs = dev.outputs()
    assert outputs["asanaTokenFingerprint"].startswith("sha256:")
    assert len(outputs["assignedPrincipals"]) == 2


def test_refresh_and_preview_then_show_no_changes(dev: DevStack):
    dev.workspace.pulumi(
        "refresh", "--stack", STACK, "--preview-only", "--expect-no-changes", "--non-interactive"
    )
    dev.workspace.pulumi("preview", "--stack", STACK, "--expect-no-changes", "--non-interactive")


def _rotate_token(dev: DevStack) -> None:
    """After a revocation the admin creates a new token in Asana and sets it as a secret."""
    token = dev.tenant.rotate_asana_token()
    dev.workspace.pulumi(
        "config", "set", "--secret", "--stack", STACK, f"{PROJECT}:asanaToken", stdin=token
    )


# (kind of change, the change, resource named in the report, property named in the report)
DRIFT_KINDS: list[tuple[str, portal.Change, str, str | None]] = [
    (
        "mapping edited",
        portal.map_from_attribute(ORGANIZATION, "companyName"),
        "asana-user-attribute-mappings",
        "mappings",
    ),
    (
        "scoping filter changed",
        portal.widen_scoping_filter,
        "asana-user-attribute-mappings",
        "scoping_filter",
    ),
    (
        "object mapping switched off",
        portal.disable_user_provisioning,
        "asana-user-attribute-mappings",
        "enabled",
    ),
    ("token revoked", portal.revoke_asana_token, "asana-token", "accepted"),
    ("job paused", portal.pause_job, "asana-provisioning-job", "enabled"),
    ("assignment removed (a resource deleted)", portal.remove_user_assignment, "asana-user-", None),
    ("secret edited", portal.edit_notification_email, "asana-provisioning-secret", "credentials"),
    ("job deleted (a resource deleted)", portal.delete_job, "asana-provisioning-job", None),
]


@pytest.mark.parametrize(
    ("change", "resource", "prop"), [k[1:] for k in DRIFT_KINDS], ids=[k[0] for k in DRIFT_KINDS]
)
def test_an_out_of_band_change_is_found_named_and_put_back(
    dev: DevStack, change: portal.Change, resource: str, prop: str | None
):
    change(dev.tenant, dev.deployed())

    found = run_drift_check(dev.workspace, STACK)

    assert found.pulumi_exit_code == EXPECT_NO_CHANGES_FOUND
    assert found.status == DRIFT, found.report
    assert resource in found.report
    if prop is not None:
        assert f"`{prop}" in found.report, found.report
    if change is portal.revoke_asana_token:
        _rotate_token(dev)
    dev.up()
    clean = run_drift_check(dev.workspace, STACK)
    assert clean.status == NO_DRIFT, clean.report


def test_destroy_leaves_the_tenant_as_it_was_before_up(dev: DevStack):
    dev.workspace.pulumi("destroy", "--stack", STACK, "--yes", "--non-interactive")

    assert dev.tenant.emulator.snapshot() == dev.before_up
