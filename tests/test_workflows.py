"""The GitHub workflows: triggers, least permissions, every stack, commands, no echoed secret.

Only what actionlint cannot check: which steps run, in which order, with which variables, and the
project's own rules. Syntax, expressions and contexts, the inputs given to actions and shellcheck
on every script are `make lint`'s (actionlint, tests/composite_shellcheck.py; tests/test_lint.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules.checkpoints import skips_checkpoints
from tests.workflow_runner import find_step, load, run_step
from tools.stacks import deploy_order, stack_files

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


def step_env(document: dict[str, Any], job: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    """The environment a step runs with, as the runner merges it: workflow, job, then step."""
    return {**(document.get("env") or {}), **(job.get("env") or {}), **(step.get("env") or {})}


def test_the_preview_runs_without_checkpoints_and_no_deploy_step_ever_does():
    """The engine reads the variable as `skips_checkpoints` does; the preview writes no state, a
    deploy under it would leave nothing to recover (rules/checkpoints.py)."""
    preview = workflow("preview")
    job = preview["jobs"]["preview"]
    step = find_step(preview, "preview")
    assert "pulumi preview " in step["run"]
    assert skips_checkpoints({k: str(v) for k, v in step_env(preview, job, step).items()})

    deploy = workflow("deploy")
    for deploy_job in deploy["jobs"].values():
        for deploy_step in deploy_job.get("steps", []):
            env = step_env(deploy, deploy_job, deploy_step)
            assert "PULUMI_SKIP_CHECKPOINTS" not in env, deploy_step.get("name")


def test_every_workflow_takes_its_stacks_from_the_one_listing():
    for name in ("preview", "drift", "deploy"):
        jobs = workflow(name)["jobs"]
        assert any(
            s.get("uses") == "./.github/actions/list-stacks" for s in jobs["stacks"]["steps"]
        )
        matrix = next(job for job in jobs.values() if "strategy" in job)["strategy"]["matrix"]
        assert matrix["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}", name


def test_the_listing_gives_every_stack_file_in_the_declared_order():
    listing = find_step(load(ACTIONS / "list-stacks" / "action.yml"), "list")

    run = run_step(listing, ROOT, {}, stand_ins=())

    assert run.exit_code == 0, run.output
    listed = json.loads(run.github_output["stacks"])
    assert listed == deploy_order(ROOT)
    assert sorted(listed) == sorted(stack_files(ROOT))


def test_the_listing_fails_naming_a_stack_file_missing_from_the_order(tmp_path):
    shutil.copytree(
        ROOT / "tools", tmp_path / "tools", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    *kept, left_out = deploy_order(ROOT)
    (tmp_path / "stacks" / "deploy-order").write_text("\n".join(kept) + "\n")
    listing = find_step(load(ACTIONS / "list-stacks" / "action.yml"), "list")

    run = run_step(listing, tmp_path, {}, stand_ins=())

    assert run.exit_code != 0
    assert f"stacks/Pulumi.{left_out}.yaml is not in stacks/deploy-order" in run.output
    assert "stacks" not in run.github_output


def deploy_job() -> dict[str, Any]:
    return workflow("deploy")["jobs"]["deploy"]


def test_deploy_runs_every_stack_one_at_a_time_in_order_behind_its_own_environment():
    deploy = workflow("deploy")
    job = deploy_job()
    order = [s.get("id") or s.get("name") or s.get("uses") for s in job["steps"]]

    assert deploy["on"]["push"]["branches"] == ["main"]
    assert job["needs"] == "stacks"
    assert job["strategy"]["max-parallel"] == 1
    assert job["strategy"]["fail-fast"] is True
    assert job["environment"] == "${{ matrix.stack }}"
    assert job["name"] == "deploy ${{ matrix.stack }}"  # the name the order guard looks for
    assert order.index("previous") < order.index("./.github/actions/pulumi-setup")
    assert order.index("./.github/actions/pulumi-setup") < order.index("pulumi up")
    script = runs(job)
    assert 'pulumi up --stack "$STACK" --yes --refresh' in script
    assert '--policy-pack policies --policy-pack-config "policies/config/$STACK.json"' in script


def jobs_page(jobs: list[tuple[str, int, str | None]]) -> str:
    listed = [{"name": n, "run_attempt": a, "conclusion": c} for n, a, c in jobs]
    return json.dumps({"total_count": len(listed), "jobs": listed})


@pytest.mark.parametrize(
    ("stack", "jobs", "deploys"),
    [
        ("dev", [], True),
        ("prod", [("deploy dev", 1, "success")], True),
        ("prod", [("deploy dev", 1, "failure")], False),
        ("prod", [("deploy dev", 1, "cancelled")], False),
        ("prod", [("deploy dev", 1, None)], False),
        ("prod", [], False),
        ("prod", [("deploy dev", 1, "success"), ("deploy dev", 2, "failure")], False),
        ("prod", [("deploy dev", 2, "success"), ("deploy dev", 1, "failure")], True),
        ("prod", [("deploy staging", 1, "success")], False),
    ],
    ids=[
        "the first stack needs nothing",
        "after the previous stack deployed",
        "not after it failed",
        "not after it was cancelled",
        "not while it runs",
        "not when it never ran",
        "not when its latest attempt failed",
        "after a re-run of it succeeded",
        "not after another stack",
    ],
)
def test_a_stack_deploys_only_after_the_one_before_it_deployed_in_this_run(
    tmp_path, stack, jobs, deploys
):
    guard = find_step(deploy_job(), "previous")
    context = {
        "github.token": "stand-in-token",
        "matrix.stack": stack,
        "needs.stacks.outputs.stacks": json.dumps(["dev", "prod"]),
    }
    answers = {"gh": [(["api"], {"stdout": jobs_page(jobs)})]}

    run = run_step(guard, tmp_path, context, answers)

    assert (run.exit_code == 0) is deploys, run.output
    if stack == "dev":
        assert run.calls == []
    else:
        (call,) = run.calls
        assert call["gh_token"] and "--paginate" in call["args"]
        assert (
            "repos/contoso/asana-provisioning/actions/runs/4242/jobs?filter=all" in call["args"][-1]
        )
    if not deploys:
        assert "::error::dev (before prod in stacks/deploy-order) has not deployed" in run.output


CANARY_VALUE = "canary-7f3a@contoso.com"
"""What `pulumi config get canaryUser` would print: a step must never need it."""


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({}, False),
        ({"asana-provisioning:canaryUser": {"value": "", "secret": False}}, False),
        ({"asana-provisioning:canaryUser": {"value": CANARY_VALUE, "secret": False}}, True),
        ({"asana-provisioning:canaryUser": {"secret": True}}, True),
    ],
    ids=["no canary", "only Pulumi.yaml's default", "a canary", "a canary set as a secret"],
)
def test_the_deployment_learns_only_whether_the_stack_names_a_canary(tmp_path, config, named):
    read = find_step(deploy_job(), "canary")
    answers = {
        "pulumi": [
            (["config", "--json"], {"stdout": json.dumps(config)}),
            (["config", "get", "canaryUser"], {"stdout": CANARY_VALUE + "\n"}),
        ]
    }

    run = run_step(read, tmp_path, {"matrix.stack": "dev"}, answers)

    assert run.exit_code == 0, run.output
    assert run.github_output == ({"set": "true"} if named else {})
    assert run.called("pulumi") == [["config", "--json", "--stack", "dev"]]  # never `get`
    assert CANARY_VALUE not in run.output


def test_reading_the_canary_fails_the_deployment_when_the_stack_config_cannot_be_read(tmp_path):
    read = find_step(deploy_job(), "canary")
    answers = {"pulumi": [(["config"], {"exit": 255})]}

    run = run_step(read, tmp_path, {"matrix.stack": "dev"}, answers)

    assert run.exit_code != 0 and "set" not in run.github_output


def stand_in_python(workdir: Path, script: str) -> None:
    """`.venv/bin/python` as the setup action makes it, replaced by a script."""
    python = workdir / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"#!/bin/bash\n{script}\n")
    python.chmod(0o755)


@pytest.mark.parametrize("status", [0, 1, 2])
def test_the_canary_is_provisioned_only_when_set_and_fails_the_deployment_unless_it_works(
    tmp_path, status
):
    provision = find_step(deploy_job(), "Provision the canary user")
    stand_in_python(
        tmp_path,
        f'printf "%s\\n" "$@" > health-args.txt\necho \'## Canary\' > canary.md\nexit {status}',
    )
    context = {"matrix.stack": "prod", "steps.canary.outputs.set": "true"}

    run = run_step(provision, tmp_path, context)

    assert provision["if"] == "steps.canary.outputs.set == 'true'"
    assert run.exit_code == status
    assert (tmp_path / "health-args.txt").read_text().split() == [
        "-m",
        "tools.health",
        "--stack",
        "prod",
        "--provision-on-demand",  # without a value: the tool reads the stack's canaryUser
        "--markdown",
        "canary.md",
        "--title",
        "canary-title.txt",
    ]
    assert "## Canary" in run.summary


def test_a_secret_canary_never_appears_in_the_deployments_output(tmp_path):
    """The steps run with a stack whose canaryUser is a secret: the value reaches neither the
    log, nor a step output, nor the summary, nor the tool's arguments."""
    config = {"asana-provisioning:canaryUser": {"secret": True}}
    answers = {
        "pulumi": [
            (["config", "--json"], {"stdout": json.dumps(config)}),
            (["config", "get"], {"stdout": CANARY_VALUE + "\n"}),
            (["config"], {"stdout": json.dumps({**config, "v": {"value": CANARY_VALUE}})}),
        ]
    }
    read = run_step(find_step(deploy_job(), "canary"), tmp_path, {"matrix.stack": "dev"}, answers)
    stand_in_python(
        tmp_path, 'printf "%s\\n" "$@" > health-args.txt\necho \'## Canary\' > canary.md'
    )
    context = {"matrix.stack": "dev", **{f"steps.canary.outputs.{k}": v
                                        for k, v in read.github_output.items()}}  # fmt: skip
    provision = run_step(find_step(deploy_job(), "Provision the canary user"), tmp_path, context)

    assert read.exit_code == 0 and provision.exit_code == 0, read.output + provision.output
    seen = [read.output, json.dumps(read.github_output), provision.output, provision.summary,
            (tmp_path / "health-args.txt").read_text()]  # fmt: skip
    assert all(CANARY_VALUE not in text for text in seen)


