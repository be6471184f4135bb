"""`clients.pulumi_cli`: the Automation API's PulumiCommand with a time limit per call, the exit
code kept, and stacks opened without `pulumi stack select`, against a stand-in `pulumi` that
records how the API runs it."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shlex
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi.automation import CommandError, StackNotFoundError
from semver import VersionInfo

from clients import pulumi_cli
from clients.pulumi_cli import (
    CliTimedOut,
    CliUnavailable,
    PulumiCli,
    end_process_group,
    open_stack,
    read_version,
    run_cli,
)


def recording_pulumi(tmp_path: Path, *, code: int = 0, stderr: str = "") -> Path:
    """A `pulumi` that records each call (arguments, directory, two variables), prints a
    config document for `config` and `{}` for anything else (and, failing, a line of standard
    output that an error must never quote), and exits `code`."""
    script = tmp_path / "bin" / "pulumi"
    script.parent.mkdir()
    config = json.dumps({"p:key": {"value": "v", "secret": True}})
    script.write_text(
        f"""#!/bin/sh
echo "$* | $PWD | $PULUMI_BACKEND_URL | $PULUMI_HOME" >> {tmp_path}/calls
if [ "$1" = version ]; then echo v3.276.0; exit 0; fi
case " $* " in *" config "*) echo '{config}' ;; *) echo '{{}}' ;; esac
[ {code} -ne 0 ] && echo 'stdout only: a secret'
[ -n "{stderr}" ] && echo "{stderr}" >&2
exit {code}
""",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def calls(tmp_path: Path) -> list[list[str]]:
    lines = (tmp_path / "calls").read_text().splitlines()
    return [[part.strip() for part in line.split(" | ")] for line in lines]


def test_a_stack_is_opened_without_selecting_it_and_read_in_its_project(tmp_path: Path):
    """`pulumi stack select` would change the stack every later `pulumi` typed in the folder
    acts on; the API's Stack.select runs it, open_stack does not."""
    pulumi, project = recording_pulumi(tmp_path), tmp_path / "project"
    project.mkdir()

    config = open_stack("dev", PulumiCli(str(pulumi), timeout=30), work_dir=project)
    values = config.get_all_config()

    assert values["p:key"].value == "v" and values["p:key"].secret
    ((args, where, _, _),) = calls(tmp_path)
    assert args == "--non-interactive config --show-secrets --json --stack dev"
    assert where == str(project)


def test_the_backend_and_home_are_the_clis_own_rules(tmp_path: Path, monkeypatch):
    """PULUMI_BACKEND_URL passes through as it is (else the CLI reads Pulumi.yaml's backend
    in the project directory); a workspace's PULUMI_HOME is set for each call."""
    pulumi = recording_pulumi(tmp_path)
    monkeypatch.setenv("PULUMI_BACKEND_URL", "azblob://state")
    target = open_stack(
        "dev", PulumiCli(str(pulumi), timeout=30), work_dir=tmp_path, pulumi_home=tmp_path / "h"
    )

    run_cli(target, "stack", "output", "--json")

    ((args, _, backend, home),) = calls(tmp_path)
    assert args == "--non-interactive stack output --json --stack dev"
    assert (backend, home) == ("azblob://state", str(tmp_path / "h"))


def test_a_failed_call_keeps_its_exit_code_and_names_only_its_error_output(tmp_path: Path):
    pulumi = recording_pulumi(tmp_path, code=255, stderr="error: no stack named dev found")
    cli = PulumiCli(str(pulumi), timeout=30)

    with pytest.raises(StackNotFoundError):  # the API's own class for the message
        open_stack("dev", cli, work_dir=tmp_path).get_all_config()

    assert cli.last is not None and cli.last.code == 255
    failure = cli.last.failure()
    assert failure == "`pulumi config --show-secrets` exited 255: error: no stack named dev found"
    assert "stdout only" not in failure


def test_the_version_is_read_once_and_only_when_the_api_needs_it(tmp_path: Path):
    pulumi = recording_pulumi(tmp_path)
    cli = PulumiCli(str(pulumi), timeout=30)

    run_cli(open_stack("dev", cli, work_dir=tmp_path), "stack", "output", "--json")
    assert [args for args, *_ in calls(tmp_path)] == [
        "--non-interactive stack output --json --stack dev"
    ]
    assert (cli.version.major, cli.version.minor, cli.version.patch) == (3, 276, 0)
    assert cli.version == cli.version
    assert [args for args, *_ in calls(tmp_path)][1:] == ["version"]


