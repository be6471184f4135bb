"""The drift check of one stack, in one command: what the drift workflow, `make drift` and the
demo all run.

    python -m scripts.drift_check --stack prod [--markdown report.md] [--title title.txt]

It first looks for pending operations an interrupted deploy left in the state (`python -m
tools.recover`, read only): with any, the check fails naming each. Then it runs `pulumi refresh
--preview-only --expect-no-changes --json` (nothing is written to the stack's state) with the
engine's event log (`--event-log`, offered when PULUMI_DEBUG_COMMANDS is
true), then writes the report (scripts/drift_report.py): the Markdown to `--markdown` or standard
output, a one-line title to `--title`.

Exit status: 0 no drift, 2 drift, 1 the check failed.

Supported CLIs: v3.106 and newer (the first with `refresh --preview-only`). From v3.226 the CLI
exits 7 when it finds changes and 1 on failure; older ones exit 255 for both, so there a 255
with a complete --json document counts as "changes found" and anything else as a failure.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from scripts.drift_report import (
    DRIFT,
    FAILURE,
    NO_DRIFT,
    PULUMI_CHANGES_FOUND,
    Report,
    add_output_arguments,
    build_report,
    failed,
    folder_problem,
    output_problems,
    refused,
    write,
)

MINIMUM_CLI = (3, 106)
"""The first CLI with `pulumi refresh --preview-only`."""
EXIT_7_SINCE = (3, 226)
"""From this CLI on, `--expect-no-changes` exits 7 (changes) apart from 1 (failure)."""
LEGACY_CHANGES_FOUND = 255
PENDING_FOUND = 2
"""`tools.recover`'s exit status when the state holds pending operations."""
DEFAULT_TIMEOUT_SECONDS = 1800.0
GRACE_SECONDS = 10.0
"""How long the CLI's process group gets after SIGINT, and again after SIGTERM, to end."""


class CheckError(Exception):
    """The check could not run (no CLI, an unsupported one, a timeout)."""


def cli_version(pulumi: str, timeout: float) -> tuple[int, int]:
    """(major, minor) of `pulumi version`, e.g. v3.276.0 -> (3, 276)."""
    try:
        output = subprocess.run(
            [pulumi, "version"], capture_output=True, text=True, timeout=timeout, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise CheckError(f"cannot run `{pulumi} version`: {error}") from None
    found = re.match(r"v?(\d+)\.(\d+)", output.strip())
    if found is None:
        raise CheckError(f"`{pulumi} version` printed {output.strip()!r}, not a version")
    return int(found.group(1)), int(found.group(2))


def changes_found_codes(version: tuple[int, int]) -> tuple[int, ...]:
    if version < MINIMUM_CLI:
        raise CheckError(
            f"Pulumi CLI v{version[0]}.{version[1]} has no `refresh --preview-only`; "
            f"v{MINIMUM_CLI[0]}.{MINIMUM_CLI[1]} or newer is needed"
        )
    return (PULUMI_CHANGES_FOUND,) if version >= EXIT_7_SINCE else (LEGACY_CHANGES_FOUND,)


def refresh(stack: str, pulumi: str, events: Path, timeout: float) -> tuple[int, str]:
    """Run the refresh; Pulumi's progress and errors go to this process's standard error."""
    command = [
        pulumi, "refresh", "--stack", stack, "--preview-only", "--expect-no-changes", "--json",
        "--non-interactive", "--event-log", str(events),
    ]  # fmt: skip
    environment = {**os.environ, "PULUMI_DEBUG_COMMANDS": "true"}
    code, document, _ = run_in_group(command, "pulumi refresh", timeout, environment)
    return code, document


def run_in_group(
    command: list[str],
    what: str,
    timeout: float,
    environment: dict[str, str] | None = None,
    stderr: int | TextIO = sys.stderr,
) -> tuple[int, str, str]:
    """Run `command` in its own process group (session), so that a timeout ends it together
    with everything it started (the CLI's language host and plugins), which a kill of the
    command alone would orphan. Its exit status, standard output and captured standard error
    (empty unless `stderr` is subprocess.PIPE)."""
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=environment,
            start_new_session=True,
        )
    except OSError as error:
        raise CheckError(f"cannot run {command[0]}: {error}") from None
    try:
        output, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        end_process_group(process)
        raise CheckError(f"`{what}` did not finish within {timeout:.0f} s") from None
    except BaseException:  # Ctrl-C or a signal to the check: leave nothing behind either
        end_process_group(process)
        raise
    return process.returncode, output, errors or ""