def test_drift_runs_on_a_schedule_and_by_hand_and_writes_no_state():
    drift = workflow("drift")
    script = runs(drift["jobs"]["drift"])

    assert drift["on"]["schedule"][0]["cron"]
    assert "workflow_dispatch" in drift["on"]
    assert "python -m scripts.drift_check --stack" in script  # the one command everyone runs
    assert "pulumi up" not in script and "--yes" not in script


def test_drift_checks_each_stacks_health_after_its_drift():
    ids = [s.get("id") for s in workflow("drift")["jobs"]["drift"]["steps"]]
    command = " ".join(find_step(workflow("drift"), "health")["run"].replace("\\\n", " ").split())

    assert ids.index("report") < ids.index("health")
    expected = "python -m tools.health --stack $STACK --markdown health.md --title health-title.txt"
    assert expected in command.replace('"', "")


@pytest.mark.parametrize("status", [0, 1, 2])
def test_the_health_step_keeps_the_verdict_and_puts_the_report_in_the_summary(tmp_path, status):
    health = find_step(workflow("drift"), "health")
    stand_in_python(
        tmp_path,
        f"echo '## Provisioning health of dev' > health.md\necho 'dev: paused' > health-title.txt\n"
        f"exit {status}",
    )

    run = run_step(health, tmp_path, {"matrix.stack": "dev"})

    assert run.exit_code == 0  # the steps after it act on the verdict
    assert run.github_output["status"] == str(status)
    assert "## Provisioning health of dev" in run.summary


