"""The stack, through Pulumi's Automation API (`pulumi.automation`, in the SDK we pin): how the
commands (scripts/, tools/) and the e2e tests drive the Pulumi CLI.

The API runs the CLI for each operation through a `PulumiCommand`. `PulumiCli` is that command
with what the API lacks and our commands need:

- a time limit per call that ends the CLI together with everything it started (its process
  group, and its language host and plugins, which the CLI starts in process groups of their
  own): SIGINT first (Pulumi cancels and stops its plugins), then SIGTERM, then SIGKILL.
  Upstream's `PulumiCommand.run` waits without a limit and runs the CLI in the caller's process
  group, so a timeout there would orphan the plugins;
- the exit status and error output of each call (`PulumiCli.calls`, `.last`): upstream's
  `CommandError` keeps only its text, which quotes the CLI's standard output too (secrets, for
  `config --show-secrets`), and the drift check tells `--expect-no-changes`' 7 (changes) from
  1 (failure);
- the CLI as a name on PATH or a path (`--pulumi`), its version read only when the API needs
  it (to choose the event log's transport), with the same time limit, and no minimum of the
  API's own (the drift check has its own, tools/recover and tools/health need none).

`open_stack` opens a stack of the project in a directory (by default the current one, where the
commands run) without `pulumi stack select`: the API's `Stack.select` runs it, and that changes
the stack every later `pulumi` typed in that folder acts on. Each call passes `--stack` anyway.
The backend is the CLI's own rule, as before: PULUMI_BACKEND_URL when set, else Pulumi.yaml's
`backend.url`, resolved in the project directory.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi.automation import (
    CommandResult,
    LocalWorkspace,
    OnOutput,
    PulumiCommand,
    Stack,
)
from pulumi.automation.errors import create_command_error
from semver import VersionInfo

DEFAULT_GRACE_SECONDS = 10.0
"""How long the CLI's process group gets after SIGINT, and again after SIGTERM, to end."""


class CliUnavailable(Exception):
    """The CLI cannot be run, or `pulumi version` does not print a version."""


class CliTimedOut(Exception):
    """A call did not finish within its time limit; the CLI and its plugins were ended."""

    def __init__(self, subcommand: str, seconds: float) -> None:
        super().__init__(f"`pulumi {subcommand}` did not finish within {seconds:.0f} s")
        self.subcommand = subcommand
        self.seconds = seconds


@dataclass(frozen=True)
class CliCall:
    """One finished call: its arguments (as the API built them) and what it returned."""

    args: tuple[str, ...]
    result: CommandResult

    @property
    def code(self) -> int:
        return self.result.code

    def subcommand(self, words: int = 1) -> str:
        return subcommand(self.args, words)

    def failure(self, words: int = 2, lines: int = 3) -> str:
        """What failed, from the error output only, e.g. `pulumi config --show-secrets`
        exited 255: error: no stack named dev found."""
        tail = " ".join(self.result.stderr.strip().splitlines()[-lines:])
        return f"`pulumi {self.subcommand(words)}` exited {self.code}: {tail}"


def subcommand(args: Sequence[str], words: int = 1) -> str:
    """The first `words` arguments after the API's leading --non-interactive, e.g.
    `config --show-secrets` of `--non-interactive config --show-secrets --json ...`."""
    return " ".join([arg for arg in args if arg != "--non-interactive"][:words])