def test_a_missing_cli_or_one_that_prints_no_version_is_unavailable(tmp_path: Path):
    with pytest.raises(CliUnavailable, match="cannot run"):
        read_version(str(tmp_path / "no-such-pulumi"), 5)
    with pytest.raises(CliUnavailable, match="cannot run"):
        PulumiCli(str(tmp_path / "no-such-pulumi"), timeout=5).run(["about"], str(tmp_path), {})
    talker = tmp_path / "talker"
    talker.write_text("#!/bin/sh\necho hello\n", encoding="utf-8")
    talker.chmod(0o755)
    with pytest.raises(CliUnavailable, match="printed 'hello', not a version"):
        read_version(str(talker), 5)


def test_each_line_reaches_its_callback_and_a_clean_exit_returns_the_output(tmp_path: Path):
    pulumi = recording_pulumi(tmp_path, stderr="warning: careful")
    out: list[str] = []
    err: list[str] = []

    result = PulumiCli(str(pulumi), timeout=30).run(
        ["stack", "ls"], str(tmp_path), {}, on_output=out.append, on_error=err.append
    )

    assert out == ["{}"] and err == ["warning: careful"]
    assert result.stdout == "{}" and result.code == 0


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_call_past_its_time_limit_ends_the_cli_and_everything_it_started(tmp_path: Path):
    """A wedged plugin ignoring SIGINT and SIGTERM still goes (SIGKILL to the group)."""
    pids = tmp_path / "pids"
    hanging = tmp_path / "pulumi"
    hanging.write_text(
        f"""#!/bin/sh
sh -c 'trap "" INT TERM; sleep 300 & echo $! >> {pids}; wait' &
echo $! >> {pids}
echo $$ >> {pids}
wait
""",
        encoding="utf-8",
    )
    hanging.chmod(0o755)
    cli = PulumiCli(str(hanging), timeout=2, grace=0.5)
    started = time.monotonic()

    with pytest.raises(CliTimedOut, match=r"`pulumi refresh` did not finish within 2 s"):
        cli.run(["refresh", "--stack", "dev"], str(tmp_path), {})

    assert time.monotonic() - started < 2 + 3 * 0.5 + 5
    assert cli.last is None, "a call that did not finish has no result"
    started_pids = [int(pid) for pid in pids.read_text().split()]
    deadline = time.monotonic() + 5
    while any(running(pid) for pid in started_pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in started_pids if running(pid)] == []


def test_a_command_error_is_the_apis_own(tmp_path: Path):
    pulumi = recording_pulumi(tmp_path, code=1, stderr="error: boom")

    with pytest.raises(CommandError):
        PulumiCli(str(pulumi), timeout=30).run(["about"], str(tmp_path), {})


def test_a_closed_environment_replaces_this_processs(tmp_path: Path, monkeypatch):
    """The e2e tests run the CLI with nothing of the caller's environment but what they pass."""
    pulumi = recording_pulumi(tmp_path)
    monkeypatch.setenv("PULUMI_BACKEND_URL", "azblob://the-callers")
    closed = {"PATH": "/usr/bin:/bin", "PULUMI_BACKEND_URL": "file:///the-tests"}
    cli = PulumiCli(str(pulumi), timeout=30, environment=closed)

    run_cli(open_stack("dev", cli, work_dir=tmp_path), "stack", "output", "--json")
    version = cli.version

    output, read_version_ = calls(tmp_path)
    assert output[0] == "--non-interactive stack output --json --stack dev"
    assert output[2] == read_version_[2] == "file:///the-tests"
    assert read_version_[0] == "version" and version.minor == 276


def test_a_new_stack_is_created_with_stack_init(tmp_path: Path):
    pulumi = recording_pulumi(tmp_path)

    open_stack("demo", PulumiCli(str(pulumi), timeout=30), work_dir=tmp_path, create=True)

    assert [args for args, *_ in calls(tmp_path)] == ["--non-interactive stack init demo"]


