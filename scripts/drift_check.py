"""The drift check of one stack, in one command: what the drift workflow, `make drift` and the
demo all run.

    python -m scripts.drift_check --stack prod [--markdown report.md] [--title title.txt]

It first looks for pending operations an interrupted deploy left in the state (`python -m
tools.recover`, read only): with any, the check fails naming each. Then it runs `pulumi refresh
--preview-only --expect-no-changes` (nothing is written to the stack's state) through Pulumi's
Automation API (`Stack.preview_refresh` on the project in the current directory), which streams
the engine's events to this process typed (EngineEvent), and writes the report built from them
(scripts/drift_report.py): the Markdown to `--markdown` or standard output, a one-line title to
`--title`. What the CLI prints goes to standard error as it runs.

Exit status: 0 no drift, 2 drift, 1 the check failed.

Supported CLIs: v3.106 and newer (the first with `refresh --preview-only`). From v3.226 the CLI
exits 7 when it finds changes and 1 on failure; older ones exit 255 for both, so there a 255
after the engine's summary event counts as "changes found" and anything else as a failure.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pulumi.automation import CommandError, EngineEvent

from clients.pulumi_cli import (
    DEFAULT_GRACE_SECONDS,
    CliTimedOut,
    CliUnavailable,
    PulumiCli,
    end_process_group,
    open_stack,
)
from scripts.drift_report import (
    DRIFT,
    FAILURE,
    NO_DRIFT,
    PULUMI_CHANGES_FOUND,
    CheckArgumentParser,
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
GRACE_SECONDS = DEFAULT_GRACE_SECONDS
"""How long the CLI's process group gets after SIGINT, and again after SIGTERM, to end."""


class CheckError(Exception):
    """The check could not run (no CLI, an unsupported one, a timeout)."""


def cli_version(cli: PulumiCli) -> tuple[int, int]:
    """(major, minor) of `pulumi version`, e.g. v3.276.0 -> (3, 276)."""
    try:
        version = cli.version
    except CliUnavailable as error:
        raise CheckError(str(error)) from None
    return version.major, version.minor


def changes_found_codes(version: tuple[int, int]) -> tuple[int, ...]:
    if version < MINIMUM_CLI:
        raise CheckError(
            f"Pulumi CLI v{version[0]}.{version[1]} has no `refresh --preview-only`; "
            f"v{MINIMUM_CLI[0]}.{MINIMUM_CLI[1]} or newer is needed"
        )
    return (PULUMI_CHANGES_FOUND,) if version >= EXIT_7_SINCE else (LEGACY_CHANGES_FOUND,)


@dataclass(frozen=True)
class Refreshed:
    """What one `pulumi refresh --preview-only` said: its exit code, the engine's events (typed
    by the Automation API) and what the CLI printed."""

    code: int
    events: list[EngineEvent]
    printed: list[str]


def refresh(stack: str, cli: PulumiCli) -> Refreshed:
    """Run the refresh through the Automation API; the CLI's output goes to this process's
    standard error as it comes. `--expect-no-changes` makes a CLI that finds changes exit 7,
    which the API raises as a CommandError: the code comes from PulumiCli.last, since the
    error keeps only its text."""
    events: list[EngineEvent] = []
    printed: list[str] = []

    def show(line: str) -> None:
        printed.append(line)
        print(line, file=sys.stderr, flush=True)

    try:
        open_stack(stack, cli).preview_refresh(
            expect_no_changes=True, on_event=events.append, on_output=show, on_error=show
        )
        code = 0
    except CliTimedOut as error:
        raise CheckError(f"`pulumi refresh` did not finish within {error.seconds:.0f} s") from None
    except CliUnavailable as error:
        raise CheckError(str(error)) from None
    except CommandError:
        code = cli.last.code if cli.last is not None else FAILURE
    except RuntimeError:  # exit 0 without the engine's summary event: the API cannot tell
        print("drift check: the refresh ended without the engine's summary", file=sys.stderr)
        code = FAILURE
    return Refreshed(code, events, printed)


def run_in_group(
    command: list[str],
    what: str,
    timeout: float,
    stderr: int | TextIO = sys.stderr,
) -> tuple[int, str, str]:
    """Run `command` in its own process group (session), so that a timeout ends it together
    with everything it started, which a kill of the command alone would orphan. Its exit
    status, standard output and captured standard error (empty unless `stderr` is
    subprocess.PIPE)."""
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True
        )
    except OSError as error:
        raise CheckError(f"cannot run {command[0]}: {error}") from None
    try:
        output, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        end_process_group(process, GRACE_SECONDS)
        raise CheckError(f"`{what}` did not finish within {timeout:.0f} s") from None
    except BaseException:  # Ctrl-C or a signal to the check: leave nothing behind either
        end_process_group(process, GRACE_SECONDS)
        raise
    return process.returncode, output, errors or ""


def pending_operations_report(stack: str, pulumi: str, timeout: float) -> Report | None:
    """A failed check when the state holds pending operations (an interrupted deploy), naming
    each and what the tenant holds for it (`python -m tools.recover`, which changes nothing
    without --apply); None when there are none. A refresh would keep pending creates and
    report "no drift" while an object the state does not record exists."""
    print(f"drift check: looking for an interrupted deploy of {stack}", file=sys.stderr, flush=True)
    # A process, not an import: scripts/ may not import tools/ (tests/test_layers.py).
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
    cli = PulumiCli(pulumi, timeout=timeout, grace=GRACE_SECONDS)
    version = cli_version(cli)
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
    refreshed = refresh(stack, cli)
    code = refreshed.code
    print(f"drift check: pulumi refresh exited {code}", file=sys.stderr, flush=True)
    if keep is not None:
        try:
            (keep / "refresh.log").write_text("\n".join(refreshed.printed) + "\n", encoding="utf-8")
        except OSError as error:  # checked before the refresh; the report still follows
            print(f"drift check: cannot keep refresh.log: {error}", file=sys.stderr)
    finished = any(event.summary_event is not None for event in refreshed.events)
    if code == LEGACY_CHANGES_FOUND and LEGACY_CHANGES_FOUND in codes and not finished:
        code = FAILURE  # an old CLI's 255 before the engine's summary is a failure, not drift
    return build_report(stack, None, code, events=refreshed.events, changes_found_codes=codes)


EXIT_CODES = f"""\
exit status:
  {NO_DRIFT}  no drift: the stack's resources are as its state records them
  {DRIFT}  drift: the report names each changed resource and setting
  {FAILURE}  the check failed: no usable Pulumi CLI, the refresh failed or timed out, or its output
     could not be read (never reported as "no drift")"""


def build_parser() -> argparse.ArgumentParser:
    parser = CheckArgumentParser(
        prog="python -m scripts.drift_check",
        description=__doc__.split("\n\nExit status:", 1)[0],
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="the stack to check, e.g. prod")
    add_output_arguments(parser)
    parser.add_argument(
        "--keep", type=Path, metavar="FOLDER",
        help="an existing folder to keep what Pulumi printed during the refresh in (refresh.log)",
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
