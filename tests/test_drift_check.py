"""`scripts.drift_check`, the one drift command, against a stand-in `pulumi` executable that
plays a CLI of a given version and answers with the real CLI's captured output."""

from __future__ import annotations

import json
import stat
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from scripts import drift_check, drift_report

REAL = Path(__file__).parent / "fixtures" / "real"


NOTHING_PENDING = {"version": 3, "deployment": {"resources": [], "pending_operations": []}}
"""A `pulumi stack export` document of a state no run was interrupted in."""
KILLED_TOKEN_CREATE = {
    "version": 3,
    "deployment": {
        "resources": [],
        "pending_operations": [
            {
                "type": "creating",
                "resource": {
                    "urn": "urn:pulumi:demo::asana-provisioning::asana-provisioning:index:"
                    "AsanaEnterpriseApp$pulumi-python:dynamic/asana:ServiceAccountToken::asana-token",
                    "type": "pulumi-python:dynamic/asana:ServiceAccountToken",
                    "inputs": {},
                },
            }
        ],
    },
}
"""The export of a state whose `up` was killed while the token resource was being created."""


def fake_pulumi(
    tmp_path: Path,
    version: str,
    exit_code: int,
    fixture: str | None,
    export: dict[str, Any] = NOTHING_PENDING,
) -> Path:
    """A `pulumi` that prints `version`, answers `stack export` with `export`, and for
    `refresh` records its arguments and environment, sends the captured event log where
    --event-log says as the CLI does (to the Automation API's gRPC server, `tcp://…`, or to a
    file for a CLI of v3.205 or older) and exits `exit_code`. The Automation API puts
    --non-interactive before every command."""
    events = (REAL / f"{fixture}.events.jsonl") if fixture else None
    exported = tmp_path / "export.json"
    exported.write_text(json.dumps(export), encoding="utf-8")
    script = tmp_path / "pulumi"
    script.write_text(
        f"""#!{sys.executable}
import os, sys
args = sys.argv[1:]
if args == ["version"]:
    print("{version}")
    sys.exit(0)
if args[:1] == ["--non-interactive"]:
    args = args[1:]
if args[:2] == ["stack", "export"]:
    print(open("{exported}").read())
    sys.exit(0)
with open("{tmp_path}/argv", "w") as argv:
    argv.write("\\n".join(sys.argv[1:]) + "\\n")
with open("{tmp_path}/env", "w") as env:
    env.write("PULUMI_DEBUG_COMMANDS=" + os.environ.get("PULUMI_DEBUG_COMMANDS", "") + "\\n")
lines = open("{events}").read().splitlines() if "{events or ""}" else []
target = args[args.index("--event-log") + 1] if "--event-log" in args else None
if target and lines and target.startswith("tcp://"):
    import grpc
    from pulumi.runtime.proto import events_pb2, events_pb2_grpc
    with grpc.insecure_channel(target.removeprefix("tcp://")) as channel:
        requests = [events_pb2.EventRequest(event=line) for line in lines]
        events_pb2_grpc.EventsStub(channel).StreamEvents(iter(requests), timeout=30)
elif target and lines:
    with open(target, "a") as log:
        log.write("\\n".join(lines) + "\\n")
print("Previewing refresh (demo):")
sys.exit({exit_code})
""",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def check(tmp_path: Path, pulumi: Path) -> tuple[int, str]:
    report = tmp_path / "report.md"
    status = drift_check.main(
        ["--stack", "demo", "--pulumi", str(pulumi), "--markdown", str(report)]
    )
    return status, report.read_text(encoding="utf-8")


def test_drift_found_by_a_current_cli_names_the_dynamic_resources(tmp_path: Path):
    status, report = check(tmp_path, fake_pulumi(tmp_path, "v3.276.0", 7, "refresh_drift"))

    assert status == drift_report.DRIFT
    assert "| `accepted` | `true` | `false` |" in report  # from the event log


def test_an_interrupted_deploy_fails_the_check_naming_the_pending_create(tmp_path: Path):
    """A refresh keeps pending creates and would report "no drift" while an object the state
    does not record may exist: the check fails before refreshing, naming the operation."""
    pulumi = fake_pulumi(tmp_path, "v3.276.0", 0, None, export=KILLED_TOKEN_CREATE)

    status, report = check(tmp_path, pulumi)

    assert status == drift_report.FAILURE
    assert "interrupted deploy left pending operations" in report
    assert "asana-token (ServiceAccountToken), interrupted while creating" in report
    assert "docs/recovery.md" in report
    assert not (tmp_path / "argv").exists(), "no refresh ran"


def test_the_refresh_writes_no_state_and_logs_events(tmp_path: Path):
    """The Automation API's preview_refresh: the events stream to the check's own gRPC server
    (`--event-log tcp://…`), which the report is built from (no --json document is read)."""
    check(tmp_path, fake_pulumi(tmp_path, "v3.276.0", 0, "refresh_clean"))

    argv = (tmp_path / "argv").read_text().split()
    assert argv[:2] == ["--non-interactive", "refresh"]
    assert argv[argv.index("--stack") + 1] == "demo"
    assert {"--preview-only", "--expect-no-changes", "--event-log"} <= set(argv)
    assert argv[argv.index("--event-log") + 1].startswith("tcp://127.0.0.1:")
    assert "--yes" not in argv and "--skip-preview" not in argv
    assert (tmp_path / "env").read_text().strip() == "PULUMI_DEBUG_COMMANDS=true"


def test_no_drift_is_zero(tmp_path: Path):
    status, report = check(tmp_path, fake_pulumi(tmp_path, "v3.276.0", 0, "refresh_clean"))

    assert status == drift_report.NO_DRIFT and "No drift" in report


@pytest.mark.parametrize(
    ("version", "code", "fixture", "expected"),
    [
        ("v3.276.0", 1, None, drift_report.FAILURE),
        ("v3.276.0", 255, "refresh_drift", drift_report.FAILURE),  # 255 means failure here
        ("v3.200.0", 255, "refresh_drift", drift_report.DRIFT),  # before 3.226: changes
        ("v3.200.0", 255, None, drift_report.FAILURE),  # …unless there is no document
        ("v3.100.0", 0, "refresh_clean", drift_report.FAILURE),  # no --preview-only yet
    ],
    ids=["failure", "255 on a new CLI", "255 with a document", "255 alone", "too old a CLI"],
)
def test_exit_codes_are_read_by_cli_version(tmp_path: Path, version, code, fixture, expected):
    status, report = check(tmp_path, fake_pulumi(tmp_path, version, code, fixture))

    assert status == expected
    if expected == drift_report.FAILURE:
        assert "Drift check failed" in report


def test_a_missing_cli_is_a_failed_check_not_no_drift(tmp_path: Path):
    status, report = check(tmp_path, tmp_path / "no-such-pulumi")

    assert status == drift_report.FAILURE and "cannot run" in report


def test_the_workflow_the_demo_and_make_drift_run_the_same_command():
    root = Path(__file__).resolve().parent.parent
    workflow = (root / ".github" / "workflows" / "drift.yml").read_text()
    makefile = (root / "Makefile").read_text()

    assert "python -m scripts.drift_check --stack" in workflow
    assert "-m scripts.drift_check --stack $(STACK)" in makefile


def hanging_pulumi(tmp_path: Path, plugin_session: bool = False) -> Path:
    """A `pulumi` whose refresh hangs the way a stuck one does: it starts a "language host" and a
    "plugin" (the plugin ignoring SIGINT and SIGTERM, as a wedged one may), the plugin a
    grandchild of its own, writes their process ids to `pids`, and waits forever. With
    `plugin_session` the plugin runs in a session and process group of its own, as the real CLI
    starts its plugins (pulumi cmdutil.RegisterProcessGroup), out of reach of a group kill."""
    own = "setsid " if plugin_session else ""
    script = tmp_path / "pulumi"
    script.write_text(
        f"""#!/bin/sh
if [ "$1" = version ]; then echo v3.276.0; exit 0; fi
if [ "$1" = --non-interactive ]; then shift; fi  # the Automation API puts it first
if [ "$1" = stack ] && [ "$2" = export ]; then echo '{json.dumps(NOTHING_PENDING)}'; exit 0; fi
sleep 300 &
echo $! >> {tmp_path}/pids
{own}sh -c 'trap "" INT TERM; sleep 300 & echo $! >> {tmp_path}/pids; wait' &
echo $! >> {tmp_path}/pids
echo $$ >> {tmp_path}/pids
wait
""",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def running(pid: int) -> bool:
    """Whether `pid` is alive (a zombie waiting to be reaped is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize("plugin_session", [False, True], ids=["same-group", "own-session"])
def test_a_timeout_ends_the_cli_and_every_process_it_started(
    tmp_path: Path, monkeypatch, plugin_session: bool
):
    monkeypatch.setattr(drift_check, "GRACE_SECONDS", 0.5)
    pulumi = hanging_pulumi(tmp_path, plugin_session)
    report = tmp_path / "report.md"

    status = drift_check.main(
        ["--stack", "demo", "--pulumi", str(pulumi), "--markdown", str(report), "--timeout", "5"]
    )

    assert status == drift_report.FAILURE
    assert "`pulumi refresh` did not finish within 5 s" in report.read_text()
    pids = [int(line) for line in (tmp_path / "pids").read_text().split()]
    assert len(pids) == 4
    deadline = time.monotonic() + 5
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in pids if running(pid)] == []


@pytest.mark.parametrize(
    ("flag", "where"),
    [
        ("--markdown", "missing/report.md"),
        ("--title", "missing/title.txt"),
        ("--markdown", "."),  # a folder, not a file
        ("--keep", "missing"),
        ("--keep", "file.txt"),  # a file, not a folder
    ],
    ids=["markdown folder missing", "title folder missing", "markdown a folder", "keep missing",
         "keep a file"],
)  # fmt: skip
def test_an_unwritable_output_path_is_refused_before_the_refresh(
    tmp_path: Path, capsys, flag: str, where: str
):
    pulumi = fake_pulumi(tmp_path, "v3.276.0", 7, "refresh_drift")
    (tmp_path / "file.txt").write_text("")
    path = tmp_path / where

    status = drift_check.main(["--stack", "demo", "--pulumi", str(pulumi), flag, str(path)])

    assert status == drift_report.FAILURE
    error = capsys.readouterr().err
    assert f"{flag} {path}:" in error and "Traceback" not in error
    assert not (tmp_path / "argv").exists(), "the refresh must not run"
