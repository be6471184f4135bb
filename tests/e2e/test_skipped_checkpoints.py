"""With `PULUMI_SKIP_CHECKPOINTS` set, the engine writes the state only when a run ends, so a
killed deploy would leave nothing `tools.recover` could find (rules/checkpoints.py). Under the
real CLI the program says so in every preview and up, and the guard `make up` and the deploy
workflow run first refuses to go on."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.demo import GROUP, SSO_ONLY, USER
from tests.e2e.interrupt import STACK, recover
from tests.e2e.tenant import LocalTenant
from tests.e2e.workspace import Workspace
from tools.recover import FAILED


def test_a_preview_with_checkpoints_skipped_warns_and_the_deploy_guard_refuses(
    tmp_path: Path, tenant: LocalTenant
):
    tenant.add_principals([GROUP], [USER])
    workspace = Workspace(
        tmp_path / "ws", ca_bundle=tenant.ca_bundle, extra_env={"PULUMI_SKIP_CHECKPOINTS": "true"}
    )
    workspace.create_stack(STACK, {**SSO_ONLY, **tenant.plain_settings()}, tenant.secret_settings())

    preview = workspace.pulumi("preview", "--stack", STACK, "--non-interactive")

    said = " ".join((preview.stdout + preview.stderr).split())
    assert "warning: PULUMI_SKIP_CHECKPOINTS is set" in said
    guard = recover(workspace, "--before-deploy")
    assert guard.exit_code == FAILED
    assert "PULUMI_SKIP_CHECKPOINTS is set" in guard.stderr
    assert workspace.leftover_processes() == []
