"""The policy pack through the real `--policy-pack` and `--policy-pack-config` flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.engine import ROOT
from tests.e2e.stacks import STACK_FILES, named_principals, shipped_settings, stack_name
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import CliRun, Workspace

PACK = ROOT / "policies"
PACK_NAME = "asana-provisioning-guardrails"
POLICY_VIOLATION_EXIT_CODE = 1
"""What `pulumi preview` exits with when a mandatory policy fails."""


def preview_with_policies(
    workspace: Workspace, tenant: LocalTenant, stack: str, settings: dict[str, Any], expect: int
) -> CliRun:
    tenant.add_principals(*named_principals(settings))
    local = tenant.plain_settings(local_asana=False)
    workspace.create_stack(stack, {**settings, **local}, tenant.secret_settings())
    config = PACK / "config" / f"{stack}.json"
    return workspace.pulumi(
        "preview", "--stack", stack, "--non-interactive",
        "--policy-pack", str(PACK), "--policy-pack-config", str(config),
        expect=expect,
    )  # fmt: skip


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=stack_name)
def test_every_shipped_stack_passes_the_pack_with_its_config(
    stack_file: Path, tenant: LocalTenant, workspace: Workspace
):
    stack = stack_name(stack_file)

    run = preview_with_policies(workspace, tenant, stack, shipped_settings(stack_file), 0)

    assert PACK_NAME in run.stdout
    assert "mandatory" not in run.stdout
    assert "can't run policy" not in run.stdout  # a policy reading an unknown value is skipped


def test_a_prod_variant_that_provisions_everyone_fails_naming_the_policy(
    tenant: LocalTenant, workspace: Workspace
):
    settings = shipped_settings(ROOT / "stacks" / "Pulumi.prod.yaml")
    settings[f"{PROJECT}:provisioningScope"] = "all"

    run = preview_with_policies(workspace, tenant, "prod", settings, POLICY_VIOLATION_EXIT_CODE)

    assert "[mandatory]  provisioning-scope-assigned-only" in run.stdout
    assert PACK_NAME in run.stdout


def test_a_group_called_power_user_team_passes_while_a_user_fails_naming_the_policy(
    tenant: LocalTenant, workspace: Workspace
):
    settings = shipped_settings(ROOT / "stacks" / "Pulumi.prod.yaml")
    settings[f"{PROJECT}:assignmentGroups"] = ["Power User Team"]
    preview_with_policies(workspace, tenant, "prod", settings, 0)

    tenant.add_principals([], ["ada@contoso.com"])
    users = f"{PROJECT}:assignmentUsers[0]"
    workspace.pulumi("config", "set", "--stack", "prod", "--path", users, "ada@contoso.com")
    run = workspace.pulumi(
        "preview", "--stack", "prod", "--non-interactive", "--policy-pack", str(PACK),
        "--policy-pack-config", str(PACK / "config" / "prod.json"),
        expect=POLICY_VIOLATION_EXIT_CODE,
    )  # fmt: skip

    assert "[mandatory]  assignments-groups-only" in run.stdout
    assert "asana-user-ada-contoso-com" in run.stdout
    assert "Power User Team".lower().replace(" ", "-") not in run.stdout.split("Policies:")[1]


def test_a_misspelt_policy_setting_is_refused_naming_it_and_the_known_ones(
    tenant: LocalTenant, workspace: Workspace, tmp_path: Path
):
    config = tmp_path / "dev.json"
    shipped = (PACK / "config" / "dev.json").read_text()
    config.write_text(shipped.replace('"maxThreshold"', '"maxThreshhold"'))
    settings = shipped_settings(ROOT / "stacks" / "Pulumi.dev.yaml")
    tenant.add_principals(*named_principals(settings))
    local = tenant.plain_settings(local_asana=False)
    workspace.create_stack("dev", {**settings, **local}, tenant.secret_settings())

    run = workspace.pulumi(
        "preview", "--stack", "dev", "--non-interactive",
        "--policy-pack", str(PACK), "--policy-pack-config", str(config),
        expect=1,
    )  # fmt: skip

    assert "Traceback" not in run.stdout + run.stderr
    assert (
        "policy accidental-deletion-prevention: unknown setting 'maxThreshhold' in the policy "
        "pack config; its settings are enforcementLevel, maxThreshold, minThreshold"
    ) in run.stdout + run.stderr


def test_a_threshold_out_of_range_names_the_range_in_whole_numbers(
    tenant: LocalTenant, workspace: Workspace
):
    settings = shipped_settings(ROOT / "stacks" / "Pulumi.dev.yaml")
    settings[f"{PROJECT}:deletionThreshold"] = 600

    run = preview_with_policies(workspace, tenant, "dev", settings, POLICY_VIOLATION_EXIT_CODE)

    assert "[mandatory]  accidental-deletion-prevention" in run.stdout
    assert "The deletion threshold is 600; this environment allows 1 to 500." in run.stdout
