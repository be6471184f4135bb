"""`make lint` really runs the pinned actionlint, with the pinned shellcheck, on the workflows, and
shellcheck on the composite actions' scripts: each command taken from `make -n lint` and run on
a scratch repository whose .github/ holds a deliberate mistake, then the same without it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="GNU make is not installed")

BROKEN_WORKFLOW = """\
name: broken
on: push
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: echo $UNQUOTED
      - run: echo "${{ matrix.nosuch }}"
"""
FIXED_WORKFLOW = """\
name: fixed
on: push
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: echo "$QUOTED"
      - run: echo "${{ github.sha }}"
"""
COMPOSITE_ACTION = """\
name: Scratch
description: a composite action for the lint test
inputs:
  stack:
    description: a stack
    required: true
runs:
  using: composite
  steps:
    - shell: bash
      env:
        STACK: ${{{{ inputs.stack }}}}
      run: |
        if [ -z ${{{{ inputs.stack }}}} ]; then exit 1; fi
        echo {stack}
"""


def lint_command(tool: str) -> str:
    """The one line of `make -n lint` that runs `tool`."""
    assert MAKE is not None
    printed = subprocess.run(
        [MAKE, "--no-print-directory", "-n", "-C", str(ROOT), "lint"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    (line,) = [line for line in printed if tool in line]
    return line


def run_in(repository: Path, command: str) -> subprocess.CompletedProcess[str]:
    """The command as make runs it, from `repository`, with no shellcheck of the machine's on
    PATH unless /usr/bin has one (the Makefile must put the pinned one first)."""
    return subprocess.run(
        ["bash", "-c", command],
        cwd=repository,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repository)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def scratch_repository(tmp_path: Path, workflow: str) -> Path:
    workflows = tmp_path / "repo" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "check.yml").write_text(workflow)
    (tmp_path / "repo" / ".git").mkdir()  # actionlint looks for the repository's root
    return workflows.parent.parent


def test_make_lint_runs_the_pinned_actionlint_with_the_pinned_shellcheck_first_on_path():
    command = lint_command("actionlint")

    assert command.startswith(f'PATH="{VENV_BIN}:$PATH" ')
    assert command.endswith(f'"{VENV_BIN / "actionlint"}"')
    assert (VENV_BIN / "actionlint").exists() and (VENV_BIN / "shellcheck").exists(), "make venv"


def test_make_lint_fails_a_workflow_with_a_shell_and_an_expression_mistake(tmp_path):
    broken = run_in(
        scratch_repository(tmp_path / "broken", BROKEN_WORKFLOW), lint_command("actionlint")
    )
    fixed = run_in(
        scratch_repository(tmp_path / "fixed", FIXED_WORKFLOW), lint_command("actionlint")
    )

    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "check.yml:9:" in broken.stdout and "SC2086" in broken.stdout  # shellcheck ran
    assert "[shellcheck]" in broken.stdout
    assert 'property "nosuch" is not defined' in broken.stdout and "[expression]" in broken.stdout
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert fixed.stdout == ""


@pytest.mark.parametrize(("stack", "found"), [("$STACK", True), ('"$STACK"', False)])
def test_make_lint_runs_shellcheck_on_a_composite_actions_scripts(tmp_path, stack, found):
    repository = scratch_repository(tmp_path, FIXED_WORKFLOW)
    action = repository / ".github" / "actions" / "scratch" / "action.yml"
    action.parent.mkdir(parents=True)
    action.write_text(COMPOSITE_ACTION.format(stack=stack))

    run = run_in(repository, lint_command("composite_shellcheck"))

    assert run.returncode == (1 if found else 0), run.stdout + run.stderr
    assert "on 1 run: scripts in 1 actions" in run.stderr
    if found:  # the `run:` key's line, the script's own line below it
        (finding,) = run.stdout.splitlines()
        assert finding.startswith(f"{action}:13:7: shellcheck reported issue in this script: ")
        assert "SC2086:info:2:6:" in finding
    else:  # `[ -z ${{ }} ]` reads as a constant (SC2157), which actionlint leaves out too
        assert run.stdout == ""


def test_a_composite_step_without_a_shell_is_reported(tmp_path):
    repository = scratch_repository(tmp_path, FIXED_WORKFLOW)
    action = repository / ".github" / "actions" / "scratch" / "action.yml"
    action.parent.mkdir(parents=True)
    action.write_text(
        COMPOSITE_ACTION.format(stack='"$STACK"').replace(
            "    - shell: bash\n      env", "    - env"
        )
    )

    run = run_in(repository, lint_command("composite_shellcheck"))

    assert run.returncode == 1
    assert f"{action}:12:7: a composite action's step with run: needs shell:" in run.stdout
