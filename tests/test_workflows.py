"""The GitHub workflows: triggers, least permissions, every stack, commands, no echoed secret."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONS = ROOT / ".github" / "actions"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")
SECRET_NAMES = (
    "ASANA_TOKEN",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_ACCESS_TOKEN",
    "AZURE_STORAGE_KEY",
)


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS / f"{name}.yml")


def all_documents() -> list[tuple[Path, dict[str, Any]]]:
    paths = sorted(WORKFLOWS.glob("*.yml")) + sorted(ACTIONS.glob("*/action.yml"))
    return [(path, load(path)) for path in paths]


def steps_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in document:
        return document["runs"]["steps"]
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def test_the_three_workflows_exist():
    assert {path.stem for path in WORKFLOWS.glob("*.yml")} == {"preview", "deploy", "drift"}


def test_preview_runs_on_pull_requests_for_every_stack_with_refresh_and_policies():
    preview = workflow("preview")
    job = preview["jobs"]["preview"]

    assert set(preview["on"]) == {"pull_request"}
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    script = runs(job)
    assert 'pulumi preview --stack "$STACK" --refresh' in script
    assert '--policy-pack policies --policy-pack-config "policies/config/$STACK.json"' in script
    assert "gh pr comment" in script


def test_the_stack_matrix_covers_every_stack_file():
    for name in ("preview", "drift"):
        listing = workflow(name)["jobs"]["stacks"]["steps"]
        assert any(step.get("uses") == "./.github/actions/list-stacks" for step in listing)
    action = load(ACTIONS / "list-stacks" / "action.yml")
    assert "for file in stacks/Pulumi.*.yaml" in action["runs"]["steps"][0]["run"]


def test_deploy_runs_dev_then_prod_behind_its_environment():
    deploy = workflow("deploy")
    dev, prod = deploy["jobs"]["dev"], deploy["jobs"]["prod"]

    assert deploy["on"]["push"]["branches"] == ["main"]
    assert (dev["environment"], prod["environment"]) == ("dev", "prod")
    assert prod["needs"] == "dev"
    assert "pulumi up --stack dev --yes" in runs(dev)
    assert "pulumi up --stack prod --yes" in runs(prod)
    assert "--policy-pack-config policies/config/prod.json" in runs(prod)


def test_drift_runs_on_a_schedule_and_by_hand_and_writes_no_state():
    drift = workflow("drift")
    script = runs(drift["jobs"]["drift"])

    assert drift["on"]["schedule"][0]["cron"]
    assert "workflow_dispatch" in drift["on"]
    assert "python -m scripts.drift_check --stack" in script  # the one command everyone runs
    assert "pulumi up" not in script and "--yes" not in script
    assert "gh issue create" in script and "gh issue edit" in script and "gh issue close" in script


def test_every_job_has_least_permissions():
    writes = {}
    for path, document in all_documents():
        if "jobs" not in document:
            continue
        assert document["permissions"] == {"contents": "read"}, path.name
        for name, job in document["jobs"].items():
            permissions = job.get("permissions")
            assert isinstance(permissions, dict), f"{path.name}:{name} declares no permissions"
            writes[(path.stem, name)] = {k for k, v in permissions.items() if v == "write"}
    assert writes == {
        ("preview", "stacks"): set(),
        ("preview", "preview"): {"id-token", "pull-requests"},
        ("deploy", "dev"): {"id-token"},
        ("deploy", "prod"): {"id-token"},
        ("drift", "stacks"): set(),
        ("drift", "drift"): {"id-token", "issues"},
    }


def test_azure_is_reached_by_oidc_without_a_client_secret():
    for path, document in all_documents():
        assert "ARM_CLIENT_SECRET" not in path.read_text(), path.name
        for name, job in document.get("jobs", {}).items():
            if job.get("permissions", {}).get("id-token") != "write":
                continue
            env = job["env"]
            assert env["ARM_USE_OIDC"] == "true", f"{path.name}:{name}"
            assert env["ARM_CLIENT_ID"].startswith("${{ vars."), f"{path.name}:{name}"
            assert env["ARM_TENANT_ID"] == "${{ vars.AZURE_TENANT_ID }}"


def test_every_action_is_pinned_to_a_version():
    for path, document in all_documents():
        for step in steps_of(document):
            uses = step.get("uses")
            if uses and not uses.startswith("./"):
                assert PINNED.match(uses), f"{path.name}: {uses} is not pinned to vX.Y.Z or a SHA"


def test_secrets_are_passed_through_env_and_never_echoed():
    """A secret's variable may only be tested for emptiness or piped into `pulumi config set`."""
    allowed = [
        re.compile(r'^if \[ -n "\$(\w+)" \]; then$'),
        re.compile(r"""^printf '%s' "\$(\w+)" \| pulumi config set --secret """),
    ]
    for path, document in all_documents():
        for step in steps_of(document):
            script = step.get("run", "")
            assert "${{ secrets." not in script, f"{path.name}: a secret is expanded in a script"
            assert "set -x" not in script
            for line in script.splitlines():
                if any(f"${name}" in line or f"${{{name}}}" in line for name in SECRET_NAMES):
                    assert any(p.match(line.strip()) for p in allowed), f"{path.name}: {line}"


def actionlint() -> str | None:
    local = Path(sys.executable).parent / "actionlint"
    return str(local) if local.exists() else shutil.which("actionlint")


@pytest.mark.skipif(actionlint() is None, reason="no actionlint build installed")
def test_actionlint_finds_nothing():
    result = subprocess.run(
        [actionlint(), *sorted(str(p) for p in WORKFLOWS.glob("*.yml"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_installs_the_cli_version_the_tests_run():
    setup = ROOT / ".github" / "actions" / "pulumi-setup" / "action.yml"
    action = yaml.safe_load(setup.read_text())
    steps = {step.get("id") or step.get("name"): step for step in action["runs"]["steps"]}
    pinned = re.search(
        r"github\.com/pulumi/pulumi/pkg/v3 v(\S+)", (ROOT / "engine" / "go.mod").read_text()
    )

    read = subprocess.run(
        ["bash", "-c", steps["pin"]["run"]],
        cwd=ROOT,
        env={"GITHUB_OUTPUT": "/dev/stdout", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    install = next(s for s in action["runs"]["steps"] if "pulumi/actions" in s.get("uses", ""))

    assert pinned is not None and read.stdout.strip() == f"version={pinned.group(1)}"
    assert install["with"]["pulumi-version"] == "${{ steps.pin.outputs.version }}"
