"""The drift check exactly as `.github/workflows/drift.yml` runs it, in a workspace.

The script of the workflow's drift step is read from the workflow file and run with bash, with
the variables GitHub Actions would give it, so that what runs here is what runs in CI:
`python -m scripts.drift_check`, which refreshes without writing state and writes the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.engine import ROOT
from tests.e2e.workspace import CliRun, Workspace

WORKFLOW = ROOT / ".github" / "workflows" / "drift.yml"
STEP_TIMEOUT_SECONDS = 600.0
NO_DRIFT, FAILED, DRIFT = 0, 1, 2


@dataclass(frozen=True)
class DriftCheck:
    pulumi_exit_code: int
    status: int
    report: str
    title: str
    runs: tuple[CliRun, ...]

    @property
    def log(self) -> str:
        """What the steps printed besides their files (Pulumi's errors go to the job log)."""
        return "\n".join(run.output.strip() for run in self.runs if run.output.strip())


def _steps() -> dict[str, dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = [step for job in workflow["jobs"].values() for step in job.get("steps", [])]
    return {step["id"]: step for step in steps if "id" in step}


def _outputs(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line)


def run_drift_check(workspace: Workspace, stack: str) -> DriftCheck:
    """Run the workflow's drift step; raise if the step itself broke (its script always exits 0
    and reports the check's own status in GITHUB_OUTPUT)."""
    step = _steps()["report"]
    github = workspace.base / "github"
    github.mkdir(exist_ok=True)
    output = github / "report.out"
    output.unlink(missing_ok=True)
    literal = {
        name: str(value)
        for name, value in (step.get("env") or {}).items()
        if "${{" not in str(value)
    }
    env = {
        **literal,
        "STACK": stack,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(github / "summary.md"),
    }
    run = workspace.shell(step["run"], env, STEP_TIMEOUT_SECONDS)
    if run.exit_code != 0:
        raise AssertionError(f"the drift workflow's step failed:\n{run.output}")
    exited = re.search(r"pulumi refresh exited (\d+)", run.stderr)
    project = workspace.project
    return DriftCheck(
        pulumi_exit_code=int(exited.group(1)) if exited else -1,
        status=int(_outputs(output)["status"]),
        report=(project / "report.md").read_text(encoding="utf-8"),
        title=(project / "title.txt").read_text(encoding="utf-8").strip(),
        runs=(run,),
    )