class PulumiCli(PulumiCommand):
    """The Automation API's PulumiCommand, bounded in time (see the module's docstring)."""

    def __init__(
        self,
        command: str = "pulumi",
        *,
        timeout: float,
        grace: float = DEFAULT_GRACE_SECONDS,
        version: VersionInfo | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        """`environment`: what each call's environment starts from instead of this process's
        (the e2e tests run the CLI in a closed one)."""
        # Not PulumiCommand.__init__: it runs `pulumi version` at once, without a time limit,
        # and refuses a CLI older than the API's minimum.
        self.command = command
        self.timeout = timeout
        self.grace = grace
        self.environment = dict(environment) if environment is not None else None
        self._version = version
        self.calls: list[CliCall] = []

    @property
    def last(self) -> CliCall | None:
        """The last call that finished (none after a timeout)."""
        return self.calls[-1] if self.calls else None

    @property  # type: ignore[override]
    def version(self) -> VersionInfo:
        """The CLI's version, read once (`pulumi version`), within the time limit."""
        if self._version is None:
            self._version = read_version(self.command, self.timeout, self.environment)
        return self._version

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
    ) -> CommandResult:
        """As PulumiCommand.run (--non-interactive first, PULUMI_AUTOMATION_API, the CLI's own
        folder first on PATH, each output line to its callback, CommandError on a non-zero
        exit), with the CLI in a process group of its own, ended at the time limit."""
        args = list(args)
        separator = args.index("--") if "--" in args else len(args)
        if "--non-interactive" not in args[:separator]:
            args.insert(0, "--non-interactive")
        base = os.environ if self.environment is None else self.environment
        env = {**base, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        if os.path.isabs(self.command):
            # No empty entry when PATH is unset or empty: that would be the current directory.
            folder, path = os.path.dirname(self.command), env.get("PATH")
            env["PATH"] = os.pathsep.join([folder, path]) if path else folder
        deadline = time.monotonic() + self.timeout
        try:
            process = subprocess.Popen(
                [self.command, *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                env=env,
                encoding="utf-8",
                start_new_session=True,
            )
        except OSError as error:
            raise CliUnavailable(f"cannot run {self.command}: {error.strerror or error}") from None
        stdout: list[str] = []
        stderr: list[str] = []
        readers = [
            threading.Thread(target=_lines, args=(process.stdout, on_output, stdout), daemon=True),
            threading.Thread(target=_lines, args=(process.stderr, on_error, stderr), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            process.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            end_process_group(process, self.grace)
            _join(readers, self.grace)
            raise CliTimedOut(subcommand(args), self.timeout) from None
        except BaseException:  # Ctrl-C or a signal to us: leave nothing behind either
            end_process_group(process, self.grace)
            raise
        # The output ends when the last process holding it does: normally the CLI itself.
        if not _join(readers, max(deadline - time.monotonic(), self.grace)):
            end_process_group(process, self.grace)
            _join(readers, self.grace)
        result = CommandResult(
            stdout="\n".join(stdout), stderr="\n".join(stderr), code=process.returncode
        )
        self.calls.append(CliCall(tuple(args), result))
        if result.code != 0:
            raise create_command_error(result)
        return result


def _lines(stream: Any, callback: OnOutput | None, lines: list[str]) -> None:
    """Read a pipe to its end, line by line, as PulumiCommand.run does."""
    for line in iter(stream.readline, ""):
        stripped = line.rstrip()
        if callback is not None:
            callback(stripped)
        lines.append(stripped)
    stream.close()


def _join(threads: Sequence[threading.Thread], seconds: float) -> bool:
    """Wait up to `seconds` in all for the threads; whether all ended."""
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
    return not any(thread.is_alive() for thread in threads)


def read_version(
    command: str, timeout: float, environment: Mapping[str, str] | None = None
) -> VersionInfo:
    """`pulumi version`, e.g. v3.276.0."""
    env = {**(os.environ if environment is None else environment)}
    env["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    try:
        output = subprocess.run(
            [command, "version"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
            env=env,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        raise CliUnavailable(f"cannot run `{command} version`: {error}") from None
    found = re.match(r"v?(\d+)\.(\d+)\.(\d+)", output)
    if found is None:
        raise CliUnavailable(f"`{command} version` printed {output!r}, not a version")
    return VersionInfo(*(int(part) for part in found.groups()))


class ProjectWorkspace(LocalWorkspace):
    """LocalWorkspace on a project directory that never selects a stack (see the module's
    docstring): a stack that does not exist fails its first command instead."""

    def select_stack(self, stack_name: str) -> None:
        return None


def open_stack(
    name: str,
    cli: PulumiCommand,
    *,
    work_dir: Path | str | None = None,
    env_vars: Mapping[str, str] | None = None,
    pulumi_home: Path | str | None = None,
    create: bool = False,
) -> Stack:
    """The existing stack `name` of the project in `work_dir` (default: the current directory),
    driven through `cli`; `env_vars` are added to the environment of each call. With `create`,
    a new stack (`pulumi stack init`, which also selects it)."""
    workspace = ProjectWorkspace(
        work_dir=str(work_dir or Path.cwd()),
        pulumi_home=str(pulumi_home) if pulumi_home is not None else None,
        env_vars=dict(env_vars or {}),
        pulumi_command=cli,
    )
    return Stack.create(name, workspace) if create else Stack.select(name, workspace)


def run_cli(
    stack: Stack,
    *args: str,
    on_output: OnOutput | None = None,
    on_error: OnOutput | None = None,
) -> CommandResult:
    """`pulumi ARGS --stack NAME` through the stack's own command, directory and environment,
    for what the API has no method for; CommandError when it fails."""
    workspace = stack.workspace
    env = dict(workspace.env_vars)
    if workspace.pulumi_home is not None:
        env["PULUMI_HOME"] = workspace.pulumi_home
    return workspace.pulumi_command.run(
        [*args, "--stack", stack.name], workspace.work_dir, env, on_output, on_error
    )


def end_process_group(process: subprocess.Popen[Any], grace: float) -> None:
    """End the process group `process` leads (started with start_new_session) and every process
    it started: SIGINT first (Pulumi cancels and stops its plugins), then SIGTERM, each given
    `grace` seconds for all of them to be gone, then SIGKILL; the leader is reaped.

    The group alone is not enough: the CLI starts each plugin (the language host, the
    providers) in a process group of its own (pulumi sdk/go/common/util/cmdutil,
    RegisterProcessGroup), so a plugin that outlives the CLI would keep running, orphaned. Its
    descendants are therefore found from /proc (Linux) while the CLI still runs, and signalled
    with the group."""
    group = process.pid
    tree = _Tree.of(process.pid)
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        alive = _signal_group(group, signal_number)
        if signal_number == signal.SIGTERM:
            alive = tree.signal(signal_number) or alive
        if not alive:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and (_group_alive(process, group) or tree.alive()):
            time.sleep(0.05)
        if not (_group_alive(process, group) or tree.alive()):
            break
    _signal_group(group, signal.SIGKILL)
    tree.signal(signal.SIGKILL)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:  # cannot happen after SIGKILL, unless the kernel is stuck
        process.kill()
        process.wait(timeout=grace)


class _Tree:
    """The descendants of a process, each known by its pid and start time (so a pid the kernel
    reuses after one ends is never signalled), from /proc; empty where there is no /proc."""

    def __init__(self, members: dict[int, str]) -> None:
        self._members = members

    @classmethod
    def of(cls, root: int) -> _Tree:
        children: dict[int, list[int]] = {}
        started: dict[int, str] = {}
        for pid, (parent, start) in _processes().items():
            children.setdefault(parent, []).append(pid)
            started[pid] = start
        members: dict[int, str] = {}
        pending = list(children.get(root, []))
        while pending and len(members) < 10_000:
            pid = pending.pop()
            if pid not in members:
                members[pid] = started[pid]
                pending.extend(children.get(pid, []))
        return cls(members)

    def _live(self) -> list[int]:
        now = _processes()
        return [pid for pid, start in self._members.items() if now.get(pid, (0, ""))[1] == start]

    def alive(self) -> bool:
        return bool(self._live())

    def signal(self, signal_number: int) -> bool:
        """Signal each member still running; whether any was."""
        sent = False
        for pid in self._live():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal_number)
                sent = True
        return sent


def _processes() -> dict[int, tuple[int, str]]:
    """Each running process's parent and start time (fields 4 and 22 of /proc/PID/stat); a
    zombie counts as gone."""
    found = {}
    try:
        entries = list(Path("/proc").iterdir())
    except OSError:
        return found
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            # the command name may hold spaces and parentheses: the fields follow its last ")"
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 19 and fields[0] != "Z":
            found[int(entry.name)] = (int(fields[1]), fields[19])
    return found


def _signal_group(group: int, signal_number: int) -> bool:
    """Send a signal to every process of the group; False when none is left."""
    try:
        os.killpg(group, signal_number)
    except ProcessLookupError:
        return False
    except PermissionError:  # only zombies left, or a process that changed its user
        return True
    return True


def _group_alive(process: subprocess.Popen[Any], group: int) -> bool:
    """Whether any process of the group still runs (the leader is reaped here, so it is not
    counted as a zombie; an orphaned plugin's zombie may count until its new parent reaps it)."""
    process.poll()
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