ISSUE_STEPS = {
    "drift": ("Open, update or close the stack's drift issue", "report"),
    "provisioning-health": ("Open, update or close the stack's provisioning health", "health"),
}


@pytest.mark.parametrize("label", sorted(ISSUE_STEPS))
def test_each_check_keeps_one_issue_per_stack_and_a_failed_check_touches_none(label):
    name, check = ISSUE_STEPS[label]
    issue = find_step(workflow("drift"), name)
    condition = " ".join(issue["if"].split())

    assert issue["uses"] == "./.github/actions/stack-issue"
    assert issue["with"]["label"] == label
    assert issue["with"]["status"] == f"${{{{ steps.{check}.outputs.status }}}}"
    assert issue["with"]["stack"] == "${{ matrix.stack }}"
    assert issue["with"]["title-prefix"].endswith(" ${{ matrix.stack }}:")
    # Only a verdict (0 or 2) touches the issue; a failed (1) or skipped check does not.
    assert f"steps.{check}.outputs.status == '0'" in condition
    assert f"steps.{check}.outputs.status == '2'" in condition


@pytest.mark.parametrize(
    ("drift", "health", "failed"),
    [("1", "0", "drift"), ("0", "1", "health"), ("2", "137", "health")],
)
def test_a_check_that_failed_itself_fails_the_drift_job(tmp_path, drift, health, failed):
    fail = find_step(workflow("drift"), "Fail when a check itself failed")
    condition = " ".join(fail["if"].split())
    context = {"steps.report.outputs.status": drift, "steps.health.outputs.status": health}

    run = run_step(fail, tmp_path, context)

    for check in ("report", "health"):
        assert f"steps.{check}.outputs.status != '0'" in condition
        assert f"steps.{check}.outputs.status != '2'" in condition
    assert run.exit_code == 1
    assert f"::error::The {failed} check failed" in run.output
    assert run.output.count("::error::") == 1


