"""The drift check exactly as `.github/workflows/drift.yml` runs it, in a workspace.

The scripts of the workflow's `refresh` and `report` steps are read from the workflow file and
run with bash, with the variables GitHub Actions would give them, so that what runs here is
what runs in CI: `pulumi refresh --preview-only --expect-no-changes --json`, then
`scripts.drift_report` on its output and exit code.
"""

from __future__ import annotations

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
    document: str
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
    """Run the workflow's two steps; raise if a step itself broke (not drift: a broken step)."""
    steps = _steps()
    github = workspace.base / "github"
    github.mkdir(exist_ok=True)
    results: list[CliRun] = []
    values: dict[str, dict[str, str]] = {}
    for step_id, extra in (("refresh", {}), ("report", None)):
        output = github / f"{step_id}.out"
        output.unlink(missing_ok=True)
        # The step's own literal variables (PULUMI_DEBUG_COMMANDS), then what Actions fills in.
        literal = {
            name: str(value)
            for name, value in (steps[step_id].get("env") or {}).items()
            if "${{" not in str(value)
        }
        env = {**literal, "STACK": stack, "GITHUB_OUTPUT": str(output)}
        if extra is None:  # the report step reads the refresh step's exit code
            env["CODE"] = values["refresh"]["code"]
            env["GITHUB_STEP_SUMMARY"] = str(github / "summary.md")
        run = workspace.shell(steps[step_id]["run"], env, STEP_TIMEOUT_SECONDS)
        results.append(run)
        if run.exit_code != 0:
            raise AssertionError(f"the drift workflow's {step_id} step failed:\n{run.output}")
        values[step_id] = _outputs(output)
    project = workspace.project
    return DriftCheck(
        pulumi_exit_code=int(values["refresh"]["code"]),
        status=int(values["report"]["status"]),
        report=(project / "report.md").read_text(encoding="utf-8"),
        title=(project / "title.txt").read_text(encoding="utf-8").strip(),
        document=(project / "drift.json").read_text(encoding="utf-8"),
        runs=tuple(results),
    )
