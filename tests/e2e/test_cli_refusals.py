"""What the pinned CLI refuses by itself, before our program or our drift check can act
(docs/engine.md, "What the real engine found", items 3 and 6).

Both shape our code and docs: the drift check must run where `PULUMI_SKIP_CONFIRMATIONS` is not
set (docs/drift.md), and a stack value of the wrong type never reaches the settings check that
lists every problem at once, so the CLI's message is the one a user sees.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest
import yaml

from tests.e2e.tenant import LocalTenant
from tests.e2e.workspace import Workspace

pytestmark = pytest.mark.e2e

PROJECT = "asana-provisioning"


def test_skip_confirmations_makes_the_drift_checks_refresh_refuse_to_run(workspace: Workspace):
    """pulumi `pkg/cmd/pulumi/operations/io.go`, `updateFlagsToOptions`: `--yes` (which
    `PULUMI_SKIP_CONFIRMATIONS=true` sets) and `--preview-only` cannot be used together."""
    workspace.pulumi("stack", "init", "probe")
    refresh = ("refresh", "--preview-only", "--stack", "probe", "--non-interactive")
    assert workspace.pulumi(*refresh).exit_code == 0  # without the variable: it runs

    workspace.extra_env = {"PULUMI_SKIP_CONFIRMATIONS": "true"}
    refused = workspace.pulumi(*refresh, expect=range(1, 256))

    assert "--yes and --preview-only cannot be used together" in refused.output


def test_a_setting_of_the_wrong_type_is_refused_by_the_cli_before_the_program_runs(
    tmp_path: Path, tenant: LocalTenant
):
    """pulumi `pkg/workspace/config.go`: a value that does not match the type `Pulumi.yaml`
    declares stops the command, naming the stack and the key.

    Known issue, not fixed here: the CLI exits on this error while the language host it started
    keeps running (seen with the pinned CLI and our language host), so this test does not use
    the `workspace` fixture, whose check of leftover processes would fail; it ends those it
    started itself."""
    workspace = Workspace(tmp_path / "ws", ca_bundle=tenant.ca_bundle)
    stack_file = workspace.stack_file("probe")
    stack_file.write_text(yaml.safe_dump({"config": {f"{PROJECT}:ssoEnabled": "yes"}}))
    try:
        workspace.pulumi("stack", "init", "probe")
        run = workspace.pulumi(
            "preview", "--stack", "probe", "--non-interactive", expect=range(1, 256)
        )
    finally:
        for line in workspace.leftover_processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line.split(" ", 1)[0]), signal.SIGKILL)

    assert "ssoEnabled" in run.output and "must be of type 'boolean'" in run.output, run.output
    # Our settings check would have listed every problem, the missing token among them.
    assert "asanaToken" not in run.output, run.output