# --- Ending the CLI's process tree (end_process_group) -------------------------------------
# The actors below stand in for the CLI and its plugins. Each records every SIGINT, SIGTERM and
# SIGHUP it gets, with the time (CLOCK_MONOTONIC, one clock for every process on Linux), and
# ends on the signals it is told to end on, after `cleanup` seconds of winding down. As the
# Pulumi CLI does (sdk/go/common/util/cmdutil/child_unix.go, RegisterProcessGroup: Setpgid), a
# plugin can be started in a process group of its own.

ACTOR = r"""
import ctypes, json, mmap, os, signal, subprocess, sys, time

spec = json.loads(sys.argv[1])

def note(text):
    with open(spec["log"], "a", encoding="utf-8") as log:
        log.write(f"{spec['name']} {time.monotonic():.3f} {text}\n")

def on_signal(number, frame):
    name = signal.Signals(number).name
    note(name)
    if name in spec.get("ends_on", []):
        time.sleep(spec.get("cleanup", 0))
        note(f"{name}-done")
        os._exit(0)

if spec.get("title"):  # the command name in /proc/PID/stat (prctl PR_SET_NAME)
    ctypes.CDLL(None).prctl(15, spec["title"].encode(), 0, 0, 0)
for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(number, on_signal)
for child in spec.get("children", []):
    subprocess.Popen(
        [sys.executable, sys.argv[0], json.dumps({**child, "log": spec["log"]})],
        process_group=0 if child.get("own_group") else None,
    )
note(f"ready {os.getpid()}")
grown = []
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    time.sleep(0.05)
    if spec.get("grows") and len(grown) < 1000:  # address space only (never touched)
        grown.append(mmap.mmap(-1, 1 << 20))
"""


@dataclass
class Actors:
    """A stand-in CLI and its plugins, as they report themselves in their log."""

    log: Path
    names: tuple[str, ...]
    process: subprocess.Popen[bytes] | None = None

    def lines(self) -> list[tuple[str, float, str]]:
        if not self.log.exists():
            return []
        found = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            name, moment, what = line.split(" ", 2)
            found.append((name, float(moment), what))
        return found

    def signals(self, name: str) -> list[str]:
        return [what for who, _, what in self.lines() if who == name and what.startswith("SIG")]

    def moment(self, name: str, what: str) -> float:
        return next(at for who, at, said in self.lines() if (who, said) == (name, what))

    def pids(self) -> dict[str, int]:
        return {
            who: int(what.split()[1]) for who, _, what in self.lines() if what.startswith("ready")
        }

    def ready(self) -> bool:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and set(self.pids()) != set(self.names):
            time.sleep(0.05)
        return set(self.pids()) == set(self.names)


def _names(spec: dict[str, Any]) -> list[str]:
    return [spec["name"], *(n for child in spec.get("children", []) for n in _names(child))]


