"""`python -m tools.health` run in a workspace, as `make health STACK=<stack>` runs it: the real
Pulumi CLI reads the stack's settings and outputs, and the tool reads Graph (the local tenant)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.e2e.engine import VENV
from tests.e2e.workspace import CliRun, Workspace, run_command

HEALTHY, FAILED, UNHEALTHY = 0, 1, 2
TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class HealthCheck:
    status: int
    text: str
    markdown: str
    title: str
    run: CliRun


def run_health_check(workspace: Workspace, stack: str, *args: str) -> HealthCheck:
    """Run the check in the workspace's project with its CLI environment."""
    report, title = workspace.base / "health.md", workspace.base / "health-title.txt"
    for path in (report, title):
        path.unlink(missing_ok=True)
    command = [
        str(VENV / "bin" / "python"), "-m", "tools.health", "--stack", stack,
        "--markdown", str(report), "--title", str(title), *args,
    ]  # fmt: skip
    run = run_command(command, cwd=workspace.project, env=workspace.env, timeout=TIMEOUT_SECONDS)
    workspace.runs.append(run)
    return HealthCheck(
        status=run.exit_code,
        text=run.stdout,
        markdown=report.read_text(encoding="utf-8") if report.exists() else "",
        title=title.read_text(encoding="utf-8").strip() if title.exists() else "",
        run=run,
    )
