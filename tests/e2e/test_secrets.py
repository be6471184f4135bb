"""Secrets under the real CLI: the Asana token and the Graph client secret appear nowhere in
plain text, not in `pulumi stack export`, the engine's `--json` output, the CLI's output, or the
plugins' logs (the engine's own log with every plugin's output flowed into it)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.demo import GROUP, SSO_ONLY, USER
from tests.e2e.stacks import named_principals, shipped_settings
from tests.e2e.tenant import CLIENT_ID, LocalTenant
from tests.e2e.workspace import Workspace

DEV = Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.dev.yaml"
VERBOSE = ("--logtostderr", "--logflow", "-v=9")
"""The engine's own log at its most verbose, with the plugins' logs flowed into it."""


def test_no_secret_appears_in_state_outputs_logs_or_json(tenant: LocalTenant, workspace: Workspace):
    settings = shipped_settings(DEV)
    tenant.add_principals(*named_principals(settings))
    workspace.create_stack("dev", {**settings, **tenant.plain_settings()}, tenant.secret_settings())
    stack = ("--stack", "dev", "--non-interactive")

    workspace.pulumi("preview", *stack, "--json")
    workspace.pulumi("up", *stack, "--yes", "--json")
    workspace.pulumi("preview", *stack, "--diff", *VERBOSE)
    workspace.pulumi("refresh", *stack, "--preview-only", "--json")
    exported = workspace.pulumi("stack", "export", "--stack", "dev")
    workspace.pulumi("stack", "output", "--stack", "dev", "--json")
    tenant.rotate_asana_token()  # an update carries the new token through every provider
    workspace.pulumi(
        "config", "set", "--secret", "--stack", "dev", "asana-provisioning:asanaToken",
        stdin=tenant.asana_token,
    )  # fmt: skip
    workspace.pulumi("up", *stack, "--yes", "--diff", *VERBOSE)
    workspace.pulumi("destroy", *stack, "--yes", "--json")

    secrets = tenant.secret_values()
    for run in workspace.runs:
        for secret in secrets:
            assert secret not in run.output, f"a secret is in the output of `{' '.join(run.args)}`"
    verbose = [run for run in workspace.runs if "-v=9" in run.args]
    assert all(len(run.stderr) > 100_000 for run in verbose), "the engine's log was captured"
    assert all(CLIENT_ID in run.stderr for run in verbose), "it shows configuration values"
    state = json.loads(exported.stdout)
    assert state["deployment"]["resources"], "the export holds the deployed resources"
    logs = [path for path in (workspace.home / "logs").rglob("*") if path.is_file()]
    assert logs, "the CLI wrote its log files"
    for path in logs:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not any(secret in text for secret in secrets), f"a secret is in {path}"


def test_names_given_as_secrets_stay_secret_in_every_output_and_in_state(
    tenant: LocalTenant, workspace: Workspace
):
    """Graph repeats an app's and a group's display name in outputs of other names
    (`principalDisplayName`, `resourceDisplayName`, the service principal's `displayName`); the
    bridge keeps those secret only when the program says so."""
    group, app_name = "Project Nightingale Staff", "Asana (Project Nightingale)"
    settings = {**SSO_ONLY, **tenant.plain_settings()}
    settings.pop("asana-provisioning:assignmentGroups")
    tenant.add_principals([group, GROUP], [USER])
    secrets = {**tenant.secret_settings(), "asana-provisioning:appDisplayName": app_name}
    workspace.create_stack("named", settings, secrets)
    workspace.pulumi(
        "config", "set", "--secret", "--path", "--stack", "named",
        "asana-provisioning:assignmentGroups[0]", stdin=group,
    )  # fmt: skip
    stack = ("--stack", "named", "--non-interactive")

    workspace.pulumi("up", *stack, "--yes", "--json")
    workspace.pulumi("stack", "export", "--stack", "named")
    workspace.pulumi("stack", "output", "--stack", "named", "--json")
    workspace.pulumi("refresh", *stack, "--yes", "--json")
    exported_again = workspace.pulumi("stack", "export", "--stack", "named")

    for run in workspace.runs:
        for name in (group, app_name):
            assert name not in run.output, f"{name!r} is in the output of `{' '.join(run.args)}`"
    assert json.loads(exported_again.stdout)["deployment"]["resources"]