def issue_run(tmp_path: Path, status: str, open_issues: list[dict[str, Any]], **inputs: str):
    (tmp_path / "title.txt").write_text(inputs.pop("title", "Provisioning health of dev: paused"))
    (tmp_path / "report.md").write_text("## The job is paused\n")
    with_inputs = {
        "status": status,
        "stack": "dev",
        "label": "provisioning-health",
        "label-color": "B60205",
        "label-description": "Provisioning to Asana is failing or stopped",
        "title-prefix": "Provisioning health of dev:",
        "title-file": "title.txt",
        "body-file": "report.md",
        "resolved": "Healthy again",
        "token": "stand-in-token",
        **inputs,
    }
    context = {f"inputs.{key}": value for key, value in with_inputs.items()}
    context |= {
        "github.repository": "contoso/asana-provisioning",
        "github.server_url": "https://github.com",
        "github.run_id": "4242",
    }
    answers = {"gh": [(["issue", "list"], {"stdout": json.dumps(open_issues)})]}
    issue_step = find_step(load(ACTIONS / "stack-issue" / "action.yml"), "Open, update or close")
    return run_step(issue_step, tmp_path, context, answers)


RUN_URL = "https://github.com/contoso/asana-provisioning/actions/runs/4242"
MARKED = {"number": 7, "title": "anything", "body": "<!-- provisioning-health:dev -->\nold"}
OTHER_STACK = {"number": 8, "title": "x", "body": "<!-- provisioning-health:prod -->\nold"}


def test_a_problem_opens_a_labelled_issue_marked_for_its_stack(tmp_path):
    run = issue_run(tmp_path, "2", [OTHER_STACK])

    assert run.exit_code == 0, run.output
    (listing, label, create) = run.called("gh")
    assert listing[:2] == ["issue", "list"] and listing[listing.index("--label") + 1] == (
        "provisioning-health"
    )
    assert label[:3] == ["label", "create", "provisioning-health"]
    assert create == [
        "issue",
        "create",
        "--title",
        "Provisioning health of dev: paused",
        "--body-file",
        "issue-body.md",
        "--label",
        "provisioning-health",
    ]
    body = (tmp_path / "issue-body.md").read_text()
    assert body.startswith("<!-- provisioning-health:dev -->\n## The job is paused")
    assert RUN_URL in body
    assert all(call["gh_token"] for call in run.calls)


def test_a_lasting_problem_updates_the_stacks_issue_found_by_its_marker(tmp_path):
    run = issue_run(tmp_path, "2", [OTHER_STACK, MARKED], title="dev: quarantined")

    assert run.exit_code == 0, run.output
    (_, edit) = run.called("gh")
    assert edit[:3] == ["issue", "edit", "7"]
    assert edit[edit.index("--title") + 1] == "Provisioning health of dev: dev: quarantined"


def test_an_issue_opened_before_markers_is_found_by_its_title_prefix(tmp_path):
    legacy = {"number": 3, "title": "Drift in dev: Users and groups", "body": "report"}
    inputs = {"label": "drift", "title-prefix": "Drift in dev:", "title": "Drift in dev: SSO"}

    run = issue_run(tmp_path, "2", [legacy], **inputs)

    (_, edit) = run.called("gh")
    assert edit[:3] == ["issue", "edit", "3"]
    assert edit[edit.index("--title") + 1] == "Drift in dev: SSO"  # not prefixed twice


