"""`clients.pulumi_cli`: the Automation API's PulumiCommand with a time limit per call, the exit
code kept, and stacks opened without `pulumi stack select`, against a stand-in `pulumi` that
records how the API runs it."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from pulumi.automation import CommandError, StackNotFoundError

from clients.pulumi_cli import (
    CliTimedOut,
    CliUnavailable,
    PulumiCli,
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
