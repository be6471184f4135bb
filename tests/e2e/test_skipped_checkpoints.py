"""`PULUMI_SKIP_CHECKPOINTS` under the real CLI (rules/checkpoints.py).

A deploy run with it writes the state only when it ends, so a killed deploy would leave nothing
`tools.recover` could find: the program warns when a deploy runs with it, and the guard `make
up` and the deploy workflow run first refuses to go on. A preview writes no state either way, and
the engine then builds the state once instead of after every step: `make preview` and the preview
workflow run with it, so a preview must show exactly the changes it shows without it, and no
warning."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.demo import GROUP, SSO_ONLY, USER
from tests.e2e.interrupt import STACK, recover
from tests.e2e.tenant import PROJECT, LocalTenant
from tests.e2e.workspace import Workspace
from tools.recover import FAILED

SKIP = {"PULUMI_SKIP_CHECKPOINTS": "true"}
WARNING = "PULUMI_SKIP_CHECKPOINTS is set"


def planned_steps(workspace: Workspace) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each step of `pulumi preview --json`: operation, URN and the properties that differ."""
    run = workspace.pulumi("preview", "--stack", STACK, "--json", "--non-interactive")
    steps = json.loads(run.stdout)["steps"]
    return sorted((s["op"], s["urn"], tuple(sorted(s.get("diffReasons") or []))) for s in steps)


def test_a_preview_without_checkpoints_plans_the_same_changes_and_warns_of_nothing(
    tmp_path: Path, tenant: LocalTenant
):
    tenant.add_principals([GROUP], [USER])
    workspace = Workspace(tmp_path / "ws", ca_bundle=tenant.ca_bundle)
    settings = {**SSO_ONLY, **tenant.plain_settings()}
    settings.pop(f"{PROJECT}:assignmentUsers")
    workspace.create_stack(STACK, settings, tenant.secret_settings())
    workspace.pulumi("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")
    # The next deploy would create the user's assignment and delete the group's.
    workspace.pulumi("config", "rm", "--stack", STACK, f"{PROJECT}:assignmentGroups")
    workspace.pulumi(
        "config", "set", "--path", "--stack", STACK, f"{PROJECT}:assignmentUsers[0]", USER
    )

    with_checkpoints = planned_steps(workspace)
    workspace.extra_env = SKIP
    without_checkpoints = planned_steps(workspace)
    preview = workspace.pulumi("preview", "--stack", STACK, "--diff", "--non-interactive")

    operations = {op for op, _, _ in with_checkpoints}
    assert {"create", "delete", "same"} <= operations, with_checkpoints
    assert without_checkpoints == with_checkpoints
    assert WARNING not in preview.said
    assert workspace.leftover_processes() == []


def test_a_deploy_with_checkpoints_skipped_warns_and_the_deploy_guard_refuses(
    tmp_path: Path, tenant: LocalTenant
):
    tenant.add_principals([GROUP], [USER])
    workspace = Workspace(tmp_path / "ws", ca_bundle=tenant.ca_bundle, extra_env=SKIP)
    workspace.create_stack(STACK, {**SSO_ONLY, **tenant.plain_settings()}, tenant.secret_settings())

    guard = recover(workspace, "--before-deploy")
    assert guard.exit_code == FAILED
    assert WARNING in guard.stderr

    up = workspace.pulumi("up", "--stack", STACK, "--yes", "--skip-preview", "--non-interactive")
    assert f"warning: {WARNING}" in up.said
    assert workspace.leftover_processes() == []
