"""Runs one step of a workflow or composite action the way a GitHub runner would, with stand-ins.

The step's `run:` script is taken from the YAML file and run with bash as GitHub runs it (a
workflow step without `shell:` under `bash -e`, a step with `shell: bash` under
`bash --noprofile --norc -eo pipefail`). Its `env:` is expanded from a context given by the test
(`matrix.stack`, `inputs.status`, `steps.canary.outputs.user`, …); an expression the context
does not hold fails the test. Commands such as `gh` or `pulumi` are replaced by a stand-in that
records its arguments and answers from a file, so that what a step would do to GitHub or the
backend is observed, not performed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
STEP_TIMEOUT_SECONDS = 30

STAND_IN = """#!{python}
# A stand-in for `{name}`: records its arguments, answers from the file the test chose.
import json, os, sys
with open(os.environ["STAND_IN_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"command": "{name}", "args": sys.argv[1:],
                          "gh_token": bool(os.environ.get("GH_TOKEN"))}}) + "\\n")
answers = json.loads(os.environ.get("STAND_IN_ANSWERS", "{{}}"))
for prefix, answer in answers.get("{name}", []):
    if sys.argv[1 : 1 + len(prefix)] == prefix:
        sys.stdout.write(answer.get("stdout", ""))
        sys.exit(answer.get("exit", 0))
"""


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return document


def find_step(document: dict[str, Any], name_or_id: str) -> dict[str, Any]:
    """The step with this id, or whose name starts with this text, in a workflow, one of its
    jobs, or a composite action."""
    if "runs" in document:
        steps = document["runs"]["steps"]
    elif "steps" in document:
        steps = document["steps"]
    else:
        steps = [s for job in document["jobs"].values() for s in job.get("steps", [])]
    found = [
        s for s in steps if s.get("id") == name_or_id or s.get("name", "").startswith(name_or_id)
    ]
    assert len(found) == 1, f"{len(found)} steps match {name_or_id!r}"
    return found[0]


def expand(value: Any, context: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        assert match.group(1) in context, f"the test gives no value for {match.group(0)}"
        return context[match.group(1)]

    return EXPRESSION.sub(replace, str(value))


@dataclass(frozen=True)
class StepRun:
    exit_code: int
    output: str
    calls: list[dict[str, Any]]
    github_output: dict[str, str]
    summary: str

    def called(self, command: str) -> list[list[str]]:
        return [call["args"] for call in self.calls if call["command"] == command]


def run_step(
    step: dict[str, Any],
    workdir: Path,
    context: dict[str, str],
    answers: dict[str, list[tuple[list[str], dict[str, Any]]]] | None = None,
    stand_ins: tuple[str, ...] = ("gh", "pulumi"),
) -> StepRun:
    """Run the step's script in `workdir`; `answers` maps a stand-in to (argument prefix,
    {"stdout", "exit"}) pairs, the first matching prefix answers. The stand-ins and the runner's
    files (GITHUB_OUTPUT, the step summary) live in a directory of their own."""
    with tempfile.TemporaryDirectory(prefix="step-") as scratch:
        runner = Path(scratch)
        for name in stand_ins:
            path = runner / name
            path.write_text(STAND_IN.format(python=sys.executable, name=name), encoding="utf-8")
            path.chmod(0o755)
        log, github_output, summary = (runner / n for n in ("calls", "output", "summary"))
        for path in (log, github_output, summary):
            path.write_text("", encoding="utf-8")
        env = {
            "PATH": f"{runner}:/usr/bin:/bin",
            "HOME": str(runner),
            "GITHUB_OUTPUT": str(github_output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_REPOSITORY": "contoso/asana-provisioning",
            "GITHUB_RUN_ID": "4242",
            "STAND_IN_LOG": str(log),
            "STAND_IN_ANSWERS": json.dumps(answers or {}),
            **{name: expand(value, context) for name, value in (step.get("env") or {}).items()},
        }
        shell = (
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
            if step.get("shell") == "bash"
            else ["bash", "-e", "-c"]
        )
        result = subprocess.run(
            [*shell, step["run"]],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_SECONDS,
            check=False,
        )
        lines = github_output.read_text(encoding="utf-8").splitlines()
        return StepRun(
            exit_code=result.returncode,
            output=result.stdout + result.stderr,
            calls=[json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()],
            github_output=dict(line.split("=", 1) for line in lines if "=" in line),
            summary=summary.read_text(encoding="utf-8"),
        )
