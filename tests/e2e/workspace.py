"""A private copy of the project for the real CLI, and a runner that times and records each call.

`pulumi stack init` writes the stack's encryption salt into `stacks/Pulumi.<stack>.yaml` and
`pulumi config set` rewrites that file (quoting booleans and numbers), so the CLI never runs in
the repository itself: each workspace links the program's code, copies the stack files it needs
and keeps its own state backend and plugin home.

A workspace's stacks are driven through Pulumi's Automation API (`Workspace.stack`: `up`,
`preview`, `destroy`, typed events and summaries), with the product's own PulumiCli
(clients/pulumi_cli.py) in the workspace's closed environment; `Workspace.pulumi` runs any
other command line as written. Both record each call in `runs`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi.automation import CommandResult, Stack

from clients.pulumi_cli import PulumiCli, open_stack
from tests.e2e.engine import ROOT, cli_environment, engine_bin

LINKED = (
    "__main__.py",
    "policies",
    *sorted(
        path.name
        for path in ROOT.iterdir()
        if (path / "__init__.py").is_file() and path.name not in {"tests", "benchmarks"}
    ),
)
"""What the program, the drift workflow and the README's commands read from the project: the
program, the policy pack and every package of the product (components, providers, rules, …)."""
DEFAULT_TIMEOUT_SECONDS = 600.0


@dataclass(frozen=True)
class CliRun:
    """One finished CLI call."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def said(self) -> str:
        """What the CLI printed, with its line wrapping undone: a message the CLI wrapped
        still matches as one sentence."""
        return " ".join(self.output.split())


class CliFailed(AssertionError):
    """The CLI exited with a code the caller did not expect."""

    def __init__(self, run: CliRun, expected: Sequence[int]) -> None:
        tail = "\n".join(run.output.strip().splitlines()[-40:])
        super().__init__(
            f"`pulumi {' '.join(run.args)}` exited {run.exit_code} (expected "
            f"{' or '.join(map(str, expected))}) after {run.seconds:.1f} s:\n{tail}"
        )
        self.run = run


@dataclass
class Workspace:
    """A Pulumi project (ours by default) as the CLI sees it, under `base`: `project/`, `state/`
    and `home/`. `source` holds its Pulumi.yaml and the files in `linked`; the virtualenv is
    always the repository's."""

    base: Path
    ca_bundle: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    runs: list[CliRun] = field(default_factory=list)
    source: Path = ROOT
    linked: tuple[str, ...] = LINKED

    def __post_init__(self) -> None:
        self.project = self.base / "project"
        self.state = self.base / "state"
        self.home = self.base / "home"
        for folder in (self.project / "stacks", self.state, self.home):
            folder.mkdir(parents=True, exist_ok=True)
        (self.project / "Pulumi.yaml").write_bytes((self.source / "Pulumi.yaml").read_bytes())
        links = {name: self.source / name for name in self.linked}
        links[".venv"] = ROOT / ".venv"
        for name, target in links.items():
            link = self.project / name
            if not link.exists():
                link.symlink_to(target)

    @property
    def env(self) -> dict[str, str]:
        return cli_environment(
            backend=self.state, home=self.home, ca_bundle=self.ca_bundle, extra=self.extra_env
        )

    def stack(
        self, name: str, *, create: bool = False, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> Stack:
        """The stack `name` through Pulumi's Automation API (`create`: `pulumi stack init` it),
        each CLI call bounded by `timeout` and recorded in `runs`."""
        return open_stack(name, RecordingCli(self, timeout), work_dir=self.project, create=create)

    def stack_file(self, stack: str) -> Path:
        return self.project / "stacks" / f"Pulumi.{stack}.yaml"

    def create_stack(
        self, stack: str, settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> None:
        """Write the stack file with `settings`, create the stack (`pulumi stack init`, through
        the Automation API), then set each secret with `pulumi config set --secret`, the value on
        standard input: not the API's Stack.set_config, which passes the value on the command
        line (where `ps` shows it)."""
        document = {"config": dict(settings)}
        self.stack_file(stack).write_text(yaml.safe_dump(document, sort_keys=False))
        self.stack(stack, create=True)
        for key, value in secrets.items():
            self.pulumi("config", "set", "--secret", "--stack", stack, key, stdin=value)

    def pulumi(
        self,
        *args: str,
        expect: int | Sequence[int] = 0,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        stdin: str | None = None,
    ) -> CliRun:
        """Run `pulumi ARGS` in the workspace; raise CliFailed unless it exits as expected.
        A secret goes in through `stdin`, never on the command line (where `ps` shows it)."""
        expected = (expect,) if isinstance(expect, int) else tuple(expect)
        run = run_command(
            ["pulumi", *args], cwd=self.project, env=self.env, timeout=timeout, stdin=stdin
        )
        run = CliRun(tuple(args), run.exit_code, run.stdout, run.stderr, run.seconds)
        self.runs.append(run)
        if run.exit_code not in expected:
            raise CliFailed(run, expected)
        return run

    def leftover_processes(self) -> list[str]:
        """Processes still running with this workspace's environment; none should outlive a
        run."""
        return leftover_processes(self.home)

    def shell(self, script: str, env: Mapping[str, str], timeout: float) -> CliRun:
        """Run a workflow step's `run:` script with bash, as GitHub Actions does."""
        command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script]
        run = run_command(command, cwd=self.project, env={**self.env, **env}, timeout=timeout)
        self.runs.append(run)
        return run


class RecordingCli(PulumiCli):
    """The pinned CLI as the Automation API runs it, in the workspace's closed environment
    (nothing of the caller's, as for `Workspace.pulumi`), each finished call recorded in the
    workspace's `runs` (args as the API built them)."""

    def __init__(self, workspace: Workspace, timeout: float) -> None:
        super().__init__(str(engine_bin() / "pulumi"), timeout=timeout, environment=workspace.env)
        self.runs = workspace.runs

    def run(self, args, cwd, additional_env, on_output=None, on_error=None) -> CommandResult:
        started, done = time.monotonic(), len(self.calls)
        try:
            return super().run(args, cwd, additional_env, on_output, on_error)
        finally:
            for call in self.calls[done:]:
                result, seconds = call.result, time.monotonic() - started
                self.runs.append(
                    CliRun(call.args, result.code, result.stdout, result.stderr, seconds)
                )


def leftover_processes(home: Path) -> list[str]:
    """Processes still running with PULUMI_HOME=`home` (the CLI and every plugin it starts
    inherit it), as "pid command" lines."""
    marker = f"PULUMI_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        found.append(f"{entry.name} {command.strip()}")
    return found


def run_command(
    command: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    stdin: str | None = None,
) -> CliRun:
    """Run a command in its own process group, so that a timeout ends its plugins too."""
    started = time.monotonic()
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            stderr += f"\n[killed after {timeout:.0f} s]"
        finally:
            # Plugins normally stop with the CLI; anything left in the group is ended here.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    return CliRun(tuple(command), process.returncode, stdout, stderr, time.monotonic() - started)