def end_process_group(process: subprocess.Popen[str]) -> None:
    """End the CLI's process group: SIGINT first (Pulumi cancels and stops its plugins), then
    SIGTERM, each given GRACE_SECONDS for the whole group to be gone, then SIGKILL."""
    group = process.pid  # start_new_session: the CLI leads its own group
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        if not _signal_group(group, signal_number):
            break
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and _group_alive(process, group):
            time.sleep(0.05)
        if not _group_alive(process, group):
            break
    _signal_group(group, signal.SIGKILL)
    try:
        process.communicate(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:  # a process outside the group holds the pipe open
        process.kill()
        process.wait()


def _signal_group(group: int, signal_number: int) -> bool:
    """Send a signal to every process of the group; False when none is left."""
    try:
        os.killpg(group, signal_number)
    except ProcessLookupError:
        return False
    except PermissionError:  # only zombies left, or a process that changed its user
        return True
    return True


def _group_alive(process: subprocess.Popen[str], group: int) -> bool:
    """Whether any process of the group still runs (the CLI is reaped here, so it is not
    counted as a zombie; an orphaned plugin's zombie may count until its new parent reaps it)."""
    process.poll()
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pending_operations_report(stack: str, pulumi: str, timeout: float) -> Report | None:
    """A failed check when the state holds pending operations (an interrupted deploy), naming
    each and what the tenant holds for it (`python -m tools.recover`, which changes nothing
    without --apply); None when there are none. A refresh would keep pending creates and
    report "no drift" while an object the state does not record exists."""
    print(f"drift check: looking for an interrupted deploy of {stack}", file=sys.stderr, flush=True)
    command = [sys.executable, "-m", "tools.recover", "--stack", stack, "--pulumi", pulumi]
    code, output, errors = run_in_group(
        command, "python -m tools.recover", timeout, stderr=subprocess.PIPE
    )
    if code == 0:
        return None
    if code == PENDING_FOUND:
        return failed(
            stack,
            "An interrupted deploy left pending operations in the state, so the refresh cannot "
            "tell what exists (docs/recovery.md has the way back):\n\n```\n"
            + output.strip()
            + "\n```",
        )
    tail = "\n".join(errors.strip().splitlines()[-5:])
    return failed(stack, f"looking for pending operations failed:\n\n```\n{tail}\n```")


def check(stack: str, pulumi: str, timeout: float, keep: Path | None) -> Report:
    version = cli_version(pulumi, timeout)
    codes = changes_found_codes(version)
    print(
        f"drift check: refreshing stack {stack} without writing state "
        f"(pulumi v{version[0]}.{version[1]})",
        file=sys.stderr,
        flush=True,
    )
    interrupted = pending_operations_report(stack, pulumi, timeout)
    if interrupted is not None:
        return interrupted
    with tempfile.TemporaryDirectory(prefix="drift-") as scratch:
        events = (keep or Path(scratch)) / "drift-events.jsonl"
        code, document = refresh(stack, pulumi, events, timeout)
        print(f"drift check: pulumi refresh exited {code}", file=sys.stderr, flush=True)
        if keep is not None:
            try:
                (keep / "drift.json").write_text(document, encoding="utf-8")
            except OSError as error:  # checked before the refresh; the report still follows
                print(f"drift check: cannot keep drift.json: {error}", file=sys.stderr)
        lines = events.read_text(encoding="utf-8").splitlines() if events.exists() else None
    if code == LEGACY_CHANGES_FOUND and LEGACY_CHANGES_FOUND in codes and not document.strip():
        code = FAILURE  # an old CLI's 255 without a document is a failure, not drift
    return build_report(stack, document, code, events=lines, changes_found_codes=codes)


EXIT_CODES = f"""\
exit status:
  {NO_DRIFT}  no drift: the stack's resources are as its state records them
  {DRIFT}  drift: the report names each changed resource and setting
  {FAILURE}  the check failed: no usable Pulumi CLI, the refresh failed or timed out, or its output
     could not be read (never reported as "no drift")"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.drift_check",
        description=__doc__.split("\n\nExit status:", 1)[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="the stack to check, e.g. prod")
    add_output_arguments(parser)
    parser.add_argument(
        "--keep", type=Path, metavar="FOLDER",
        help="an existing folder to keep Pulumi's drift.json and the event log in "
        "(default: a temporary one, deleted)",
    )  # fmt: skip
    parser.add_argument(
        "--pulumi", default="pulumi", metavar="CLI",
        help="the Pulumi CLI to run, v3.106 or newer (default: pulumi on PATH)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS, metavar="SECONDS",
        help="how long the refresh may take before the check fails (default: %(default).0f)",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Every output path is checked before the refresh, which may take many minutes.
    problems = output_problems(args) + [p for p in [folder_problem("--keep", args.keep)] if p]
    if problems:
        return refused(problems)
    try:
        report = check(args.stack, args.pulumi, args.timeout, args.keep)
    except CheckError as error:
        print(f"drift check failed: {error}", file=sys.stderr)
        report = failed(args.stack, str(error))
    return write(report, args.markdown, args.title)


if __name__ == "__main__":
    sys.exit(main())