def test_a_passing_check_closes_the_stacks_issue_with_a_comment(tmp_path):
    run = issue_run(tmp_path, "0", [MARKED, OTHER_STACK])

    assert run.exit_code == 0, run.output
    (_, close) = run.called("gh")
    assert close == ["issue", "close", "7", "--comment", f"Healthy again: {RUN_URL}"]


def test_a_passing_check_without_an_open_issue_writes_nothing(tmp_path):
    run = issue_run(tmp_path, "0", [OTHER_STACK])

    assert run.exit_code == 0, run.output
    assert [args[:2] for args in run.called("gh")] == [["issue", "list"]]


@pytest.mark.parametrize("status", ["1", ""])
def test_the_issue_action_refuses_anything_but_a_verdict(tmp_path, status):
    run = issue_run(tmp_path, status, [MARKED])

    assert run.exit_code == 1
    assert run.calls == []


def test_every_stack_is_selected_and_created_when_missing_from_the_backend():
    selects = [
        line.strip()
        for _, document in all_documents()
        for s in steps_of(document)
        for line in s.get("run", "").splitlines()
        if "pulumi stack select" in line
    ]

    assert selects == ['pulumi stack select --create "$STACK"']


def test_every_job_that_runs_pulumi_sets_it_up_with_the_pinned_cli_first():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for name, job in load(path)["jobs"].items():
            steps = job.get("steps", [])
            uses_pulumi = [
                i
                for i, s in enumerate(steps)
                if re.search(r"\bpulumi |\.venv/bin/python", s.get("run", ""))
            ]
            if not uses_pulumi:
                continue
            setup = [
                i for i, s in enumerate(steps) if s.get("uses") == "./.github/actions/pulumi-setup"
            ]
            assert setup and setup[0] < uses_pulumi[0], f"{path.name}:{name}"
    installs = [
        (path.parent.name, s["uses"])
        for path, document in all_documents()
        for s in steps_of(document)
        if "pulumi/actions" in s.get("uses", "") or "setup-pulumi" in s.get("uses", "")
    ]
    assert installs == [("pulumi-setup", "pulumi/actions@v7.0.0")]


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
        ("deploy", "stacks"): set(),
        ("deploy", "deploy"): {"id-token"},
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


@pytest.mark.parametrize(("backend", "selected"), [("", False), ("https://api.pulumi.com", True)])
def test_ci_refuses_to_select_a_stack_without_a_shared_backend(tmp_path, backend, selected):
    """Left empty, PULUMI_BACKEND_URL would mean Pulumi.yaml's folder of a fresh clone: a new,
    empty state in which `up` would create a second app."""
    action = load(ACTIONS / "pulumi-setup" / "action.yml")
    step = find_step(action, "Select the stack (created when the backend does not have it yet)")
    step = {**step, "env": {**step["env"], "PULUMI_BACKEND_URL": backend}}

    run = run_step(step, tmp_path, {"inputs.stack": "dev", "inputs.asana-token": ""})

    assert (run.exit_code == 0) is selected
    assert bool(run.called("pulumi")) is selected
    if not selected:
        assert "PULUMI_BACKEND_URL is empty" in run.output


def test_the_setup_action_builds_the_policy_packs_environment_on_a_fresh_runner(tmp_path):
    """The pinned CLI does not create a local pack's virtualenv; a runner has none, so the
    preview and deploy workflows' `--policy-pack policies` failed there before this step."""
    step = find_step(load(ACTIONS / "pulumi-setup" / "action.yml"), "Build the policy pack")
    (tmp_path / "policies").mkdir()
    shutil.copy(ROOT / "policies" / "requirements.txt", tmp_path / "policies")
    tools = tmp_path / "runner-bin"
    tools.mkdir()
    (tools / "python").symlink_to(shutil.which("python3") or sys.executable)

    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        env={"PATH": f"{tools}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert ran.returncode == 0, ran.stderr[-2000:]
    pack_python = tmp_path / "policies" / "venv" / "bin" / "python"
    imported = subprocess.run(
        [str(pack_python), "-c", "import pulumi_policy"], capture_output=True, timeout=60
    )
    assert imported.returncode == 0