@pytest.fixture
def actors(tmp_path: Path):
    """`actors(cli)`: the command line that starts the actor tree `cli`, and its log; whatever
    of it still runs at the end of the test is killed (only the pids the actors reported)."""
    trees: list[Actors] = []

    def command(cli: dict[str, Any]) -> tuple[list[str], Actors]:
        script, log = tmp_path / "actor.py", tmp_path / "signals.log"
        script.write_text(ACTOR, encoding="utf-8")
        trees.append(Actors(log, tuple(_names(cli))))
        return [sys.executable, str(script), json.dumps({**cli, "log": str(log)})], trees[-1]

    yield command
    for tree in trees:
        for pid in tree.pids().values():
            if running(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if tree.process is not None:
            with contextlib.suppress(OSError):
                tree.process.kill()
            tree.process.wait(timeout=10)


@pytest.fixture
def started(actors):
    """`started(cli)`: the actor tree `cli` running, its CLI the leader of a session of its own
    (as PulumiCli starts the CLI), once each actor is ready."""

    def start(cli: dict[str, Any]) -> Actors:
        argv, tree = actors(cli)
        tree.process = subprocess.Popen(argv, start_new_session=True)
        assert tree.ready(), "the actors did not start"
        return tree

    return start


def gone(pids: Sequence[int], seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(running(pid) for pid in pids)


def test_a_cli_that_stops_at_sigint_is_left_to_finish_and_gets_nothing_more(started):
    """SIGINT is Pulumi's cancel: the CLI winds down (here 0.1 s) and nothing follows it, not
    even a probe that is itself a signal; the call returns as soon as the CLI has ended."""
    cli = started({"name": "cli", "ends_on": ["SIGINT"], "cleanup": 0.1})
    started = time.monotonic()

    end_process_group(cli.process, grace=5)

    assert time.monotonic() - started < 0.9, "waited on after the CLI had ended"
    assert cli.signals("cli") == ["SIGINT", "SIGINT-done"]
    assert cli.process.returncode == 0, "the CLI ended itself and was reaped"


def test_a_cli_that_ignores_sigint_gets_sigterm_once_the_grace_period_is_over(started):
    cli = started({"name": "cli", "ends_on": ["SIGTERM"], "cleanup": 0.1})

    end_process_group(cli.process, grace=1)

    assert cli.signals("cli") == ["SIGINT", "SIGTERM", "SIGTERM-done"]
    waited = cli.moment("cli", "SIGTERM") - cli.moment("cli", "SIGINT")
    assert 0.9 <= waited < 4, f"SIGTERM {waited:.2f} s after SIGINT, not after the 1 s grace"
    assert cli.process.returncode == 0


def test_plugins_in_their_own_process_groups_get_sigterm_from_us_never_sigint(started):
    """A plugin in a group of its own is outside the CLI's group: SIGINT (cancel) goes to the
    CLI alone, as a terminal's Ctrl-C would, and the CLI stops its plugins itself. A plugin
    still running after the grace period gets SIGTERM, and its own wind-down, like the CLI's,
    is waited for. Its own plugin (a grandchild) too."""
    grandchild = {"name": "grandchild", "own_group": True, "ends_on": ["SIGTERM"], "cleanup": 0.3}
    plugin = {
        "name": "plugin",
        "own_group": True,
        "ends_on": ["SIGTERM"],
        "cleanup": 0.3,
        "children": [grandchild],
    }
    cli = started({"name": "cli", "ends_on": ["SIGINT"], "children": [plugin]})
    pids = cli.pids()

    end_process_group(cli.process, grace=1)

    assert cli.signals("cli") == ["SIGINT", "SIGINT-done"]
    assert cli.signals("plugin") == ["SIGTERM", "SIGTERM-done"]
    assert cli.signals("grandchild") == ["SIGTERM", "SIGTERM-done"]
    assert cli.moment("plugin", "SIGTERM") - cli.moment("cli", "SIGINT") >= 0.9
    assert gone(list(pids.values()))


def test_a_wedged_plugin_is_killed_whatever_its_name_and_however_it_grows(started):
    """A plugin ignoring SIGINT and SIGTERM is killed. It is known by its pid and start time
    (/proc/PID/stat field 22, which never changes), not by anything that does (its size); its
    command name, field 2, may hold spaces and parentheses (proc(5): the fields follow the
    last ")")."""
    plugin = {"name": "plugin", "own_group": True, "grows": True, "title": "plug) in (x"}
    cli = started({"name": "cli", "ends_on": ["SIGINT"], "children": [plugin]})
    pids = cli.pids()
    assert Path(f"/proc/{pids['plugin']}/comm").read_text().strip() == "plug) in (x"

    end_process_group(cli.process, grace=0.5)

    assert cli.signals("plugin") == ["SIGTERM"]
    assert gone([pids["plugin"]])


class _PolledProcess:
    """The group's leader as `_group_alive` sees it: only polled (reaped if it has ended)."""

    def __init__(self) -> None:
        self.polls = 0

    def poll(self) -> None:
        self.polls += 1


@pytest.mark.parametrize(
    ("errno_name", "running"),
    [("EPERM", True), ("ESRCH", False), (None, True)],
    ids=["not permitted", "no such group", "sent"],
)
def test_a_group_we_may_not_signal_still_runs_and_one_the_kernel_cannot_find_is_gone(
    monkeypatch, errno_name, running
):
    """kill(2) on a process group: EPERM is "no permission to send the signal to any of the
    target processes" (they exist: another user's, after a setuid), ESRCH "the process or
    process group does not exist"; no error, the signal was sent. Only ESRCH means nothing of
    the group is left."""
    sent: list[tuple[int, int]] = []

    def killpg(group: int, number: int) -> None:
        sent.append((group, number))
        if errno_name is not None:
            code = getattr(errno, errno_name)
            raise OSError(code, os.strerror(code))

    monkeypatch.setattr(pulumi_cli.os, "killpg", killpg)
    leader = _PolledProcess()

    assert pulumi_cli._group_alive(leader, 4242) is running
    assert pulumi_cli._signal_group(4242, signal.SIGTERM) is running
    assert sent == [(4242, 0), (4242, signal.SIGTERM)]
    assert leader.polls == 1


def test_tree_members_that_ended_or_changed_user_are_passed_over_and_the_rest_signalled(
    monkeypatch,
):
    """A member may end between reading /proc and kill(2) (ESRCH), or be another user's by then
    (EPERM, after a setuid): neither stops the others being signalled, and neither counts as
    signalled."""
    members = {101: "500", 102: "600", 103: "700"}
    monkeypatch.setattr(pulumi_cli, "_processes", lambda: {p: (1, s) for p, s in members.items()})
    sent: list[int] = []

    def kill(pid: int, number: int) -> None:
        sent.append(pid)
        if pid == 101:
            raise ProcessLookupError(errno.ESRCH, os.strerror(errno.ESRCH))
        if pid == 102:
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(pulumi_cli.os, "kill", kill)

    assert pulumi_cli._Tree(dict(members)).signal(signal.SIGTERM) is True
    assert sorted(sent) == [101, 102, 103]
    sent.clear()
    assert pulumi_cli._Tree({101: "500", 102: "600"}).signal(signal.SIGTERM) is False
    assert sorted(sent) == [101, 102]


class _ProcEntry:
    """/proc/PID as `_processes` reads it: its name, and its stat file (None: it vanished)."""

    def __init__(self, name: str, stat: str | None) -> None:
        self.name, self.stat = name, stat

    def __truediv__(self, child: str) -> _ProcEntry:
        assert child == "stat"
        return self

    def read_text(self) -> str:
        if self.stat is None:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
        return self.stat


def _stat(pid: int, name: str, state: str, parent: int, start: int) -> str:
    """A /proc/PID/stat line (proc(5)): pid, (comm), state (field 3), ppid (field 4), ...,
    starttime (field 22), and the fields after it."""
    middle = f"{pid} {pid} 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 4 0"
    return f"{pid} ({name}) {state} {parent} {middle} {start} 1000000 500 18446744073709551615\n"


def test_a_process_that_vanished_or_whose_stat_cannot_be_read_is_skipped_not_the_rest(
    monkeypatch,
):
    """Processes come and go while /proc is read (proc(5)): an entry whose stat is gone or has
    no ")" is skipped, a zombie counts as gone, and every other process is still read."""
    entries = [
        _ProcEntry("self", None),
        _ProcEntry("200", None),
        _ProcEntry("201", "201 no command name"),
        _ProcEntry("202", _stat(202, "defunct", "Z", 1, 90)),
        _ProcEntry("203", _stat(203, "pulumi) (x", "S", 1, 123456)),
        _ProcEntry("204", _stat(204, "plugin", "R", 203, 123999)),
    ]

    class _Proc:
        def __init__(self, path: str) -> None:
            assert path == "/proc"

        def iterdir(self):
            return iter(entries)

    monkeypatch.setattr(pulumi_cli, "Path", _Proc)

    assert pulumi_cli._processes() == {203: (1, "123456"), 204: (203, "123999")}


def test_a_process_tree_is_read_to_a_bounded_number_of_members(monkeypatch):
    """The walk of the descendants is bounded (every loop here is): 10,000 members at most,
    however many processes the table holds."""
    table = {pid: (1, str(pid)) for pid in range(2, 10_010)}
    monkeypatch.setattr(pulumi_cli, "_processes", lambda: table)

    tree = pulumi_cli._Tree.of(1)

    assert len(tree._members) == 10_000


# --- One call: its arguments, environment, streams, time limit ------------------------------


def stand_in(tmp_path: Path, body: str, name: str = "pulumi") -> Path:
    """A `pulumi` that is the shell script `body`."""
    script = tmp_path / "stand-in" / name
    script.parent.mkdir(exist_ok=True)
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def test_non_interactive_goes_first_once_and_never_counts_after_the_separator(tmp_path: Path):
    """Upstream's PulumiCommand.run (sdk/python/lib/pulumi/automation/_cmd.py): inserted at
    the front unless already among the arguments before `--`; what follows `--` is the
    program's, not the CLI's."""
    pulumi = recording_pulumi(tmp_path)
    cli = PulumiCli(str(pulumi), timeout=30)

    cli.run(["config", "set", "greeting", "--", "--non-interactive"], str(tmp_path), {})
    cli.run(["--non-interactive", "stack", "ls"], str(tmp_path), {})

    assert [args for args, *_ in calls(tmp_path)] == [
        "--non-interactive config set greeting -- --non-interactive",
        "--non-interactive stack ls",
    ]


def test_each_call_is_marked_as_the_automation_api_and_finds_its_own_folder_first(
    tmp_path: Path,
):
    """Upstream sets PULUMI_AUTOMATION_API=true for every command (the Python, Node.js and Go
    SDKs alike) and, for a CLI given by path, puts its folder first on PATH (_fixup_path), so
    the plugins installed beside it are found before any other."""
    seen = tmp_path / "seen"
    pulumi = stand_in(tmp_path, f'echo "$PULUMI_AUTOMATION_API|$PATH" > {seen}')

    PulumiCli(str(pulumi), timeout=30, environment={"PATH": "/usr/bin:/bin"}).run(
        ["about"], str(tmp_path), {}
    )

    assert seen.read_text().strip() == f"true|{pulumi.parent}:/usr/bin:/bin"


def test_without_a_path_the_cli_searches_its_own_folder_and_never_the_current_one(
    tmp_path: Path,
):
    """With no PATH to add to, PATH is the CLI's folder alone: an empty entry, as a trailing
    ':' would leave, means the current directory (POSIX, XBD 8.3 PATH), where a file named
    like a plugin could be run in its place."""
    seen = tmp_path / "seen"
    pulumi = stand_in(tmp_path, f'echo "$PATH" > {seen}')

    PulumiCli(str(pulumi), timeout=30, environment={}).run(["about"], str(tmp_path), {})

    assert seen.read_text().strip() == str(pulumi.parent)


def test_the_cli_never_waits_for_input_it_reads_end_of_file(tmp_path: Path):
    """Whatever our own standard input is (here a pipe nobody writes to), the CLI's is empty,
    so a prompt fails at once instead of waiting until the time limit."""
    pulumi = stand_in(tmp_path, 'if read -r line; then echo "read $line"; else echo none; fi')
    reader, writer = os.pipe()
    try:
        ours: int | None = os.dup(0)
    except OSError:  # no standard input at all
        ours = None
    os.dup2(reader, 0)
    try:
        result = PulumiCli(str(pulumi), timeout=10, grace=0.5).run(["login"], str(tmp_path), {})
    finally:
        if ours is None:
            os.close(0)
        else:
            os.dup2(ours, 0)
            os.close(ours)
        os.close(reader)
        os.close(writer)

    assert result.stdout == "none"


def test_the_cli_leads_a_session_and_process_group_of_its_own(tmp_path: Path):
    """Fields 1, 5 and 6 of /proc/PID/stat (proc(5)): pid, process group, session. A group of
    its own is what the time limit signals (killpg) without reaching us."""
    pulumi = stand_in(tmp_path, "cut -d' ' -f1,5,6 /proc/$$/stat")

    result = PulumiCli(str(pulumi), timeout=30).run(["about"], str(tmp_path), {})

    pid, group, session = result.stdout.split()
    assert pid == group == session
    assert int(group) != os.getpgrp()


def test_a_cli_that_cannot_be_started_is_named_with_the_systems_reason(tmp_path: Path):
    missing = tmp_path / "no-such-pulumi"

    with pytest.raises(CliUnavailable) as error:
        PulumiCli(str(missing), timeout=5).run(["about"], str(tmp_path), {})

    assert str(error.value) == f"cannot run {missing}: No such file or directory"  # ENOENT


def test_output_a_process_the_cli_left_behind_writes_within_the_limit_is_kept(tmp_path: Path):
    """As upstream, the output is read to its end, which is when the last process holding it
    closes it; here a background process of the CLI's that writes after the CLI has exited."""
    pulumi = stand_in(tmp_path, "(sleep 0.5; echo late) &\necho early")

    result = PulumiCli(str(pulumi), timeout=20, grace=0.1).run(["about"], str(tmp_path), {})

    assert result.stdout == "early\nlate"


def test_a_process_the_cli_left_holding_its_output_is_ended_at_the_time_limit(tmp_path: Path):
    holder = tmp_path / "holder.pid"
    pulumi = stand_in(tmp_path, f"sh -c 'echo $$ > {holder}; exec sleep 20' &\necho early")
    started = time.monotonic()

    result = PulumiCli(str(pulumi), timeout=1.5, grace=0.2).run(["about"], str(tmp_path), {})

    assert time.monotonic() - started < 1.5 + 6, "waited past the time limit"
    assert (result.code, result.stdout) == (0, "early")
    assert gone([int(holder.read_text())])


def test_a_process_that_escaped_the_cli_does_not_keep_the_command_from_exiting(tmp_path: Path):
    """A process that left the CLI's session and tree (here it double-forked, so its parent is
    now init) and holds the CLI's output is out of reach; the command that called the CLI
    still exits when it is done, instead of waiting for that process."""
    holder = tmp_path / "holder.pid"
    pulumi = stand_in(tmp_path, f"( setsid sh -c 'echo $$ > {holder}; exec sleep 20' & )\necho ok")
    program = (
        "from clients.pulumi_cli import PulumiCli\n"
        f"cli = PulumiCli({str(pulumi)!r}, timeout=1, grace=0.1)\n"
        f"print(cli.run(['about'], {str(tmp_path)!r}, {{}}).stdout)\n"
    )
    root = Path(__file__).resolve().parent.parent
    path = [str(root), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    started = time.monotonic()
    try:
        command = subprocess.run(
            [sys.executable, "-c", program], cwd=root, env=env, capture_output=True, timeout=60
        )
    finally:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(holder.read_text()), signal.SIGKILL)

    assert command.returncode == 0 and command.stdout.decode().strip() == "ok", command.stderr
    assert time.monotonic() - started < 15, "the command waited for the escaped process"


def test_ctrl_c_while_the_cli_runs_ends_the_cli_and_its_plugins_then_is_raised(
    tmp_path: Path, actors
):
    """Ctrl-C (KeyboardInterrupt, here raised by a signal handler as Python's own is) while a
    call waits: the CLI gets SIGINT, its plugins SIGTERM after the grace period, and only then
    does the interrupt reach the caller."""
    plugin = {"name": "plugin", "own_group": True, "ends_on": ["SIGTERM"]}
    argv, tree = actors({"name": "cli", "ends_on": ["SIGINT"], "children": [plugin]})
    pulumi = stand_in(tmp_path, "exec " + " ".join(shlex.quote(arg) for arg in argv))

    def interrupt_once_ready() -> None:
        tree.ready()
        os.kill(os.getpid(), signal.SIGUSR1)

    def ctrl_c(number: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGUSR1, ctrl_c)
    try:
        threading.Thread(target=interrupt_once_ready, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            PulumiCli(str(pulumi), timeout=60, grace=1).run(["up"], str(tmp_path), {})
    finally:
        signal.signal(signal.SIGUSR1, previous)

    assert tree.signals("cli") == ["SIGINT", "SIGINT-done"]
    assert tree.signals("plugin") == ["SIGTERM", "SIGTERM-done"]
    assert gone(list(tree.pids().values()))


def test_a_timed_out_call_names_its_subcommand_and_its_limit(tmp_path: Path):
    """What the drift check reports (`pulumi refresh` did not finish within N s)."""
    pulumi = stand_in(tmp_path, "exec sleep 30")

    with pytest.raises(CliTimedOut) as error:
        PulumiCli(str(pulumi), timeout=1, grace=1).run(
            ["refresh", "--stack", "dev"], str(tmp_path), {}
        )

    assert (error.value.subcommand, error.value.seconds) == ("refresh", 1)
    assert str(error.value) == "`pulumi refresh` did not finish within 1 s"


def test_a_failure_is_the_last_three_lines_of_the_error_output_on_one_line(tmp_path: Path):
    lines = ["warning: one", "warning: two", "error: first", "error: second", "error: third"]
    pulumi = stand_in(tmp_path, f"printf '%s\\n' {' '.join(repr(x) for x in lines)} >&2\nexit 2")
    cli = PulumiCli(str(pulumi), timeout=30)

    with pytest.raises(CommandError):
        cli.run(["stack", "export", "--stack", "dev"], str(tmp_path), {})

    assert cli.last is not None and cli.last.subcommand() == "stack"
    assert cli.last.failure() == (
        "`pulumi stack export` exited 2: error: first error: second error: third"
    )


def test_the_cli_is_pulumi_on_path_unless_named(tmp_path: Path, monkeypatch):
    pulumi = recording_pulumi(tmp_path)
    monkeypatch.setenv("PATH", f"{pulumi.parent}{os.pathsep}{os.environ['PATH']}")

    PulumiCli(timeout=30).run(["stack", "ls"], str(tmp_path), {})

    assert [args for args, *_ in calls(tmp_path)] == ["--non-interactive stack ls"]


def test_a_version_given_is_not_read_again(tmp_path: Path):
    pulumi = recording_pulumi(tmp_path)

    cli = PulumiCli(str(pulumi), timeout=30, version=VersionInfo(3, 100, 0))

    assert cli.version == VersionInfo(3, 100, 0)
    assert not (tmp_path / "calls").exists(), "pulumi version was run"


def test_run_cli_uses_the_stacks_folder_variables_and_callbacks(tmp_path: Path, monkeypatch):
    """The variables given to open_stack reach every call; without a PULUMI_HOME given, the
    CLI's own default (the caller's, here none) stands."""
    pulumi = recording_pulumi(tmp_path, stderr="warning: careful")
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.delenv("PULUMI_HOME", raising=False)
    target = open_stack(
        "dev",
        PulumiCli(str(pulumi), timeout=30),
        work_dir=project,
        env_vars={"PULUMI_BACKEND_URL": "file:///given"},
    )
    out: list[str] = []
    err: list[str] = []

    run_cli(target, "stack", "output", "--json", on_output=out.append, on_error=err.append)

    ((args, where, backend, home),) = calls(tmp_path)
    assert args == "--non-interactive stack output --json --stack dev"
    assert (where, backend, home) == (str(project), "file:///given", "")
    assert (out, err) == (["{}"], ["warning: careful"])


def test_a_plugin_that_has_ended_is_not_waited_for_when_nobody_reaps_it(started):
    """Where our command adopts orphans and does not reap them (it runs as a container's
    PID 1, or under a child subreaper: prctl(2) PR_SET_CHILD_SUBREAPER, as here), a plugin that
    ended at SIGTERM stays a zombie (state Z, proc(5)); it is gone all the same, so nothing
    more is waited for."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER on
    pid = 0
    try:
        plugin = {"name": "plugin", "own_group": True, "ends_on": ["SIGTERM"]}
        cli = started({"name": "cli", "ends_on": ["SIGINT"], "children": [plugin]})
        pid = cli.pids()["plugin"]
        began = time.monotonic()

        end_process_group(cli.process, grace=2)

        elapsed = time.monotonic() - began
    finally:
        libc.prctl(36, 0, 0, 0, 0)
        if pid and running(pid):
            os.kill(pid, signal.SIGKILL)
        if pid:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)  # the orphan adopted here, if it was
    assert cli.signals("plugin") == ["SIGTERM", "SIGTERM-done"]
    assert elapsed < 2 + 1.5, f"{elapsed:.1f} s: waited on after the plugin had ended"


def test_a_call_returns_at_its_time_limit_even_when_an_escaped_process_holds_its_output(
    tmp_path: Path,
):
    """The output of a CLI that has exited is read until the time limit, then for the grace
    period at most; a process out of reach (it left the CLI's session and tree) that still
    holds it does not hold the call longer."""
    holder = tmp_path / "holder.pid"
    pulumi = stand_in(tmp_path, f"( setsid sh -c 'echo $$ > {holder}; exec sleep 20' & )\necho ok")
    started = time.monotonic()
    try:
        result = PulumiCli(str(pulumi), timeout=1, grace=0.1).run(["about"], str(tmp_path), {})
        elapsed = time.monotonic() - started
    finally:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(holder.read_text()), signal.SIGKILL)

    assert result.stdout == "ok"
    assert elapsed < 1 + 1.5, f"{elapsed:.1f} s for a 1 s limit and a 0.1 s grace"
